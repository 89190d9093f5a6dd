"""``llamafarm examples list|import``: the bundled example projects."""

from __future__ import annotations

import argparse

from llamafarm_server.cli.client import add_server_arg, client_of
from llamafarm_server.cli.output import emit_json, out, print_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("examples", help="example projects with data, ready to import")
    esub = p.add_subparsers(dest="action", required=True)
    ls = esub.add_parser("list", help="the examples")
    ls.set_defaults(func=_list)

    imp = esub.add_parser("import", help="import an example as a new project (or into one with --into)")
    imp.add_argument("example", help="an example id (see `llamafarm examples list`)")
    imp.add_argument("namespace")
    imp.add_argument("name", help="the new project's name (with --into: the existing project)")
    imp.add_argument("--into", action="store_true", help="add the example's data to an existing project")
    imp.add_argument("--no-process", action="store_true", help="don't start processing the data")
    imp.set_defaults(func=_import)
    for q in (ls, imp):
        add_server_arg(q)


def _list(args: argparse.Namespace) -> None:
    data = client_of(args).list_examples()
    if args.json:
        emit_json(data)
        return
    print_table(
        "examples",
        ("id", "title", "datasets", "data", "tags"),
        (
            (e["id"], e["title"], e["dataset_count"], e["data_size_human"], ", ".join(e.get("tags") or []))
            for e in data["examples"]
        ),
    )


def _import(args: argparse.Namespace) -> None:
    data = client_of(args).import_example(
        args.example, args.namespace, args.name, into_existing=args.into, process=not args.no_process
    )
    if args.json:
        emit_json(data)
        return
    out().print(
        f"imported {args.example} into {data['namespace']}/{data['project']}: "
        f"datasets {', '.join(data['datasets']) or '-'}"
    )
    for task_id in data.get("task_ids") or []:
        out().print(
            f"processing task {task_id} (follow: llamafarm tasks show {data['namespace']} {data['project']} {task_id} --wait)"
        )
