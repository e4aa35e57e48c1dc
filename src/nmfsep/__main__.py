"""``python -m nmfsep``: the same command line as ``nmfsep``."""

import sys

from .cli import main

sys.exit(main())
