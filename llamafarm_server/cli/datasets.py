"""``llamafarm datasets list|create|upload|process|remove|delete`` (over HTTP)."""

from __future__ import annotations

import argparse
import sys

from llamafarm_server.cli.client import CliError, add_server_arg, client_of
from llamafarm_server.cli.output import emit_json, human_bytes, out, print_table
from llamafarm_server.cli.progress import upload_bar, watch_task
from llamafarm_server.cli.project_file import add_project_args
from llamafarm_server.client import LlamaFarmClient, UploadSummary


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("datasets", help="manage a project's datasets on a server")
    dsub = p.add_subparsers(dest="action", required=True)

    ls = dsub.add_parser("list", help="list datasets and their files")
    _project_args(ls)
    ls.set_defaults(func=_list)

    create = dsub.add_parser("create", help="create a dataset")
    _project_args(create)
    create.add_argument("name")
    create.add_argument("--strategy", default=None, help="data processing strategy (default: the only one)")
    create.add_argument("--database", default=None, help="database (default: rag.default_database)")
    create.set_defaults(func=_create)

    upload = dsub.add_parser("upload", help="upload files, directories (recursively) and globs")
    _project_args(upload)
    upload.add_argument("dataset", nargs="?", metavar="DATASET")
    upload.add_argument("paths", nargs="+", help="files, directories or globs ('docs/**/*.pdf')")
    upload.add_argument(
        "--to",
        default=None,
        metavar="DATASET",
        help="the dataset, in a folder with llamafarm.yaml: then every argument is a path",
    )
    upload.add_argument("--batch-files", type=int, default=None, help="files per request (default 200)")
    upload.add_argument("--batch-mb", type=float, default=None, help="MB per request (default 32)")
    upload.set_defaults(func=_upload)

    process = dsub.add_parser("process", help="process a dataset's files into its database")
    _project_args(process)
    process.add_argument("dataset")
    process.add_argument("--no-wait", action="store_true", help="start the task, print its id and return")
    process.set_defaults(func=_process)

    remove = dsub.add_parser("remove", help="remove a file (by hash) from a dataset")
    _project_args(remove)
    remove.add_argument("dataset")
    remove.add_argument("file_hash")
    remove.add_argument("--from-disk", action="store_true", help="also delete the stored file if unused")
    remove.set_defaults(func=_remove)

    delete = dsub.add_parser("delete", help="delete a dataset and its chunks")
    _project_args(delete)
    delete.add_argument("dataset")
    delete.set_defaults(func=_delete)


def _project_args(parser: argparse.ArgumentParser) -> None:
    add_project_args(parser)
    add_server_arg(parser)


def _base(args: argparse.Namespace) -> str:
    return f"/v1/projects/{args.namespace}/{args.project}/datasets"


def _list(args: argparse.Namespace) -> None:
    data = client_of(args).list_datasets(args.namespace, args.project)
    if args.json:
        emit_json(data)
        return
    rows = []
    for ds in data["datasets"]:
        details = ds.get("details") or {}
        size = details.get("total_size_bytes")
        rows.append(
            (
                ds["name"],
                ds["data_processing_strategy"],
                ds["database"],
                details.get("total_files", len(ds["files"])),
                human_bytes(size) if size is not None else "?",
            )
        )
    print_table("datasets", ("name", "strategy", "database", "files", "size"), rows)
    for ds in data["datasets"]:
        files = (ds.get("details") or {}).get("file_details", [])
        if files:
            print_table(
                f"{ds['name']}: files",
                ("hash", "status", "size", "filename", "reason"),
                (
                    (
                        f["hash"][:12],
                        f["status"],
                        human_bytes(f["size"]),
                        f["original_filename"],
                        f.get("reason") or "",
                    )
                    for f in files
                ),
            )


