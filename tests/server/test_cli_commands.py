"""Every ``llamafarm`` command that talks to a server, run as a subprocess against one live
``llamafarm serve`` (human and ``--json`` output, errors, the upload of 3,000 files under
the usual open-file limit, Ctrl-C during processing)."""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest
import requests
import yaml

from llamafarm_server.client.models import TERMINAL_STATES
from tests.conftest import ServerProcess
from tests.server.cli_support import LF, json_of, ok, one_line_error, run_cli

pytestmark = pytest.mark.slow
NS = "cli"


@pytest.fixture(scope="module")
def server(cli_server: ServerProcess) -> ServerProcess:
    return cli_server


def docs(root: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    (root / "gliders.txt").write_text("Gliders climb in thermals and descend slowly between them.\n")
    (root / "sub" / "kites.md").write_text("# Kites\n\nA kite flies on the wind while tethered.\n")
    (root / "sub" / "blob.bin").write_bytes(b"\x00\x01\x02 no parser takes this")
    return root


def test_init_writes_a_project_file_from_a_template(tmp_path: Path) -> None:
    work = tmp_path / "my shop"
    work.mkdir()
    wrote = ok(run_cli(None, "init", "--template", "rag", cwd=work))
    assert "wrote llamafarm.yaml (rag template, project default/my-shop)" in wrote.stdout
    text = (work / "llamafarm.yaml").read_text()
    assert text.startswith("#")  # the template's comments are kept
    config = yaml.safe_load(text)
    assert (config["name"], config["namespace"]) == ("my-shop", "default")
    assert config["rag"]["databases"]

    again = one_line_error(run_cli(None, "init", cwd=work))
    assert "llamafarm.yaml exists; use --force" in again
    forced = json_of(
        run_cli(None, "init", "--force", "--name", "bot", "--namespace", "team", "--json", cwd=work)
    )
    assert forced == {
        "path": str(work / "llamafarm.yaml"),
        "template": "server",
        "name": "bot",
        "namespace": "team",
    }
    assert "rag" not in yaml.safe_load((work / "llamafarm.yaml").read_text())
    assert "is not valid" in one_line_error(run_cli(None, "init", "--name", "../x", "--force", cwd=work), 2)


def test_projects_datasets_and_tasks_human_and_json(server: ServerProcess, tmp_path: Path) -> None:
    url = server.url
    created = json_of(run_cli(url, "projects", "create", NS, "kb", "--template", "rag", "--json"))
    assert created["project"]["config"]["rag"]["default_database"] == "main_db"
    listed = ok(run_cli(url, "projects", "list", NS))
    assert re.search(r"cli/kb\s+│\s+1\s+│\s+1\s+│\s+0", listed.stdout), listed.stdout
    assert [p["name"] for p in json_of(run_cli(url, "projects", "list", NS, "--json"))["projects"]] == ["kb"]
    shown = yaml.safe_load(ok(run_cli(url, "projects", "show", NS, "kb")).stdout)
    assert shown["name"] == "kb" and shown["namespace"] == NS

    assert (
        "created dataset notes (strategy universal_processor, database main_db)"
        in ok(run_cli(url, "datasets", "create", NS, "kb", "notes")).stdout
    )

    # upload: a directory (recursively); the summary table counts uploads; then duplicates
    folder = docs(tmp_path / "docs")
    first = ok(run_cli(url, "datasets", "upload", NS, "kb", "notes", str(folder)))
    assert "uploaded 3, skipped 0, failed 0" in first.stdout
    assert "upload summary" in first.stdout and "kites.md" in first.stdout
    assert first.stderr == ""  # progress bars are for terminals (see the pseudo-terminal test)
    again = json_of(
        run_cli(url, "datasets", "upload", NS, "kb", "notes", str(folder / "**" / "*.md"), "--json")
    )
    assert (again["total"], again["uploaded"], again["skipped"], again["failed"]) == (1, 0, 1, 0)
    assert again["files"][0]["filename"] == "kites.md" and len(again["files"][0]["hash"]) == 64
    missing = one_line_error(run_cli(url, "datasets", "upload", NS, "kb", "nowhere", str(folder)))
    assert missing.startswith("error (404)") and "nowhere" in missing
    assert "no such file" in one_line_error(
        run_cli(url, "datasets", "upload", NS, "kb", "notes", "/no/such/file")
    )

    # process: a table with the failure's reason, exit 1 for the failed file
    processed = run_cli(url, "datasets", "process", NS, "kb", "notes")
    assert processed.returncode == 1, processed.stderr
    assert re.search(r"blob\.bin\s+│\s+unsupported file type", processed.stdout), processed.stdout
    assert re.search(r"task [0-9a-f-]{36}: SUCCESS; processed 2, skipped 0, failed 1", processed.stdout)
    task_id = re.search(r"task ([0-9a-f-]{36})", processed.stdout).group(1)  # type: ignore[union-attr]

    # once more, as JSON: the files are skipped now (nothing new); the task response as the API gives it
    rerun = subprocess.run(
        [*LF, "datasets", "process", NS, "kb", "notes", "--json", "--url", url],
        capture_output=True,
        text=True,
        timeout=300,
    )
    body = json.loads(rerun.stdout)
    assert body["state"] == "SUCCESS" and body["meta"]["total"] == 3
    assert rerun.stderr == ""  # no progress bar with --json

    tasks = json_of(run_cli(url, "tasks", "list", NS, "kb", "--json"))
    assert [t["task_id"] for t in tasks["tasks"]][1] == task_id and tasks["total"] == 2
    human = ok(run_cli(url, "tasks", "list", NS, "kb"))
    assert task_id in human.stdout and "SUCCESS" in human.stdout and "3/3" in human.stdout
    shown_task = json_of(run_cli(url, "tasks", "show", NS, "kb", task_id, "--json"))
    assert shown_task["result"]["failed_files"] == 1
    failed_detail = next(d for d in shown_task["result"]["details"] if d["status"] == "failed")
    assert "unsupported file type" in failed_detail["reason"]
    assert "blob.bin" in run_cli(url, "tasks", "show", NS, "kb", task_id).stdout
    cancelled = json_of(run_cli(url, "tasks", "cancel", NS, "kb", task_id, "--json"))
    assert cancelled["message"] == "the task had already finished; nothing to cancel"
    assert "not found" in one_line_error(
        run_cli(url, "tasks", "show", NS, "kb", "0b1c1f70-8a66-4e8e-9f57-0c0f0b0b0b0b")
    )

    # --no-wait prints only the id; `tasks show --wait` follows it to the end
    no_wait = ok(run_cli(url, "datasets", "process", NS, "kb", "notes", "--no-wait"))
    new_id = no_wait.stdout.strip()
    assert re.fullmatch(r"[0-9a-f-]{36}", new_id)
    waited = json_of(run_cli(url, "tasks", "show", NS, "kb", new_id, "--wait", "--json"))
    assert waited["task_id"] == new_id and waited["state"] == "SUCCESS"

    ds = json_of(run_cli(url, "datasets", "list", NS, "kb", "--json"))["datasets"][0]
    assert ds["name"] == "notes" and ds["details"]["total_files"] == 3
    table = ok(run_cli(url, "datasets", "list", NS, "kb")).stdout
    assert (
        re.search(r"notes\s+│\s+universal_processor\s+│\s+main_db\s+│\s+3", table) and "gliders.txt" in table
    )
    # the file no parser takes reads "failed" with its reason (it read "pending" before)
    blob = next(f for f in ds["details"]["file_details"] if f["original_filename"] == "blob.bin")
    assert blob["status"] == "failed" and "unsupported file type" in blob["reason"]
    assert re.search(r"│\s+failed\s+│.*blob\.bin\s+│\s+unsupported file type", table), table

    digest = next(f["hash"] for f in ds["details"]["file_details"] if f["original_filename"] == "gliders.txt")
    removed = json_of(run_cli(url, "datasets", "remove", NS, "kb", "notes", digest, "--from-disk", "--json"))
    assert removed["removed_from_disk"] is True and removed["removed_chunks"] >= 1
    assert one_line_error(run_cli(url, "datasets", "remove", NS, "kb", "notes", digest)).startswith(
        "error (404)"
    )
    deleted = ok(run_cli(url, "datasets", "delete", NS, "kb", "notes"))
    assert re.search(r"deleted dataset notes \(\d+ chunks removed\)", deleted.stdout)
    assert requests.get(f"{url}/v1/projects/{NS}/kb/datasets", timeout=10).json()["total"] == 0


def test_plugins_examples_rag_and_connection_errors(server: ServerProcess) -> None:
    url = server.url
    plugins = json_of(run_cli(url, "plugins", "list", "--json"))
    assert "parser" in plugins["kinds"] and "vector_store" in plugins["kinds"]
    names = {(p["kind"], p["name"]) for p in plugins["plugins"]}
    parsers = json_of(run_cli(url, "plugins", "list", "--kind", "parser", "--json"))["plugins"]
    assert parsers and {p["kind"] for p in parsers} == {parsers[0]["kind"]} and len(parsers) < len(names)
    stores = json_of(run_cli(url, "plugins", "list", "--kind", "stores", "--json"))["plugins"]
    assert stores and {p["kind"] for p in stores} == {"vector_store"}
    assert "kinds: parser" in one_line_error(run_cli(url, "plugins", "list", "--kind", "gizmo"), 2)
    table = ok(run_cli(url, "plugins", "list")).stdout
    csv = next(p for p in plugins["plugins"] if p["name"] == "csv")
    assert all(alias in table for alias in csv["aliases"]) and "delimiter" in table

    examples = json_of(run_cli(url, "examples", "list", "--json"))["examples"]
    example = examples[0]["id"]
    assert example in ok(run_cli(url, "examples", "list")).stdout
    imported = ok(run_cli(url, "examples", "import", example, NS, "demo"))
    task_id = re.search(r"processing task ([0-9a-f-]{36})", imported.stdout).group(1)  # type: ignore[union-attr]
    assert (
        json_of(run_cli(url, "tasks", "show", NS, "demo", task_id, "--wait", "--json"))["state"] == "SUCCESS"
    )
    assert one_line_error(run_cli(url, "examples", "import", example, NS, "demo")).startswith("error (409)")
    assert one_line_error(run_cli(url, "examples", "import", "no-such-example", NS, "x")).startswith(
        "error (404)"
    )

    stats = json_of(run_cli(url, "rag", "stats", NS, "demo", "--json"))
    assert stats["document_count"] >= 1
    assert "documents" in ok(run_cli(url, "rag", "databases", NS, "demo")).stdout
    assert json_of(run_cli(url, "rag", "query", NS, "demo", "lights", "--json"))["total_results"] >= 1
    assert "--filter wants KEY=VALUE" in one_line_error(
        run_cli(url, "rag", "query", NS, "demo", "x", "--filter", "nokey"), 2
    )

    # the server named by LF_URL; an unreachable one is one line on stderr
    env_url = ok(run_cli(None, "projects", "list", NS, "--json", env={"LF_URL": url}))
    assert {"demo"} <= {p["name"] for p in json.loads(env_url.stdout)["projects"]}
    from tests.servers import free_port

    dead = one_line_error(run_cli(f"http://127.0.0.1:{free_port()}", "projects", "list", NS))
    assert "cannot reach the server" in dead
    assert "is not a server URL" in one_line_error(run_cli("localhost:8000", "projects", "list", NS))


def _high_water_kib(pid: int) -> int:
    """The process's own peak RSS (VmHWM), which starts afresh at exec. (wait4's ru_maxrss
    would not do: Linux carries the forking parent's peak, here the whole test process with
    its models, into the child.)"""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)


