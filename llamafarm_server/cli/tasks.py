"""``llamafarm tasks list|show|cancel``: a project's processing tasks."""

from __future__ import annotations

import argparse
import datetime as dt

from llamafarm_server.cli.client import CliError, add_server_arg, client_of
from llamafarm_server.cli.datasets import report_task
from llamafarm_server.cli.output import emit_json, out, print_table
from llamafarm_server.cli.progress import watch_task
from llamafarm_server.cli.project_file import add_project_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tasks", help="follow or cancel a project's processing tasks")
    tsub = p.add_subparsers(dest="action", required=True)

    ls = tsub.add_parser("list", help="the newest tasks")
    add_project_args(ls)
    ls.add_argument("--limit", type=int, default=20)
    ls.set_defaults(func=_list)

    show = tsub.add_parser("show", help="a task's state and per-file results")
    add_project_args(show)
    show.add_argument("task_id")
    show.add_argument("--wait", action="store_true", help="follow it with a progress bar until it ends")
    show.set_defaults(func=_show)

    cancel = tsub.add_parser("cancel", help="cancel the files that haven't started")
    add_project_args(cancel)
    cancel.add_argument("task_id")
    cancel.set_defaults(func=_cancel)
    for q in (ls, show, cancel):
        add_server_arg(q)


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def _list(args: argparse.Namespace) -> None:
    data = client_of(args).list_tasks(args.namespace, args.project, args.limit)
    if args.json:
        emit_json(data)
        return
    print_table(
        f"tasks of {args.namespace}/{args.project}",
        ("task", "state", "dataset", "created", "done", "processed", "skipped", "failed"),
        (
            (
                t["task_id"],
                t["state"],
                t["dataset"],
                _when(t["created_at"]),
                f"{t['current']}/{t['total']}",
                t["processed_files"],
                t["skipped_files"],
                t["failed_files"],
            )
            for t in data["tasks"]
        ),
    )
    if not data["tasks"]:
        out().print("no tasks")


def _show(args: argparse.Namespace) -> None:
    client = client_of(args)
    if args.wait:
        progress = watch_task(client, args.namespace, args.project, args.task_id, quiet=args.json)
    else:
        progress = client.task(args.namespace, args.project, args.task_id)
    report_task(progress.raw, as_json=args.json)
    if not args.json and not progress.finished:
        out().print(
            f"{progress.done}/{progress.total} files done"
            + (f"; now {progress.current}" if progress.current else "")
        )
    if progress.finished and progress.state != "SUCCESS":
        raise CliError(1)


def _cancel(args: argparse.Namespace) -> None:
    data = client_of(args).cancel_task(args.namespace, args.project, args.task_id)
    if args.json:
        emit_json(data)
        return
    out().print(f"task {data['task_id']} ({data['state']}): {data['message']}")
