"""``python -m nmfsep.batch IN... -o OUT``: see :mod:`nmfsep.batch.command`."""

import sys

from .command import main

if __name__ == "__main__":
    sys.exit(main())
