"""``python -m graphseq.cli``: the same as the ``graphseq`` command."""

import sys

from . import main

sys.exit(main())
