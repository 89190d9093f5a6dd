"""``llamafarm plugins list``: the components a server can use, by kind."""

from __future__ import annotations

import argparse

from llamafarm_server.cli.client import CliError, add_server_arg, client_of
from llamafarm_server.cli.output import emit_json, error, print_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plugins", help="the components (parsers, stores, …) a server has")
    psub = p.add_subparsers(dest="action", required=True)
    ls = psub.add_parser("list", help="kinds, names, aliases and options")
    ls.add_argument(
        "--kind",
        default=None,
        help="only this kind (parser, extractor, embedder, store, retriever, provider)",
    )
    add_server_arg(ls)
    ls.set_defaults(func=_list)


SHORT_KINDS = {"store": "vector_store", "retriever": "retrieval_strategy", "provider": "model_provider"}


def _kind(given: str, kinds: list[str]) -> str:
    """A kind by its name, plural or short name (``stores`` → ``vector_store``)."""
    word = given.strip().lower().replace("-", "_")
    for candidate in (word, word.removesuffix("s"), SHORT_KINDS.get(word.removesuffix("s"), "")):
        if candidate in kinds:
            return candidate
    error(f"error: unknown plugin kind {given!r}; kinds: {', '.join(kinds)}")
    raise CliError(2)


def _options(schema: dict) -> str:
    props = schema.get("properties") or {}
    return ", ".join(sorted(props))


def _list(args: argparse.Namespace) -> None:
    data = client_of(args).list_plugins()
    if args.kind:
        kind = _kind(args.kind, data["kinds"])
        data = {**data, "plugins": [p for p in data["plugins"] if p["kind"] == kind]}
    if args.json:
        emit_json(data)
        return
    print_table(
        "plugins",
        ("kind", "name", "aliases", "package", "options"),
        (
            (
                p["kind"],
                p["name"],
                ", ".join(p["aliases"]),
                p["package"],
                _options(p.get("config_schema") or {}),
            )
            for p in sorted(data["plugins"], key=lambda p: (p["kind"], p["name"]))
        ),
    )
