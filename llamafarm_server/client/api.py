"""``LlamaFarmClient``: every call the CLI makes, typed, with progress callbacks for the long
ones (upload, process). One ``requests.Session``; ``Authorization: Bearer <api_key>`` when a
key is given."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests

from llamafarm_server.client.models import ChatTurn, TaskProgress, UploadedFile, UploadProgress, UploadSummary

DEFAULT_URL = "http://127.0.0.1:8000"
TIMEOUT = 60.0
UPLOAD_TIMEOUT = 600.0


class ClientError(Exception):
    """Anything that stops a call; ``str()`` is one line meant for a person."""


class ConnectionFailed(ClientError):
    pass


class ApiError(ClientError):
    """The server answered an error status; ``detail`` is its explanation."""

    def __init__(self, status: int, detail: Any) -> None:
        self.status = status
        self.detail = detail
        text = detail if isinstance(detail, str) else json.dumps(detail)
        super().__init__(f"error ({status}): {text}")


class LlamaFarmClient:
    def __init__(self, url: str = DEFAULT_URL, api_key: str | None = None, timeout: float = TIMEOUT) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        if api_key:
            self.session.headers["Authorization"] = f"Bearer {api_key}"

    # -- plumbing --------------------------------------------------------------------------

    def _send(self, method: str, path: str, *, stream: bool = False, **kw: Any) -> requests.Response:
        kw.setdefault("timeout", self.timeout)
        try:
            resp = self.session.request(method, self.url + path, stream=stream, **kw)
        except requests.ConnectionError:
            raise ConnectionFailed(
                f"error: cannot reach the server at {self.url} (is `llamafarm serve` running?)"
            ) from None
        except requests.Timeout:
            raise ConnectionFailed(f"error: the server at {self.url} did not answer in time") from None
        except (
            requests.exceptions.InvalidURL,
            requests.exceptions.InvalidSchema,
            requests.exceptions.MissingSchema,
        ):
            raise ClientError(
                f"error: {self.url!r} is not a server URL (like http://127.0.0.1:8000)"
            ) from None
        except requests.RequestException as err:
            raise ConnectionFailed(
                f"error: talking to {self.url} failed: {type(err).__name__}: {err}"
            ) from None
        if resp.status_code >= 400:
            try:
                body = resp.json()
                detail = body.get("detail", body) if isinstance(body, dict) else body
            except ValueError:
                detail = resp.text.strip() or resp.reason
            resp.close()
            raise ApiError(resp.status_code, detail)
        return resp

    def request(self, method: str, path: str, **kw: Any) -> Any:
        """Send a request; the JSON answer, or :class:`ApiError`."""
        resp = self._send(method, path, **kw)
        try:
            return resp.json()
        except ValueError:
            raise ClientError(f"error: the server answered {path} with something that is not JSON") from None

    @staticmethod
    def _project(namespace: str, project: str) -> str:
        return f"/v1/projects/{namespace}/{project}"

    # -- projects, datasets ---------------------------------------------------------------

    def list_datasets(self, namespace: str, project: str) -> dict[str, Any]:
        return self.request("GET", self._project(namespace, project) + "/datasets")

    def upload(
        self,
        namespace: str,
        project: str,
        dataset: str,
        specs: list[str | Path],
        *,
        on_progress: Callable[[UploadProgress], None] | None = None,
        max_files: int | None = None,
        max_bytes: int | None = None,
    ) -> UploadSummary:
        """Upload files, directories and globs in batches; each file succeeds or fails alone."""
        from llamafarm_server.client import uploads

        files = uploads.collect_files(specs)
        url = self._project(namespace, project) + f"/datasets/{dataset}/data/bulk"
        summary = UploadSummary()
        total_bytes = sum(f.size for f in files)
        sent = 0

        def report(current: str | None) -> None:
            if on_progress:
                on_progress(
                    UploadProgress(
                        files_done=summary.total,
                        files_total=len(files),
                        bytes_done=sent,
                        bytes_total=total_bytes,
                        uploaded=summary.uploaded,
                        skipped=summary.skipped,
                        failed=summary.failed,
                        current=current,
                    )
                )

        def on_bytes(n: int, name: str) -> None:
            nonlocal sent
            sent += n
            report(name)

        report(None)
        for batch in uploads.batches(
            files, max_files or uploads.BATCH_FILES, max_bytes or uploads.BATCH_BYTES
        ):
            start = sent
            body = uploads.MultipartStream(batch, on_bytes)
            headers = {"Content-Type": body.content_type, "Content-Length": str(len(body))}
            try:
                answer = self.request("POST", url, data=body, headers=headers, timeout=UPLOAD_TIMEOUT)
            except ApiError as err:
                if err.status in (404, 401, 403):  # the dataset or access is wrong: stop
                    raise
                answer = {"files": [{"status": "failed", "reason": str(err)} for _ in batch]}
            summary.batches += 1
            results = answer.get("files") or []
            for i, local in enumerate(batch):
                r = (
                    results[i]
                    if i < len(results)
                    else {"status": "failed", "reason": "no answer for this file"}
                )
                summary.add(
                    UploadedFile(
                        path=str(local.path),
                        filename=r.get("filename") or local.path.name,
                        status=r.get("status", "failed"),
                        size=local.size,
                        hash=r.get("hash"),
                        reason=r.get("reason"),
                    )
                )
            sent = start + sum(f.size for f in batch)
            summary.bytes = sent
            report(None)
        return summary

    def start_processing(self, namespace: str, project: str, dataset: str) -> str:
        """Start processing a dataset; the task id (an already running task's, if any)."""
        data = self.request(
            "POST",
            self._project(namespace, project) + f"/datasets/{dataset}/process",
            params={"async_processing": "true"},
        )
        return str(data["task_id"])

    def wait_task(
        self,
        namespace: str,
        project: str,
        task_id: str,
        *,
        on_progress: Callable[[TaskProgress], None] | None = None,
        poll: float = 0.5,
        timeout: float | None = None,
    ) -> TaskProgress:
        """Poll the task until it ends (or ``timeout`` seconds pass); its last state, in full
        once it has ended (the polls ask for summaries: their cost does not grow with the
        task's files)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            progress = self.task(namespace, project, task_id, summary=True)
            if on_progress:
                on_progress(progress)
            if progress.finished:
                return self.task(namespace, project, task_id)
            if deadline is not None and time.monotonic() > deadline:
                return progress
            time.sleep(poll)

    def process(
        self,
        namespace: str,
        project: str,
        dataset: str,
        *,
        on_progress: Callable[[TaskProgress], None] | None = None,
        poll: float = 0.5,
    ) -> TaskProgress:
        task_id = self.start_processing(namespace, project, dataset)
        return self.wait_task(namespace, project, task_id, on_progress=on_progress, poll=poll)

    # -- tasks ---------------------------------------------------------------------------

    def task(self, namespace: str, project: str, task_id: str, *, summary: bool = False) -> TaskProgress:
        """The task's state; ``summary``: only the failed files' details (for polling)."""
        params = {"summary": "true"} if summary else None
        return TaskProgress.from_response(
            self.request("GET", self._project(namespace, project) + f"/tasks/{task_id}", params=params)
        )

    def cancel_task(self, namespace: str, project: str, task_id: str) -> dict[str, Any]:
        return self.request("DELETE", self._project(namespace, project) + f"/tasks/{task_id}")

    def list_tasks(self, namespace: str, project: str, limit: int = 20) -> dict[str, Any]:
        return self.request("GET", self._project(namespace, project) + "/tasks", params={"limit": limit})

    # -- examples, plugins ------------------------------------------------------------------

    def list_examples(self) -> dict[str, Any]:
        return self.request("GET", "/v1/examples")

    def import_example(
        self, example: str, namespace: str, name: str, *, into_existing: bool = False, process: bool = True
    ) -> dict[str, Any]:
        if into_existing:
            body = {"namespace": namespace, "project": name, "process": process}
            return self.request(
                "POST", f"/v1/examples/{example}/import-data", json=body, timeout=UPLOAD_TIMEOUT
            )
        body = {"namespace": namespace, "name": name, "process": process}
        return self.request(
            "POST", f"/v1/examples/{example}/import-project", json=body, timeout=UPLOAD_TIMEOUT
        )

    def list_plugins(self) -> dict[str, Any]:
        return self.request("GET", "/v1/plugins")

    # -- chat ----------------------------------------------------------------------------

    def chat(
        self,
        namespace: str,
        project: str,
        body: dict[str, Any],
        *,
        session_id: str | None = None,
        stateless: bool = False,
    ) -> dict[str, Any]:
        """One non-streamed turn: the chat.completion object."""
        return self.request(
            "POST",
            self._project(namespace, project) + "/chat/completions",
            json={**body, "stream": False},
            headers=_session_headers(session_id, stateless),
            timeout=UPLOAD_TIMEOUT,
        )

    def chat_stream(
        self,
        namespace: str,
        project: str,
        body: dict[str, Any],
        *,
        session_id: str | None = None,
        stateless: bool = False,
        turn: ChatTurn | None = None,
    ) -> Iterator[str]:
        """Yield the answer's text pieces as they arrive; ``turn`` (if given) collects the
        whole text, the sources and the session id."""
        turn = turn if turn is not None else ChatTurn()
        resp = self._send(
            "POST",
            self._project(namespace, project) + "/chat/completions",
            json={**body, "stream": True},
            headers=_session_headers(session_id, stateless),
            stream=True,
            timeout=UPLOAD_TIMEOUT,
        )
        with resp:
            turn.session_id = resp.headers.get("X-Session-ID") or session_id
            for line in resp.iter_lines(decode_unicode=True):
                if not line or not line.startswith("data: "):
                    continue
                data = line[len("data: ") :]
                if data == "[DONE]":
                    break
                event = json.loads(data)
                if "error" in event:
                    error = event["error"]
                    message = error.get("message") if isinstance(error, dict) else error
                    raise ClientError(f"error: {message}")
                for choice in event.get("choices", []):
                    piece = (choice.get("delta") or {}).get("content") or ""
                    if piece:
                        turn.content += piece
                        yield piece
                turn.sources = event.get("sources") or turn.sources


def _session_headers(session_id: str | None, stateless: bool) -> dict[str, str]:
    if stateless:
        return {"X-No-Session": "true"}
    return {"X-Session-ID": session_id} if session_id else {}
