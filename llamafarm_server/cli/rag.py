"""``llamafarm rag query|health|databases|documents|stats`` against a running server."""

from __future__ import annotations

import argparse
import json
from typing import Any

from llamafarm_server.cli.client import CliError, add_server_arg, call, show
from llamafarm_server.cli.output import error, print_table
from llamafarm_server.cli.project_file import add_project_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rag", help="query the RAG databases of a project")
    psub = p.add_subparsers(dest="action", required=True)

    q = psub.add_parser("query", help="search a database")
    add_project_args(q)
    q.add_argument("query")
    q.add_argument("--database", default=None)
    q.add_argument("--strategy", dest="retrieval_strategy", default=None, help="configured name or type")
    q.add_argument("--top-k", dest="top_k", type=int, default=None)
    q.add_argument("--threshold", dest="score_threshold", type=float, default=None)
    q.add_argument("--filter", dest="filters", action="append", default=[], metavar="KEY=VALUE",
                   help="equality filter (repeatable); VALUE is JSON when it parses, else text")  # fmt: skip
    q.add_argument(
        "--filters-json", default=None, help='metadata_filters as JSON, e.g. \'{"page": {"$gte": 2}}\''
    )
    q.add_argument("--metric", dest="distance_metric", default=None)
    q.add_argument(
        "--alpha", dest="hybrid_alpha", type=float, default=None, help="hybrid_alpha (1 vector, 0 BM25)"
    )
    q.add_argument("--rerank-model", dest="rerank_model", default=None)
    q.add_argument("--expand", dest="query_expansion", action="store_true", help="query_expansion")
    q.add_argument("--max-tokens", dest="max_tokens", type=int, default=None)
    q.set_defaults(func=_query)

    health = psub.add_parser("health", help="health of the databases")
    add_project_args(health)
    health.add_argument("--database", default=None)
    health.set_defaults(func=_health)

    for action, func, text in (("databases", _databases, "list the databases"), ("stats", _stats, "totals")):
        c = psub.add_parser(action, help=text)
        add_project_args(c)
        c.set_defaults(func=func)

    docs = psub.add_parser("documents", help="files stored in a database")
    add_project_args(docs)
    docs.add_argument("database")
    docs.set_defaults(func=_documents)
    for parser in psub.choices.values():
        add_server_arg(parser)


def _value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _filters(args: argparse.Namespace) -> dict[str, Any] | None:
    filters: dict[str, Any] = {}
    if args.filters_json:
        try:
            filters.update(json.loads(args.filters_json))
        except ValueError as err:
            error(f"error: --filters-json is not JSON: {err}")
            raise CliError(2) from None
    for item in args.filters:
        key, sep, value = item.partition("=")
        if not sep or not key:
            error(f"error: --filter wants KEY=VALUE, got {item!r}")
            raise CliError(2)
        filters[key] = _value(value)
    return filters or None


def _query(args: argparse.Namespace) -> None:
    fields = ("database", "retrieval_strategy", "top_k", "score_threshold", "distance_metric", "hybrid_alpha")
    body: dict[str, Any] = {"query": args.query}
    body.update(
        {k: getattr(args, k) for k in (*fields, "rerank_model", "max_tokens") if getattr(args, k) is not None}
    )
    if args.query_expansion:
        body["query_expansion"] = True
    filters = _filters(args)
    if filters:
        body["metadata_filters"] = filters
    data = call(args, "POST", f"/v1/projects/{args.namespace}/{args.project}/rag/query", json=body)
    if args.json:
        show(data)
        return
    print(f"{data['total_results']} results from {data['database_used']} ({data['retrieval_strategy_used']}, "
          f"{data['processing_time_ms']:.0f} ms)")  # fmt: skip
    for warning in data.get("warnings", []):
        print(f"warning: {warning}")
    for i, r in enumerate(data["results"], start=1):
        name = r["metadata"].get("filename", r["document_id"])
        page = f" p.{r['metadata']['page']}" if "page" in r["metadata"] else ""
        text = " ".join(r["content"].split())
        print(f"\n{i}. {r['score']:.3f}  {name}{page}\n   {text[:300]}{'…' if len(text) > 300 else ''}")


def _health(args: argparse.Namespace) -> None:
    params = {"database": args.database} if args.database else None
    data = call(args, "GET", f"/v1/projects/{args.namespace}/{args.project}/rag/health", params=params)
    if args.json:
        show(data)
        return
    print(f"overall: {data['status']}")
    for db in data["databases"]:
        print(f"  {db['name']}: {db['status']}, {db['document_count']} documents, {db['chunk_count']} chunks, "
              f"{db['size_bytes']} bytes, embedder {db['embedder_model']} loads={db['embedder_loads']}")  # fmt: skip
        for issue in db["issues"]:
            print(f"    - {issue}")


def _databases(args: argparse.Namespace) -> None:
    data = call(args, "GET", f"/v1/projects/{args.namespace}/{args.project}/rag/databases")
    if args.json:
        show(data)
        return
    print_table(
        "databases",
        ("name", "type", "default", "embedder", "retrieval", "documents", "chunks"),
        _db_rows(data),
    )


def _db_rows(data: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            d["name"],
            d["type"],
            "yes" if d.get("is_default") else "",
            d.get("embedder_model") or d.get("embedder"),
            ", ".join(r["name"] for r in d.get("retrieval_strategies") or []),
            d["document_count"],
            d["chunk_count"],
        )
        for d in data.get("databases", [])
    ]


def _documents(args: argparse.Namespace) -> None:
    data = call(
        args, "GET", f"/v1/projects/{args.namespace}/{args.project}/rag/databases/{args.database}/documents"
    )
    if args.json:
        show(data)
        return
    for doc in data["documents"]:
        print(f"{doc['file_hash'][:12]}  {doc['chunk_count']:>5} chunks  {doc['filename']}")
    print(f"{data['total']} documents, {data['total_chunks']} chunks")


def _stats(args: argparse.Namespace) -> None:
    data = call(args, "GET", f"/v1/projects/{args.namespace}/{args.project}/rag/stats")
    if args.json:
        show(data)
        return
    print_table(
        f"{data['database_count']} databases, {data['document_count']} documents, {data['chunk_count']} chunks, "
        f"{data['size_bytes']} bytes",
        ("name", "type", "default", "embedder", "retrieval", "documents", "chunks"),
        _db_rows(data),
    )
