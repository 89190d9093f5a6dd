"""``NS PROJECT`` default from ``./llamafarm.yaml`` (docs/cli.md, "Which project"): commands run
as subprocesses in a temporary working directory against the CLI tests' live server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ServerProcess
from tests.server.cli_support import json_of, ok, one_line_error, run_cli

pytestmark = pytest.mark.slow
NS, PROJECT = "here", "kb"


def test_no_project_is_one_line_usage_error(tmp_path: Path) -> None:
    """No server is needed to refuse: the project is resolved before any request."""
    url = "http://127.0.0.1:9"  # nothing listens: a request would be a connection error
    missing = one_line_error(run_cli(url, "datasets", "list", cwd=tmp_path), 2)
    assert missing == (
        "error: no project given: pass NS PROJECT, or run in a folder with a llamafarm.yaml "
        "(`llamafarm init` writes one)"
    )
    assert "give both NS and PROJECT" in one_line_error(run_cli(url, "tasks", "list", "ns", cwd=tmp_path), 2)
    assert "no project given" in one_line_error(run_cli(url, "chat", "a question", cwd=tmp_path), 2)

    (tmp_path / "llamafarm.yaml").write_text("version: v1\nname: kb\n")  # no namespace
    assert "has no namespace and name" in one_line_error(run_cli(url, "rag", "stats", cwd=tmp_path), 2)
    (tmp_path / "llamafarm.yaml").write_text("name: [unclosed\n")
    assert "cannot read ./llamafarm.yaml" in one_line_error(run_cli(url, "rag", "stats", cwd=tmp_path), 2)

    ok(run_cli(None, "init", "--force", cwd=tmp_path))
    # upload takes any number of paths: without NS PROJECT the dataset is named with --to
    refused = one_line_error(run_cli(url, "datasets", "upload", "notes", "a.txt", cwd=tmp_path), 2)
    assert "--to DATASET PATH" in refused


def test_commands_take_the_project_from_the_working_directory(
    cli_server: ServerProcess, tmp_path: Path
) -> None:
    url = cli_server.url
    work = tmp_path / "kb"
    work.mkdir()
    ok(run_cli(None, "init", "--template", "rag", "--namespace", NS, cwd=work))  # name: kb (the folder)
    ok(run_cli(url, "projects", "create", NS, PROJECT, "--template", "rag"))
    ok(run_cli(url, "projects", "create", NS, "other", "--template", "rag"))

    def here(*args: str) -> dict:  # type: ignore[type-arg]
        return json_of(run_cli(url, *args, "--json", cwd=work))  # type: ignore[no-any-return]

    assert here("datasets", "create", "notes")["dataset"]["name"] == "notes"
    (work / "gliders.txt").write_text("Gliders climb in rising warm air called thermals.\n")
    (work / "kites.txt").write_text("A kite flies on the wind while tethered.\n")
    uploaded = here("datasets", "upload", "--to", "notes", "gliders.txt", "kites.txt")
    assert (uploaded["uploaded"], uploaded["failed"]) == (2, 0)
    assert here("datasets", "process", "notes")["result"]["processed_files"] == 2
    listed = here("datasets", "list")["datasets"]
    assert [(d["name"], d["details"]["total_files"]) for d in listed] == [("notes", 2)]
    assert here("tasks", "list")["total"] == 1
    hits = here("rag", "query", "What do gliders climb in?")
    assert hits["results"][0]["metadata"]["filename"] == "gliders.txt"
    answer = here("chat", "What do gliders climb in?", "--max-tokens", "4", "--no-session")
    assert answer["object"] == "chat.completion" and answer["sources"][0]["filename"] == "gliders.txt"

    # explicit NS PROJECT win over the folder's project, in the same folder
    ok(run_cli(url, "datasets", "create", NS, "other", "extra", cwd=work))
    other = json_of(run_cli(url, "datasets", "list", NS, "other", "--json", cwd=work))["datasets"]
    assert [d["name"] for d in other] == ["extra"]
    assert [d["name"] for d in here("datasets", "list")["datasets"]] == ["notes"]
