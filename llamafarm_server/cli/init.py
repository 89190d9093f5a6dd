"""``llamafarm init``: write a ``llamafarm.yaml`` from a built-in template into a directory
(no server needed). The file keeps the template's comments; ``name`` and ``namespace`` are set."""

from __future__ import annotations

import argparse
import os
import re
import tempfile
from importlib import resources
from pathlib import Path

from llamafarm_core.names import NAME_PATTERN
from llamafarm_server.cli.client import CliError, add_json_arg
from llamafarm_server.cli.output import emit_json, error, out

TEMPLATES = ("server", "rag")
FILENAME = "llamafarm.yaml"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help=f"write a {FILENAME} from a template into the current directory")
    p.add_argument(
        "--template", choices=TEMPLATES, default="server", help="server (chat) or rag (chat over documents)"
    )
    p.add_argument("--name", default=None, help="project name (default: the directory's name)")
    p.add_argument("--namespace", default="default")
    p.add_argument("--dir", default=".", help="where to write it (default: the current directory)")
    p.add_argument("--force", action="store_true", help=f"overwrite an existing {FILENAME}")
    add_json_arg(p)
    p.set_defaults(func=run)


def _default_name(directory: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", directory.resolve().name).strip("-_")
    return name or "my-project"


def render(template: str, name: str, namespace: str) -> str:
    """The template's text with its ``name:`` and ``namespace:`` lines set."""
    text = resources.files("llamafarm_core.config.templates").joinpath(f"{template}.yaml").read_text("utf-8")
    text = re.sub(r"(?m)^name: .*$", f"name: {name}", text, count=1)
    return re.sub(r"(?m)^namespace: .*$", f"namespace: {namespace}", text, count=1)


def run(args: argparse.Namespace) -> None:
    directory = Path(args.dir)
    if not directory.is_dir():
        error(f"error: {directory} is not a directory")
        raise CliError(1)
    name = args.name or _default_name(directory)
    for label, value in (("name", name), ("namespace", args.namespace)):
        if not re.fullmatch(NAME_PATTERN, value):
            error(f"error: {label} {value!r} is not valid: use letters, digits, '-' and '_'")
            raise CliError(2)
    target = directory / FILENAME
    if target.exists() and not args.force:
        error(f"error: {target} exists; use --force to overwrite it")
        raise CliError(1)
    text = render(args.template, name, args.namespace)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{FILENAME}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a config file is not
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if args.json:
        emit_json(
            {
                "path": str(target.resolve()),
                "template": args.template,
                "name": name,
                "namespace": args.namespace,
            }
        )
        return
    out().print(f"wrote {target} ({args.template} template, project {args.namespace}/{name})")
