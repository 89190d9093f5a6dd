"""``python -m llamafarm_core.jobs.orphan_guard PARENT_PID -- COMMAND...``

Replaces itself with COMMAND after asking Linux to SIGTERM it when PARENT_PID dies. That is
how the embedded redis-server (which has no such option) ends with the ``serve`` that
started it, even after a ``kill -9``. Elsewhere the pid files of the next ``serve`` do it.
"""

from __future__ import annotations

import os
import sys

from llamafarm_core.parent_death import set_parent_death_signal


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: orphan_guard PARENT_PID -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    parent = int(argv[0])
    set_parent_death_signal()
    if os.getppid() != parent:  # the parent died before the signal was armed
        return 1
    os.execv(argv[2], argv[2:])
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
