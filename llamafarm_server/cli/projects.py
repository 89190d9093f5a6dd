"""``llamafarm projects list|create|show|delete``."""

from __future__ import annotations

import argparse

import yaml

from llamafarm_server.cli.client import add_server_arg, client_of
from llamafarm_server.cli.output import emit_json, error, out, print_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("projects", help="manage projects on a server")
    psub = p.add_subparsers(dest="action", required=True)

    ls = psub.add_parser("list", help="list the projects of a namespace")
    ls.add_argument("namespace")
    ls.set_defaults(func=_list)

    create = psub.add_parser("create", help="create a project from a template")
    create.add_argument("namespace")
    create.add_argument("name")
    create.add_argument("--template", default=None, help="server (default), rag, or a custom template")
    create.set_defaults(func=_create)

    for action, func, text in (
        ("show", _show, "print a project's config (YAML)"),
        ("delete", _delete, "delete a project"),
    ):
        q = psub.add_parser(action, help=text)
        q.add_argument("namespace")
        q.add_argument("name")
        q.set_defaults(func=func)
    for q in psub.choices.values():
        add_server_arg(q)


def _list(args: argparse.Namespace) -> None:
    data = client_of(args).request("GET", f"/v1/projects/{args.namespace}")
    if args.json:
        emit_json(data)
        return
    print_table(
        f"projects in {args.namespace}",
        ("project", "models", "databases", "datasets"),
        (
            (
                f"{p['namespace']}/{p['name']}",
                len(((p.get("config") or {}).get("runtime") or {}).get("models") or []),
                len(((p.get("config") or {}).get("rag") or {}).get("databases") or []),
                len((p.get("config") or {}).get("datasets") or []),
            )
            for p in data["projects"]
        ),
    )


def _create(args: argparse.Namespace) -> None:
    body = {"name": args.name, "config_template": args.template}
    data = client_of(args).request("POST", f"/v1/projects/{args.namespace}", json=body)
    for warning in data.get("warnings") or []:
        error(f"warning: {warning}")
    if args.json:
        emit_json(data)
        return
    p = data["project"]
    out().print(f"created {p['namespace']}/{p['name']} (template {args.template or 'server'})")


def _show(args: argparse.Namespace) -> None:
    data = client_of(args).request("GET", f"/v1/projects/{args.namespace}/{args.name}")
    if args.json:
        emit_json(data)
        return
    print(yaml.safe_dump(data["project"].get("config"), sort_keys=False, allow_unicode=True), end="")


def _delete(args: argparse.Namespace) -> None:
    data = client_of(args).request("DELETE", f"/v1/projects/{args.namespace}/{args.name}")
    if args.json:
        emit_json(data)
        return
    out().print(f"deleted {data['project']['namespace']}/{data['project']['name']}")
