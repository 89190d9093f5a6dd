"""The web UI in a real Chromium against a real ``llamafarm serve`` (behind an API key):
create a project, upload three files, watch processing finish, search, chat with a streamed
answer and its sources, edit the config with a mistake and see the error, check the health
page, phone width, and deletion. Any console error the test did not expect fails it.

Screenshots of each page go to a temp dir, or to docs/images/ with LF_UI_SCREENSHOTS=1.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.conftest import ServerProcess

pytestmark = pytest.mark.slow
API_KEY = "ui-test-key-0123456789"
NS, PROJECT, DATASET = "demo", "zoo", "animals"
FILES = {
    "llamas.md": "# Llamas\n\nLlamas are domesticated South American camelids. A llama can carry "
    "25 to 30 percent of its body weight for several miles.\n",
    "alpacas.txt": "Alpacas are smaller than llamas and are bred for their soft fleece.\n",
    "vicunas.txt": "Vicunas live in the high alpine areas of the Andes and are wild relatives of alpacas.\n",
}
BROKEN = "broken.pdf"  # fails alone, with its reason
SLOW_MS = 120_000  # waits that load a model (generous: CI machines may be busy)
PAGES = ["projects", "config", "datasets", "search", "chat", "health"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("ui") / "served"
    data_dir.mkdir()
    server = ServerProcess(data_dir, env={"LF_API_KEY": API_KEY}).wait_ready()
    yield server
    server.stop()


class Console:
    """Console errors and uncaught exceptions of a page; expected ones are taken out by name."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))

    def expect(self, pattern: str) -> None:
        """Exactly one error matching ``pattern`` happened (e.g. an expected 4xx); drop it."""
        hits = [e for e in self.errors if re.search(pattern, e)]
        assert len(hits) == 1, f"expected one console error like {pattern!r}, got {self.errors}"
        self.errors.remove(hits[0])

    def assert_clean(self) -> None:
        assert self.errors == [], f"console errors: {self.errors}"


class Steps:
    """Seconds per step, printed at the end (pytest -s shows them)."""

    def __init__(self) -> None:
        self.last = time.monotonic()
        self.times: dict[str, float] = {}

    def done(self, name: str) -> None:
        now = time.monotonic()
        self.times[name] = round(now - self.last, 1)
        self.last = now


@pytest.fixture
def page(chromium: Any, server: ServerProcess) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=server.url)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def shot(page: Any, out: Path, name: str) -> None:
    page.screenshot(path=str(out / f"ui-{name}.png"), full_page=True)


