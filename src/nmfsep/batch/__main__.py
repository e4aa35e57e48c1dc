"""``python -m nmfsep.batch IN... -o OUT``: the same as ``nmfsep separate IN... -o OUT``."""

import sys

from ..cli import main

if __name__ == "__main__":
    sys.exit(main(["separate", *sys.argv[1:]]))
