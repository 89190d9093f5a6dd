"""The ``llamafarm`` command. Each sub-command lives in its own module with ``register(sub)``.

Errors end a command with one line on stderr and exit status 1 (2 for bad usage, 130 for
Ctrl-C)."""

from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES = (
    "serve",
    "worker",
    "version",
    "init",
    "projects",
    "datasets",
    "tasks",
    "rag",
    "chat",
    "examples",
    "plugins",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="llamafarm", description="Local-first RAG and chat server.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"llamafarm_server.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from llamafarm_server.cli.output import error
    from llamafarm_server.cli.project_file import UsageError, resolve_project
    from llamafarm_server.client import ClientError

    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "project_from_cwd", False):
            resolve_project(args)
    except UsageError as err:
        error(f"error: {err}")
        return 2
    try:
        return int(args.func(args) or 0)
    except ClientError as err:
        error(str(err) if str(err).startswith("error") else f"error: {err}")
        return 1
    except KeyboardInterrupt:
        error("interrupted")
        return 130
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