def test_upload_of_3000_files_under_the_usual_open_file_limit(server: ServerProcess, tmp_path: Path) -> None:
    """The old command opened every file at once and failed past ~1,024; now batches stream
    from disk one file at a time, and memory stays small."""
    ok(run_cli(server.url, "projects", "create", NS, "many", "--template", "rag"))
    ok(run_cli(server.url, "datasets", "create", NS, "many", "bulk"))
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(3000):
        (folder / f"f{i:04d}.txt").write_text(f"file {i} of the heap: {'x' * (i % 50)}\n")
    out = tmp_path / "out.json"

    def limit_files() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))

    env = {k: v for k, v in os.environ.items() if k != "LF_URL"}
    err = tmp_path / "err.txt"
    with open(out, "w") as fh, open(err, "w") as eh:
        proc = subprocess.Popen(
            [*LF, "datasets", "upload", NS, "many", "bulk", str(folder), "--json", "--url", server.url],
            stdout=fh,
            stderr=eh,
            preexec_fn=limit_files,
            env=env,
        )
        peak_kib = 0
        while proc.poll() is None:
            peak_kib = max(peak_kib, _high_water_kib(proc.pid))
            time.sleep(0.02)
    assert proc.returncode == 0, err.read_text()
    summary = json.loads(out.read_text())
    assert (summary["total"], summary["uploaded"], summary["failed"]) == (3000, 3000, 0)
    assert summary["batches"] == 15  # 200 files per request
    assert 0 < peak_kib < 200 * 1024, f"the client peaked at {peak_kib // 1024} MB"
    listed = requests.get(f"{server.url}/v1/projects/{NS}/many/datasets", timeout=30).json()
    assert listed["datasets"][0]["details"]["total_files"] == 3000


