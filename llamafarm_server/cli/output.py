"""Where the CLI writes: results to stdout (rich tables, or JSON with ``--json``), errors,
progress and prompts to stderr. No rich markup anywhere: names and messages are printed as
they are (``[y/N]`` or a file called ``[draft].md`` must not vanish)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

WIDTH_WHEN_PIPED = 200  # tables in a pipe or a file are not cut to 80 columns


@cache
def out() -> Console:
    return Console(width=None if sys.stdout.isatty() else WIDTH_WHEN_PIPED, highlight=False, markup=False)


@cache
def err() -> Console:
    return Console(
        stderr=True, width=None if sys.stderr.isatty() else WIDTH_WHEN_PIPED, highlight=False, markup=False
    )


def emit_json(data: Any) -> None:
    """JSON on stdout, nothing else (no colour, no wrapping)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def error(message: str) -> None:
    """One line on stderr."""
    print(" ".join(message.split()), file=sys.stderr, flush=True)


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    t = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for c in columns:
        t.add_column(c, overflow="fold")
    for row in rows:
        t.add_row(*(Text("" if v is None else str(v)) for v in row))  # no markup in user data
    return t


def print_table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    out().print(table(title, columns, rows))


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
