"""``python -m llamafarm_server.cli`` is the ``llamafarm`` command."""

import sys

from llamafarm_server.cli import main

sys.exit(main())