def _ctrl_c_live() -> None:
    """(in the spawned CLI) SIGINT as at a user's terminal: handled, not blocked. A process
    keeps an ignored or blocked SIGINT across exec, so a test run started in the background
    (``cmd &`` ignores it) must not decide what the CLI under test sees."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def test_ctrl_c_during_processing_asks_before_cancelling(server: ServerProcess, tmp_path: Path) -> None:
    url = server.url
    ok(run_cli(url, "projects", "create", NS, "slow", "--template", "rag"))
    ok(run_cli(url, "datasets", "create", NS, "slow", "pile"))
    folder = tmp_path / "pile"
    folder.mkdir()
    for i in range(150):
        (folder / f"note{i:03d}.txt").write_text(
            f"Note {i}: the harbour light number {i} blinks {i % 7} times.\n"
        )
    env = {k: v for k, v in os.environ.items() if k != "LF_URL"}
    # on a terminal the upload draws its bars (files and bytes) on stderr
    upload = pexpect.spawn(
        sys.executable,
        [*LF[1:], "datasets", "upload", NS, "slow", "pile", str(folder), "--url", url],
        env=env,
        timeout=120,
        encoding="utf-8",
        dimensions=(40, 200),
    )
    upload.expect(r"files .*150/150")
    upload.expect(r"bytes .*/\d")
    upload.expect("uploaded 150, skipped 0, failed 0")
    upload.expect(pexpect.EOF)
    upload.close()
    assert upload.exitstatus == 0

    child = pexpect.spawn(
        sys.executable,
        [*LF[1:], "datasets", "process", NS, "slow", "pile", "--url", url],
        env=env,
        timeout=120,
        encoding="utf-8",
        preexec_fn=_ctrl_c_live,
    )
    try:
        child.expect("processing.*(PENDING|STARTED)")
        child.sendintr()
        child.expect(r"Cancel task ([0-9a-f-]{36})\? \[y/N\]")
        task_id = child.match.group(1)
        child.sendline("n")  # keep watching
        child.expect("n\r\n")
        child.expect("processing.*(PENDING|STARTED)")  # a new bar, polled at least once
        child.sendintr()
        child.expect(r"Cancel task")
        child.sendline("y")
        child.expect(
            rf"task {task_id}: (cancelled \d+ of 150 files|nothing left to cancel|the task had already finished)"
        )
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 130
    shown = run_cli(url, "tasks", "show", NS, "slow", task_id, "--json")
    task = json.loads(shown.stdout)
    assert task["meta"]["total"] == 150
    # `show` exits 1 for a task that ended other than in SUCCESS: one really cancelled before
    # its last file (a slow or cold worker) ends in FAILURE; one still stopping is not ended
    ended_badly = task["state"] in TERMINAL_STATES and task["state"] != "SUCCESS"
    assert shown.returncode == (1 if ended_badly else 0), (task["state"], shown.stderr)


def test_the_server_logs_each_request_and_rejects_a_bad_log_level(
    server: ServerProcess, tmp_path: Path
) -> None:
    requests.get(f"{server.url}/v1/plugins?secret=hunter2", timeout=30)
    line = re.compile(r"INFO llamafarm\.access: GET /v1/plugins 200 \d+\.\dms")
    deadline = time.monotonic() + 10  # aiohttp logs a request after its response has gone out
    while not line.search(log := server.log(tail=None)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert line.search(log), log[-2000:]
    assert "hunter2" not in log
    bad = subprocess.run(
        [*LF, "serve", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "LF_LOG_LEVEL": "chatty", "LF_DATA_DIR": str(tmp_path / "d")},
    )
    assert bad.returncode == 2 and "LF_LOG_LEVEL='chatty' is not a level" in bad.stderr


def test_an_api_key_is_sent_as_a_bearer_token(tmp_path: Path) -> None:
    key = "cli-test-key-0123456789"
    (tmp_path / "keyed").mkdir()
    server = ServerProcess(tmp_path / "keyed", env={"LF_API_KEY": key}).wait_ready()
    try:
        refused = one_line_error(run_cli(server.url, "projects", "list", NS))
        assert refused.startswith("error (401): missing or wrong API key") and key not in refused
        wrong = one_line_error(run_cli(server.url, "projects", "list", NS, "--api-key", "nope"))
        assert wrong.startswith("error (401)") and "nope" not in wrong
        by_flag = json_of(run_cli(server.url, "projects", "create", NS, "locked", "--api-key", key, "--json"))
        assert by_flag["project"]["name"] == "locked"
        by_env = json_of(run_cli(server.url, "projects", "list", NS, "--json", env={"LF_API_KEY": key}))
        assert [p["name"] for p in by_env["projects"]] == ["locked"]
        assert key not in server.log(tail=None)
    finally:
        server.stop()