def _create(args: argparse.Namespace) -> None:
    body = {"name": args.name, "data_processing_strategy": args.strategy, "database": args.database}
    data = client_of(args).request("POST", _base(args), json=body)
    if args.json:
        emit_json(data)
        return
    ds = data["dataset"]
    out().print(
        f"created dataset {ds['name']} (strategy {ds['data_processing_strategy']}, database {ds['database']})"
    )


def _upload(args: argparse.Namespace) -> None:
    client = client_of(args)
    max_bytes = int(args.batch_mb * 1024 * 1024) if args.batch_mb else None
    with upload_bar(enabled=not args.json) as on_progress:
        summary = client.upload(
            args.namespace,
            args.project,
            args.dataset,
            args.paths,
            on_progress=on_progress,
            max_files=args.batch_files,
            max_bytes=max_bytes,
        )
    if args.json:
        emit_json(summary.to_dict())
    else:
        _upload_report(summary)
    if summary.failed:
        raise CliError(1)


def _upload_report(summary: UploadSummary) -> None:
    shown = [f for f in summary.files if f.status == "failed"]
    if summary.total <= 50:
        shown = summary.files
    if shown:
        print_table(
            "files" if shown is summary.files else "failed files",
            ("hash", "status", "size", "file", "reason"),
            (((f.hash or "-")[:12], f.status, human_bytes(f.size), f.path, f.reason) for f in shown),
        )
    print_table(
        "upload summary",
        ("files", "uploaded", "skipped (duplicates)", "failed", "bytes", "requests"),
        [
            (
                summary.total,
                summary.uploaded,
                summary.skipped,
                summary.failed,
                human_bytes(summary.bytes),
                summary.batches,
            )
        ],
    )
    out().print(f"uploaded {summary.uploaded}, skipped {summary.skipped}, failed {summary.failed}")


def _process(args: argparse.Namespace) -> None:
    client = client_of(args)
    task_id = client.start_processing(args.namespace, args.project, args.dataset)
    if args.no_wait:
        if args.json:
            emit_json({"task_id": task_id})
        else:
            print(task_id)
        return
    final = watch_task(client, args.namespace, args.project, task_id, quiet=args.json)
    report_task(final.raw, as_json=args.json)
    if final.failed or final.state != "SUCCESS":
        raise CliError(1)


def report_task(data: dict, as_json: bool) -> None:
    """A task's result: the raw response with ``--json``, else tables."""
    if as_json:
        emit_json(data)
        return
    result = data.get("result") or {}
    details = result.get("details") or []
    if details:
        print_table(
            "files",
            ("hash", "status", "file", "result"),
            (
                (
                    (d.get("hash") or "")[:12],
                    d.get("status"),
                    d.get("filename"),
                    d.get("reason")
                    or (f"{d['chunks']} chunks via {d.get('parser')}" if "chunks" in d else ""),
                )
                for d in details
            ),
        )
    out().print(
        f"task {data['task_id']}: {data['state']}; processed {result.get('processed_files', 0)}, "
        f"skipped {result.get('skipped_files', 0)}, failed {result.get('failed_files', 0)}"
    )
    if data.get("error"):
        print(f"error: {data['error']}", file=sys.stderr)


def _remove(args: argparse.Namespace) -> None:
    query = {"remove_from_disk": "true"} if args.from_disk else None
    data = client_of(args).request(
        "DELETE", f"{_base(args)}/{args.dataset}/data/{args.file_hash}", params=query
    )
    if args.json:
        emit_json(data)
        return
    disk = "; removed from disk" if data.get("removed_from_disk") else ""
    out().print(
        f"removed {data['file_hash'][:12]} from {data['dataset']} ({data['removed_chunks']} chunks){disk}"
    )


def _delete(args: argparse.Namespace) -> None:
    data = client_of(args).request("DELETE", f"{_base(args)}/{args.dataset}")
    if args.json:
        emit_json(data)
        return
    out().print(f"deleted dataset {data['dataset']['name']} ({data['removed_chunks']} chunks removed)")


__all__ = ["LlamaFarmClient", "register", "report_task"]
