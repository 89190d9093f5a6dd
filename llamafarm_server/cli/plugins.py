"""``llamafarm plugins list``: the components a server can use, by kind."""

from __future__ import annotations

import argparse

from llamafarm_server.cli.client import add_server_arg, client_of
from llamafarm_server.cli.output import emit_json, print_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plugins", help="the components (parsers, stores, …) a server has")
    psub = p.add_subparsers(dest="action", required=True)
    ls = psub.add_parser("list", help="kinds, names, aliases and options")
    ls.add_argument("--kind", default=None, help="only this kind (e.g. parser, store)")
    add_server_arg(ls)
    ls.set_defaults(func=_list)


def _options(schema: dict) -> str:
    props = schema.get("properties") or {}
    return ", ".join(sorted(props))


def _list(args: argparse.Namespace) -> None:
    data = client_of(args).list_plugins()
    if args.kind:
        kind = args.kind.rstrip("s")
        data = {**data, "plugins": [p for p in data["plugins"] if p["kind"].rstrip("s") == kind]}
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
