"""The CLI's side of the client: common options (``--url``/``LF_URL``, ``--api-key``/
``LF_API_KEY``, ``--json``) and a :class:`LlamaFarmClient` made from them."""

from __future__ import annotations

import argparse
import os
from typing import Any

from llamafarm_server.cli.output import emit_json
from llamafarm_server.client import ClientError, LlamaFarmClient
from llamafarm_server.client.api import DEFAULT_URL


def add_server_arg(parser: argparse.ArgumentParser) -> None:
    """The options every command that talks to a server takes."""
    parser.add_argument(
        "--url",
        "--server",
        dest="url",
        default=os.environ.get("LF_URL") or os.environ.get("LF_SERVER_URL") or DEFAULT_URL,
        help="server URL (default: $LF_URL or %(default)s)",
    )
    parser.add_argument(
        "--api-key",
        default=None,
        help="API key sent as a Bearer token (default: $LF_API_KEY)",
    )
    add_json_arg(parser)


def add_json_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON (shapes in docs/cli.md)")


def client_of(args: argparse.Namespace) -> LlamaFarmClient:
    api_key = args.api_key if args.api_key is not None else os.environ.get("LF_API_KEY") or None
    return LlamaFarmClient(args.url, api_key=api_key)


class CliError(SystemExit):
    """Exit with this status (the message has been printed already)."""


def call(args: argparse.Namespace, method: str, path: str, **kw: Any) -> Any:
    """Send a request; a :class:`ClientError` ends the command (see ``cli.main``)."""
    return client_of(args).request(method, path, **kw)


def show(data: Any) -> None:
    emit_json(data)


__all__ = ["CliError", "ClientError", "add_server_arg", "call", "client_of", "show"]
