"""``llamafarm chat <namespace> <project> "message"``: one chat turn over HTTP.

The answer streams to stdout; the session id goes to stderr (``session: …``) so the next
turn can continue it with ``--session``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import requests

from llamafarm_server.cli.client import CliError, add_server_arg, call, show


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("chat", help="send one chat message to a project's model")
    p.add_argument("namespace")
    p.add_argument("project")
    p.add_argument("message", help="the message ('-' reads it from stdin)")
    p.add_argument("--session", default=None, help="continue this session (default: a new one)")
    p.add_argument("--no-session", action="store_true", help="stateless: no history is kept")
    p.add_argument("--no-rag", action="store_true", help="don't retrieve context from the project's database")
    p.add_argument("--database", default=None, help="retrieve from this database")
    p.add_argument("--model", default=None, help="a runtime.models[].name (default: the project's default)")
    p.add_argument("--max-tokens", type=int, default=None)
    p.add_argument("--temperature", type=float, default=None)
    p.add_argument("--sources", action="store_true", help="print the retrieved sources after the answer")
    p.add_argument("--json", action="store_true", help="print the whole (non-streamed) response as JSON")
    add_server_arg(p)
    p.set_defaults(func=run)


def _body(args: argparse.Namespace, stream: bool) -> dict[str, Any]:
    message = sys.stdin.read() if args.message == "-" else args.message
    body: dict[str, Any] = {"messages": [{"role": "user", "content": message}], "stream": stream}
    optional = {
        "model": args.model,
        "max_tokens": args.max_tokens,
        "temperature": args.temperature,
        "database": args.database,
        "rag_enabled": False if args.no_rag else None,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    return body


def _headers(args: argparse.Namespace) -> dict[str, str]:
    if args.no_session:
        return {"X-No-Session": "true"}
    return {"X-Session-ID": args.session} if args.session else {}


def _print_sources(sources: list[dict[str, Any]]) -> None:
    for i, s in enumerate(sources, 1):
        where = s.get("filename") or s.get("chunk_id")
        page = f", page {s['page']}" if s.get("page") is not None else ""
        print(f"[{i}] {where}{page} (score {s['score']:.2f})", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    path = f"/v1/projects/{args.namespace}/{args.project}/chat/completions"
    if args.json:
        show(call(args, "POST", path, json=_body(args, False), headers=_headers(args)))
        return 0
    url = args.server.rstrip("/") + path
    try:
        resp = requests.post(url, json=_body(args, True), headers=_headers(args), stream=True, timeout=600)
    except requests.ConnectionError:
        print(
            f"error: cannot reach the server at {args.server} (is `llamafarm serve` running?)",
            file=sys.stderr,
        )
        raise CliError(1) from None
    with resp:
        if resp.status_code >= 400:
            try:
                detail = resp.json().get("detail", resp.text)
            except ValueError:
                detail = resp.text
            print(f"error ({resp.status_code}): {detail}", file=sys.stderr)
            raise CliError(1)
        return _relay(resp, args)


def _relay(resp: requests.Response, args: argparse.Namespace) -> int:
    """Print the streamed answer; an error event ends it with exit status 1."""
    sources: list[dict[str, Any]] = []
    for line in resp.iter_lines(decode_unicode=True):
        if not line or not line.startswith("data: "):
            continue
        data = line[len("data: ") :]
        if data == "[DONE]":
            break
        event = json.loads(data)
        if "error" in event:
            print(f"\nerror: {event['error'].get('message')}", file=sys.stderr)
            raise CliError(1)
        for choice in event.get("choices", []):
            print(choice.get("delta", {}).get("content", ""), end="", flush=True)
        sources = event.get("sources") or sources
    print()
    if args.sources:
        _print_sources(sources)
    session = resp.headers.get("X-Session-ID")
    if session:
        print(f"session: {session}", file=sys.stderr)
    return 0
