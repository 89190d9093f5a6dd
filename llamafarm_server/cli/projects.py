"""``llamafarm projects list|create|show|delete``."""

from __future__ import annotations

import argparse

from llamafarm_server.cli.client import add_server_arg, call, show


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
        ("show", _show, "print a project's config"),
        ("delete", _delete, "delete a project"),
    ):
        q = psub.add_parser(action, help=text)
        q.add_argument("namespace")
        q.add_argument("name")
        q.set_defaults(func=func)
    for q in (ls, create, *[psub.choices["show"], psub.choices["delete"]]):
        add_server_arg(q)


def _list(args: argparse.Namespace) -> None:
    data = call(args, "GET", f"/v1/projects/{args.namespace}")
    for p in data["projects"]:
        print(f"{p['namespace']}/{p['name']}")


def _create(args: argparse.Namespace) -> None:
    body = {"name": args.name, "config_template": args.template}
    show(call(args, "POST", f"/v1/projects/{args.namespace}", json=body))


def _show(args: argparse.Namespace) -> None:
    show(call(args, "GET", f"/v1/projects/{args.namespace}/{args.name}"))


def _delete(args: argparse.Namespace) -> None:
    data = call(args, "DELETE", f"/v1/projects/{args.namespace}/{args.name}")
    print(f"deleted {data['project']['namespace']}/{data['project']['name']}")
