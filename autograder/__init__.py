"""convkit's trusted grader: hidden suites, the sandbox that runs student code, and the instructor CLI."""

__version__ = "0.1.0"