def test_the_whole_workflow_in_a_browser(
    page: Any, server: ServerProcess, screenshot_dir: Path, tmp_path: Path
) -> None:
    console = Console(page)
    steps = Steps()
    (tmp_path / BROKEN).write_bytes(b"%PDF-1.4\nthis is not really a PDF\n")
    uploaded = [*FILES, BROKEN]

    # The page loads without the key; the API answers 401 until the user enters it.
    page.goto("/ui/")
    page.wait_for_selector("#project-list .error")
    assert "API key" in page.inner_text("#project-list")
    console.expect(r"status of 401")
    page.click("#api-key-button")
    page.fill("#key-input", API_KEY)
    page.press("#key-input", "Enter")  # Enter saves
    page.wait_for_selector("#api-key-button:text('API key ✓')")

    # Projects: create one from the rag template in a namespace.
    page.fill("#namespace", NS)
    page.click("text=List projects")
    page.wait_for_selector("#project-list p.muted")
    page.fill("#new-project-name", PROJECT)
    page.select_option("#new-project-template", "rag")
    page.click("#create-project button[type=submit]")
    page.wait_for_selector(f"tr[data-project={PROJECT}]")
    assert page.inner_text("#current-project") == f"{NS}/{PROJECT}"
    shot(page, screenshot_dir, "projects")
    steps.done("projects")

    # Datasets: create, upload three good files and a broken one (each with its own progress),
    # process: the broken one fails alone, with its reason.
    page.click(f"tr[data-project={PROJECT}] >> text=Open")
    page.fill("#new-dataset-name", DATASET)
    page.click("#create-dataset button[type=submit]")
    card = f"section.dataset[data-name={DATASET}]"
    # the three good files dropped on the drop zone at once, the broken one chosen with the picker
    drop = page.evaluate_handle(
        """(files) => {
            const dt = new DataTransfer();
            for (const [name, text] of Object.entries(files)) dt.items.add(new File([text], name));
            return dt;
        }""",
        FILES,
    )
    page.dispatch_event(f"{card} .dropzone", "drop", {"dataTransfer": drop})
    page.wait_for_selector(f"{card} table.files tbody tr:nth-child(3)")
    page.set_input_files(f"{card} input[type=file]", str(tmp_path / BROKEN))
    page.wait_for_selector(f"{card} table.files tbody tr:nth-child(4)")
    uploads = page.locator(f"{card} ul.uploads li")
    assert uploads.count() == 4
    for i in range(4):
        assert uploads.nth(i).get_attribute("data-state") == "done"
        assert uploads.nth(i).locator("progress").evaluate("p => p.value") == 1
    page.click(f"{card} button.process")
    page.wait_for_selector(f"{card} .process-progress[data-state=SUCCESS]", timeout=SLOW_MS)
    progress = page.inner_text(f"{card} .process-progress")
    assert "4/4 files · 3 processed, 0 skipped, 1 failed" in progress
    assert re.search(rf"{BROKEN}: \S", page.inner_text(f"{card} .process-progress .failures")), progress
    rows = page.locator(f"{card} table.files tbody tr")
    by_name = {rows.nth(i).locator("td").first.inner_text().split("\n")[0]: rows.nth(i) for i in range(4)}
    assert sorted(by_name) == sorted(uploaded)
    for name in FILES:
        assert by_name[name].get_attribute("data-status") == "processed"
        assert int(by_name[name].locator("td.chunks").inner_text()) >= 1
    assert by_name[BROKEN].get_attribute("data-status") == "failed"
    assert by_name[BROKEN].locator(".error").inner_text().strip()  # the reason, beside the file
    shot(page, screenshot_dir, "datasets")
    steps.done("datasets")

    # Search: the llama file first, the query's words highlighted, the time shown.
    page.click("header nav >> text=Search")
    page.wait_for_selector("#search-database option", state="attached")
    page.fill("#search-query", "how much weight can a llama carry")
    page.press("#search-query", "Enter")
    page.wait_for_selector("#search-results .result", timeout=SLOW_MS)  # the server loads the embedder
    first = page.locator("#search-results .result").first
    assert first.locator(".source").inner_text() == "llamas.md"
    marks = {m.lower() for m in first.locator("mark").all_inner_texts()}
    assert {"llama", "carry", "weight"} <= marks
    assert re.search(r"server [\d.]+ ms", page.inner_text("#search-results .summary"))
    shot(page, screenshot_dir, "search")
    # a configured strategy, hybrid alpha and a metadata filter reach the server
    page.select_option("#search-strategy", "keyword_search")
    page.check("#search-use-alpha")
    page.fill("#search-alpha", "0.3")
    page.fill("#search-filters", '{"filename": "alpacas.txt"}')
    page.click("#search-form button[type=submit]")
    page.wait_for_selector("#search-results .summary:has-text('keyword_search')")
    assert page.locator("#search-results .result .source").all_inner_texts() == ["alpacas.txt"]
    page.fill("#search-filters", "{not json")
    page.click("#search-form button[type=submit]")
    page.wait_for_selector("#search-results .error:has-text('not valid JSON')")
    steps.done("search")

    # Chat: a streamed answer (several pieces) with its sources beside it.
    page.click("header nav >> text=Chat")
    page.wait_for_selector("#chat-model option", state="attached")
    assert "gemma" in page.inner_text("#chat-model").lower()
    page.fill("#chat-input", "How much weight can a llama carry?")
    page.press("#chat-input", "Enter")
    answer = page.locator(".turn.assistant").last
    page.wait_for_selector(".turn.assistant[data-state=done]", timeout=SLOW_MS)
    assert answer.locator(".text").inner_text().strip()
    assert int(answer.get_attribute("data-deltas") or 0) > 1  # streamed, not one block
    sources = answer.locator(".sources button.source")
    assert sources.count() >= 1 and "llamas.md" in sources.first.inner_text()
    sources.first.focus()
    page.keyboard.press("Enter")  # a source opens its chunk, by keyboard
    assert "25 to 30 percent" in page.inner_text("#chunk-content")
    page.keyboard.press("Escape")
    session = page.locator("#session-list li[data-session]")
    assert session.count() == 1
    shot(page, screenshot_dir, "chat")
    steps.done("chat")
    # Resume the session after a reload: its history comes back from the server.
    page.reload()
    page.click("#session-list li[data-session] button.open")
    page.wait_for_selector(".turn.user")
    assert "How much weight can a llama carry?" in page.inner_text("#messages")
    # The server's session list titles it by the question; the answer's sources come back too.
    assert "How much weight" in page.inner_text("#session-list")
    resumed = page.locator(".turn.assistant .sources button.source")
    assert resumed.count() >= 1 and "llamas.md" in resumed.first.inner_text()
    steps.done("resume")

    # Config: a mistake is shown at its line, and the file on disk is untouched.
    yaml_path = server.data_dir / "projects" / NS / PROJECT / "llamafarm.yaml"
    before = yaml_path.read_text()
    page.click("header nav >> text=Config")
    page.wait_for_selector('#config-status:text("Saved version")')
    text = page.input_value("#config-text")
    assert "type: ChromaStore" in text
    page.fill("#config-text", text.replace("type: ChromaStore", "type: NoSuchStore", 1))
    page.click("#config-save")
    problem = page.locator("#config-problems li.problem").first
    problem.wait_for()
    console.expect(r"status of 422")
    assert "rag.databases[0].type" in problem.inner_text() and "NoSuchStore" in problem.inner_text()
    line = int(problem.get_attribute("data-line") or 0)
    assert "NoSuchStore" in page.input_value("#config-text").split("\n")[line - 1]
    assert page.locator(".gutter .bad-line").inner_text().strip() == str(line)
    assert yaml_path.read_text() == before
    shot(page, screenshot_dir, "config")
    # Someone else saves meanwhile: our save is a 412, explained; after Reload ours goes through.
    auth = {"Authorization": f"Bearer {API_KEY}"}
    project_url = f"{server.url}/v1/projects/{NS}/{PROJECT}"
    theirs = requests.get(project_url, headers=auth, timeout=10).json()["project"]["config"]
    theirs = json.loads(json.dumps(theirs).replace("helpful assistant", "friendly assistant", 1))
    requests.put(project_url, json={"config": theirs}, headers=auth, timeout=30).raise_for_status()
    page.fill("#config-text", text.replace("helpful assistant", "careful assistant", 1))
    page.click("#config-save")
    page.wait_for_selector("#config-problems:has-text('changed on the server')")
    console.expect(r"status of 412")
    page.click("#config-reload")
    page.wait_for_selector('#config-status:text("Saved version")')
    reloaded = page.input_value("#config-text")
    assert "friendly assistant" in reloaded
    page.fill("#config-text", reloaded.replace("friendly assistant", "careful assistant", 1))
    page.click("#config-save")
    page.wait_for_selector('#config-status:text("Saved version")')
    assert "careful assistant" in yaml_path.read_text()
    # A save that drops a dataset asks first (the server would delete it); Esc sends nothing.
    without = yaml.safe_load(page.input_value("#config-text"))
    without.pop("datasets")
    page.fill("#config-text", yaml.safe_dump(without, sort_keys=False))
    page.click("#config-save")
    page.wait_for_selector("#confirm-dialog[open]")
    assert DATASET in page.inner_text("#confirm-title")
    page.keyboard.press("Escape")
    page.wait_for_selector("#confirm-dialog", state="hidden")
    assert yaml.safe_load(yaml_path.read_text())["datasets"][0]["name"] == DATASET
    # Broken YAML never reaches the server; its line is named too.
    page.fill("#config-text", "version: v1\nname: [unclosed\n")
    page.click("#config-save")
    page.wait_for_selector("#config-problems:has-text('does not parse')")
    assert page.locator("#config-problems li.problem").first.get_attribute("data-line") in ("2", "3")
    steps.done("config")

    # Health: every component and the project's database.
    page.click("header nav >> text=Health")
    page.wait_for_selector("#health-databases table")
    for service in ("api", "storage", "redis", "workers"):
        card_text = page.inner_text(f"#health-services [data-service={service}]")
        assert "healthy" in card_text, card_text
    assert "main_db" in page.inner_text("#health-databases")
    shot(page, screenshot_dir, "health")
    steps.done("health")

    # Phone width: no page scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    for name in PAGES:
        page.goto(f"/ui/#/{name}")
        page.wait_for_load_state("networkidle")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"{name} is {width}px wide at phone width"
    page.goto("/ui/#/chat")
    page.click("#session-list li[data-session] button.open")
    page.wait_for_selector(".turn.user")
    shot(page, screenshot_dir, "chat-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    steps.done("phone")

    # Delete the chat session, a file, then the project, each after a confirmation by keyboard.
    page.goto("/ui/#/chat")
    session_id = page.get_attribute("#session-list li[data-session]", "data-session")
    page.click("#session-list li[data-session] button.small")
    page.wait_for_selector("#confirm-dialog[open]")
    page.keyboard.press("Tab")  # from Cancel (autofocus) to the confirming button
    page.keyboard.press("Enter")
    page.wait_for_selector("#session-list li[data-session]", state="detached")
    history = f"{server.url}/v1/projects/{NS}/{PROJECT}/chat/sessions/{session_id}/history"
    assert requests.get(history, headers=auth, timeout=10).status_code == 404
    page.goto("/ui/#/datasets")
    page.click(f"{card} table.files tbody tr:first-child button")
    page.wait_for_selector("#confirm-dialog[open]")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{card} table.files tbody tr:nth-child(4)", state="detached")
    page.goto("/ui/#/projects")
    page.click(f"tr[data-project={PROJECT}] >> text=Delete")
    page.wait_for_selector("#confirm-dialog[open]")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"tr[data-project={PROJECT}]", state="detached")
    assert (
        requests.get(f"{server.url}/v1/projects/{NS}/{PROJECT}", headers=auth, timeout=10).status_code == 404
    )

    steps.done("deletes")
    print("UI workflow steps (s):", steps.times)
    console.assert_clean()


