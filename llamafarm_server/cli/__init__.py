"""The ``llamafarm`` command. Each sub-command lives in its own module with ``register(sub)``."""

from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES = ("serve", "worker", "version", "projects", "datasets", "rag", "chat")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="llamafarm", description="Local-first RAG and chat server.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"llamafarm_server.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
