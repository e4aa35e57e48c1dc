"""``python -m nmfsep.studio [FILE] [options]``: the studio as a program of its own."""

from .command import main

raise SystemExit(main())
