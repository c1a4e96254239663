"""``python -m eqsolve``: the ``eqsolve`` command line."""

import sys

from .cli import main

sys.exit(main())
