"""`python -m autograder` is the `convkit` command."""

import sys

from autograder.cli import main

sys.exit(main())
