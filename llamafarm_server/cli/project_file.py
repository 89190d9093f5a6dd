"""The project a command works on: ``NS PROJECT`` on the command line, or ``./llamafarm.yaml``.

The rule (docs/cli.md): a command's ``NS PROJECT`` are its first two arguments or left out
altogether; left out, they are the ``namespace`` and ``name`` of ``llamafarm.yaml`` in the
current directory (not a parent's). The arguments are counted: a command's own arguments are
fixed in number, so ``NS PROJECT`` are there exactly when two more are given. Two commands
need more than counting: ``chat``'s message is optional (0 or 1 arguments: the file's
project; 2 or 3: ``NS PROJECT [MESSAGE]``), and ``datasets upload`` takes any number of
paths, so its project-file form names the dataset with ``--to DATASET`` and then every
argument is a path.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

PROJECT_FILE = "llamafarm.yaml"


class UsageError(Exception):
    """A command line that names no project, or half of one (exit status 2)."""


def add_project_args(parser: argparse.ArgumentParser) -> None:
    """``[NS PROJECT]``: optional positionals resolved by :func:`resolve_project`."""
    parser.add_argument("namespace", nargs="?", metavar="NS", help=f"namespace (default: ./{PROJECT_FILE})")
    parser.add_argument("project", nargs="?", metavar="PROJECT", help=f"project (default: ./{PROJECT_FILE})")
    parser.set_defaults(project_from_cwd=True)


def resolve_project(args: argparse.Namespace, cwd: Path | None = None) -> None:
    """Fill ``args.namespace``/``args.project`` from ``./llamafarm.yaml`` when both were left
    out; a command with only one of them is a :class:`UsageError`."""
    tail = getattr(args, "optional_tail", None)
    if tail and args.project is None and getattr(args, tail) is None and args.namespace is not None:
        # argparse fills optional positionals left to right: one word is the tail (chat's message)
        setattr(args, tail, args.namespace)
        args.namespace = None
    if getattr(args, "to", None) is not None:  # datasets upload --to DATASET: every word is a path
        given = [w for w in (args.namespace, args.project, args.dataset) if w is not None]
        args.paths = [*given, *args.paths]
        args.namespace = args.project = None
        args.dataset = args.to
    elif hasattr(args, "to") and (args.project is None or args.dataset is None):
        raise UsageError(
            "datasets upload takes NS PROJECT DATASET PATH..., or --to DATASET PATH... "
            f"in a folder with a {PROJECT_FILE}"
        )
    if args.namespace is not None and args.project is not None:
        return
    if args.namespace is not None or args.project is not None:
        raise UsageError(f"give both NS and PROJECT, or neither (then ./{PROJECT_FILE} names the project)")
    args.namespace, args.project = project_in(cwd or Path.cwd())


def project_in(folder: Path) -> tuple[str, str]:
    """(namespace, name) of ``folder/llamafarm.yaml``; a :class:`UsageError` saying what is
    missing otherwise."""
    path = folder / PROJECT_FILE
    if not path.is_file():
        raise UsageError(
            f"no project given: pass NS PROJECT, or run in a folder with a {PROJECT_FILE} "
            "(`llamafarm init` writes one)"
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise UsageError(f"cannot read ./{PROJECT_FILE}: {type(err).__name__}") from err
    values = [data.get(key) if isinstance(data, dict) else None for key in ("namespace", "name")]
    if not all(isinstance(v, str) and v.strip() for v in values):
        raise UsageError(f"./{PROJECT_FILE} has no namespace and name; pass NS PROJECT")
    return str(values[0]).strip(), str(values[1]).strip()