def test_skip_link_and_yaml_paths_map_to_lines(page: Any, server: ServerProcess) -> None:
    """The skip link by keyboard; the editor's path → line mapping (yamlpath.js), run in the
    browser on tricky YAML."""
    console = Console(page)
    page.add_init_script(f"localStorage.setItem('lf.apiKey', '{API_KEY}')")
    page.goto("/ui/#/health")
    page.wait_for_selector("#health-services .card")
    # keyboard: the first Tab reaches the skip link, which moves focus to the page, not away
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("() => [document.activeElement.id, location.hash]") == ["main", "#/health"]
    text = "\n".join(
        [
            "version: v1",  # 1
            "rag:",  # 2
            "  databases:",  # 3
            "    - name: a",  # 4
            "      type: ChromaStore",  # 5
            "    - name: b  # second",  # 6
            "      retrieval_strategies:",  # 7
            "      - type: X",  # 8  (a sequence at its key's indent)
            "        config: {}",  # 9
            "      - type: Y",  # 10
            "runtime:",  # 11
            "  models:",  # 12
            "    -",  # 13
            "      name: m",  # 14
        ]
    )
    lines = page.evaluate(
        """async (text) => {
            const m = await import('/ui/static/js/yamlpath.js');
            const lines = m.pathLines(text);
            const at = (p) => m.lineOf(lines, p);
            return [at('rag.databases[0].type'), at('rag.databases[1].name'),
                    at('rag.databases[1].retrieval_strategies[1].type'),
                    at('rag.databases[1].retrieval_strategies[0].config.x'),
                    at('runtime.models[0].name'), at('runtime.models[0].provider'), at('nope'),
                    m.splitProblems('config.rag.databases[0].type: bad; name: must match ^[a-z]$')];
        }""",
        text,
    )
    assert lines[:7] == [5, 6, 10, 9, 14, 13, None]
    assert lines[7] == [
        {"path": "rag.databases[0].type", "message": "bad"},
        {"path": "name", "message": "must match ^[a-z]$"},
    ]
    console.assert_clean()
