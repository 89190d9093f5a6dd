"""``llamafarm datasets …`` against a real ``llamafarm serve`` process."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import ServerProcess

pytestmark = pytest.mark.slow


def lf(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llamafarm_server.cli", *args, "--server", server.url],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_datasets_commands(cli_server: ServerProcess, tmp_path: Path) -> None:
    s = cli_server  # the CLI tests' shared server (namespace acme is this module's)
    assert lf(s, "projects", "create", "acme", "kb", "--template", "rag").returncode == 0
    created = lf(s, "datasets", "create", "acme", "kb", "notes")
    assert created.returncode == 0, created.stderr
    assert "created dataset notes (strategy universal_processor, database main_db)" in created.stdout

    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "gliders.txt").write_text("Gliders climb in thermals and descend slowly between them.\n")
    (docs / "sub" / "kites.md").write_text("# Kites\n\nA kite flies on the wind while tethered.\n")
    single = tmp_path / "boats.txt"
    single.write_text("Sailing boats tack against the wind.\n")

    bulk = lf(s, "datasets", "upload", "acme", "kb", "notes", str(docs))
    assert bulk.returncode == 0, bulk.stderr
    assert "uploaded 2, skipped 0, failed 0" in bulk.stdout
    one = lf(s, "datasets", "upload", "acme", "kb", "notes", str(single))
    digest = hashlib.sha256(single.read_bytes()).hexdigest()
    assert one.returncode == 0 and "uploaded 1, skipped 0, failed 0" in one.stdout
    assert re.search(rf"{digest[:12]}\s+│\s+uploaded\s+│.*boats\.txt", one.stdout)
    again = lf(s, "datasets", "upload", "acme", "kb", "notes", str(single))
    assert "skipped" in again.stdout

    processed = lf(s, "datasets", "process", "acme", "kb", "notes")
    assert processed.returncode == 0, processed.stdout + processed.stderr
    assert "processed 3, skipped 0, failed 0" in processed.stdout

    listed = lf(s, "datasets", "list", "acme", "kb")
    assert re.search(r"notes\s+│\s+universal_processor\s+│\s+main_db\s+│\s+3\s", listed.stdout)
    assert listed.stdout.count("processed") == 3 and "kites.md" in listed.stdout

    removed = lf(s, "datasets", "remove", "acme", "kb", "notes", digest, "--from-disk")
    assert removed.returncode == 0 and removed.stdout.rstrip().endswith("removed from disk")
    missing = lf(s, "datasets", "remove", "acme", "kb", "notes", digest)
    assert missing.returncode == 1 and "error (404)" in missing.stderr

    deleted = lf(s, "datasets", "delete", "acme", "kb", "notes")
    assert deleted.returncode == 0 and "deleted dataset notes" in deleted.stdout
    assert int(re.search(r"\((\d+) chunks removed\)", deleted.stdout).group(1)) >= 2  # type: ignore[union-attr]
    body = requests.get(f"{s.url}/v1/projects/acme/kb/datasets", timeout=10).json()
    assert body["total"] == 0
    assert lf(s, "datasets", "list", "acme", "ghost").returncode == 1
