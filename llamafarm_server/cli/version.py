from __future__ import annotations

import argparse

from llamafarm_core import __version__


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("version", help="print the version")
    p.set_defaults(func=lambda args: print(f"llamafarm {__version__}"))
