"""A tiny HTTP client for the CLI: a server URL from ``--server`` or ``LF_SERVER_URL``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import requests

DEFAULT_URL = "http://127.0.0.1:8000"


def add_server_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server",
        default=os.environ.get("LF_SERVER_URL", DEFAULT_URL),
        help="server URL (default: $LF_SERVER_URL or %(default)s)",
    )


class CliError(SystemExit):
    pass


def call(args: argparse.Namespace, method: str, path: str, **kw: Any) -> Any:
    """Send a request; print the server's ``detail`` and exit 1 on an error status."""
    url = args.server.rstrip("/") + path
    try:
        resp = requests.request(method, url, timeout=kw.pop("timeout", 600), **kw)
    except requests.ConnectionError:
        print(
            f"error: cannot reach the server at {args.server} (is `llamafarm serve` running?)",
            file=sys.stderr,
        )
        raise CliError(1) from None
    try:
        data = resp.json()
    except ValueError:
        data = {"detail": resp.text}
    if resp.status_code >= 400:
        print(f"error ({resp.status_code}): {data.get('detail', data)}", file=sys.stderr)
        raise CliError(1)
    return data


def show(data: Any) -> None:
    print(json.dumps(data, indent=2))
