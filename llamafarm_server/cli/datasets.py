"""``llamafarm datasets list|create|upload|process|remove|delete`` (over HTTP)."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from llamafarm_server.cli.client import CliError, add_server_arg, call, show


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

    upload = dsub.add_parser("upload", help="upload files (directories are read recursively)")
    _project_args(upload)
    upload.add_argument("dataset")
    upload.add_argument("paths", nargs="+", type=Path)
    upload.set_defaults(func=_upload)

    process = dsub.add_parser("process", help="process a dataset's files into its database")
    _project_args(process)
    process.add_argument("dataset")
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
    parser.add_argument("namespace")
    parser.add_argument("project")
    add_server_arg(parser)


def _base(args: argparse.Namespace) -> str:
    return f"/v1/projects/{args.namespace}/{args.project}/datasets"


def _list(args: argparse.Namespace) -> None:
    data = call(args, "GET", _base(args))
    for ds in data["datasets"]:
        details = ds.get("details") or {}
        print(
            f"{ds['name']}  strategy={ds['data_processing_strategy']}  database={ds['database']}  "
            f"files={details.get('total_files', len(ds['files']))}  bytes={details.get('total_size_bytes', '?')}"
        )
        for f in details.get("file_details", []):
            print(f"  {f['hash'][:12]}  {f['status']:<9}  {f['size']:>10}  {f['original_filename']}")


def _create(args: argparse.Namespace) -> None:
    body = {"name": args.name, "data_processing_strategy": args.strategy, "database": args.database}
    show(call(args, "POST", _base(args), json=body))


def _files(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file()))
        elif path.is_file():
            out.append(path)
        else:
            print(f"error: {path} is not a file or directory", file=sys.stderr)
            raise CliError(1)
    return out


def _upload(args: argparse.Namespace) -> None:
    files = _files(args.paths)
    url = f"{_base(args)}/{args.dataset}/data"
    with contextlib.ExitStack() as stack:
        parts = [(p.name, stack.enter_context(open(p, "rb"))) for p in files]
        if len(parts) == 1:
            data = call(args, "POST", url, files={"file": parts[0]})
            print(f"{data['hash'][:12]}  {'skipped' if data['skipped'] else 'uploaded'}  {data['filename']}")
            return
        data = call(args, "POST", url + "/bulk", files=[("files", part) for part in parts])
    for f in data["files"]:
        print(
            f"{(f['hash'] or '-')[:12]:<12}  {f['status']:<8}  {f['filename']}  {f.get('reason') or ''}".rstrip()
        )
    print(f"uploaded {data['uploaded']}, skipped {data['skipped']}, failed {data['failed']}")
    if data["failed"]:
        raise CliError(1)


def _process(args: argparse.Namespace) -> None:
    data = call(args, "POST", f"{_base(args)}/{args.dataset}/process")
    for d in data["details"]:
        extra = d.get("reason") or f"{d['chunks']} chunks via {d['parser']}"
        print(f"{d['hash'][:12]}  {d['status']:<9}  {d['filename']}  {extra}")
    print(
        f"processed {data['processed_files']}, skipped {data['skipped_files']}, failed {data['failed_files']} "
        f"(strategy {data['strategy']}, database {data['database']})"
    )
    if data["failed_files"]:
        raise CliError(1)


def _remove(args: argparse.Namespace) -> None:
    query = "?remove_from_disk=true" if args.from_disk else ""
    show(call(args, "DELETE", f"{_base(args)}/{args.dataset}/data/{args.file_hash}{query}"))


def _delete(args: argparse.Namespace) -> None:
    data = call(args, "DELETE", f"{_base(args)}/{args.dataset}")
    print(f"deleted dataset {data['dataset']['name']} ({data['removed_chunks']} chunks removed)")
