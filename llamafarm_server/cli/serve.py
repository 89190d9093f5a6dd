"""``llamafarm serve``: run the HTTP server (the jobs layer adds embedded Redis and workers)."""

from __future__ import annotations

import argparse
import logging
import os

from aiohttp import web


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the server")
    p.add_argument("--host", default=os.environ.get("LF_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("LF_PORT", "8000")))
    p.add_argument("--data-dir", default=None, help="data directory (default: $LF_DATA_DIR or ~/.llamafarm)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from llamafarm_core.offline import enforce_offline
    from llamafarm_core.settings import Settings
    from llamafarm_server.app import create_app

    enforce_offline()
    if args.data_dir:
        os.environ["LF_DATA_DIR"] = args.data_dir
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    app = create_app(settings)
    print(f"LlamaFarm serving on http://{args.host}:{args.port} (data: {settings.data_dir})", flush=True)
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)
    return 0
