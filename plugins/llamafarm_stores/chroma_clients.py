"""Opening and fully releasing Chroma clients.

Chroma keeps one ``System`` per persist directory per process (``SharedSystemClient``), with
its HNSW index in memory. A process that keeps it open does not see what other processes
write afterwards (count() does, query() does not). So an embedded store's ``close()`` must
drop that cached system: then the next open, in any process, reads the latest data from
disk. We count our own open stores per directory and, when the last one closes, evict the
directory's system from Chroma's cache even if something else still holds a reference.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from llamafarm_core.plugin_api import ComponentUnavailable, exempt_from_gc

# chromadb's ClientAPI protocol lacks close(), which its clients have: clients are typed Any.
ClientAPI = Any

log = logging.getLogger(__name__)

_lock = threading.Lock()
_open_per_dir: dict[str, int] = {}


def _chromadb() -> Any:
    """The chromadb module. The first time, what its import left alive (~46,000 objects) is
    exempted from the cyclic GC's full collections (llamafarm_core/gc_tuning.py)."""
    import chromadb

    exempt_from_gc("chromadb")
    return chromadb


def _settings() -> Any:
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False, allow_reset=False)


def open_persistent(directory: Path) -> ClientAPI:
    """An embedded client on ``directory`` (created if missing)."""
    chromadb = _chromadb()

    key = str(directory.resolve())
    directory.mkdir(parents=True, exist_ok=True)
    with _lock:
        client = chromadb.PersistentClient(path=key, settings=_settings())
        _open_per_dir[key] = _open_per_dir.get(key, 0) + 1
    return client


def close_persistent(client: ClientAPI, directory: Path) -> None:
    """Close ``client``; when it was our last open client on ``directory``, make sure
    Chroma's per-process cache holds nothing for it any more."""
    key = str(directory.resolve())
    with _lock:
        try:
            client.close()
        finally:
            left = _open_per_dir.get(key, 1) - 1
            if left > 0:
                _open_per_dir[key] = left
            else:
                _open_per_dir.pop(key, None)
                _evict(key)


def _evict(key: str) -> None:
    from chromadb.api.shared_system_client import SharedSystemClient

    system = SharedSystemClient._identifier_to_system.pop(key, None)
    SharedSystemClient._identifier_to_refcount.pop(key, None)
    if system is not None:
        log.debug("evicting a Chroma system for %s that was still referenced", key)
        system.stop()


def open_http(host: str, port: int, ssl: bool, headers: dict[str, str]) -> ClientAPI:
    """A client of a Chroma server; ComponentUnavailable when it doesn't answer."""
    chromadb = _chromadb()

    try:
        return chromadb.HttpClient(host=host, port=port, ssl=ssl, headers=headers, settings=_settings())
    except Exception as err:  # chromadb raises ValueError or httpx errors for an absent server
        scheme = "https" if ssl else "http"
        raise ComponentUnavailable(
            f"ChromaStore: cannot reach the Chroma server at {scheme}://{host}:{port} ({err})"
        ) from None
