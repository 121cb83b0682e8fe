"""Hidden test suites, one file per exercise; they run only in the trusted grader process."""
