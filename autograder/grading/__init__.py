"""Grading: intake, the static audit, one student's trusted grading process, the batch, feedback and the
class report. Imports the sandbox and otter packages, never the other way round."""
