"""``python -m kcourse``: the same as the ``kcourse`` command."""

import sys

from kcourse.cli import main

sys.exit(main())
