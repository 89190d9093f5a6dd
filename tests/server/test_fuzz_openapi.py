"""Fuzzing every route from the OpenAPI document (issue 10) with schemathesis against a real
``llamafarm serve``: bounded examples per operation, then stateful runs that follow the
document's links (create a project → use it, create a dataset → upload/process/delete).
No answer may be a 5xx, and every answer must match its documented status, type and schema.

This in-suite run is small and seeded (fast, deterministic); ``scripts/fuzz`` runs longer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import ServerProcess

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# /docs is an HTML page (Swagger UI), not a JSON operation.
EXCLUDED = r"^/docs"


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data_dir = Path(tmp_path_factory.mktemp("fuzz")) / "data"
    data_dir.mkdir()
    server = ServerProcess(data_dir, ["--workers", "0"]).wait_ready()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def api_schema(fuzz_server: ServerProcess):  # type: ignore[no-untyped-def]
    schema = schemathesis.openapi.from_url(f"{fuzz_server.url}/openapi.json")
    return schema.exclude(path_regex=EXCLUDED)


def test_every_operation(api_schema) -> None:  # type: ignore[no-untyped-def]
    """A few generated requests per operation (seeded), each checked against the document."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 30
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=3,
            deadline=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def run(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(checks=CHECKS, timeout=60)

        try:
            run()
        except Exception as err:  # collect: one report for every failing operation
            failures.append(f"{operation.label}: {err}")
    assert not failures, "\n\n".join(failures)


def test_stateful_links(api_schema) -> None:  # type: ignore[no-untyped-def]
    machine = api_schema.as_state_machine()

    class Checked(machine):  # type: ignore[misc, valid-type]
        def validate_response(self, response, case, **kwargs):  # type: ignore[no-untyped-def]
            case.validate_response(response, checks=CHECKS)

    Checked.run(
        settings=settings(
            max_examples=8,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
    )


def test_path_parameters_carry_the_real_patterns(api_schema) -> None:  # type: ignore[no-untyped-def]
    raw = api_schema.raw_schema
    params = {
        p["name"]: p["schema"]
        for ops in raw["paths"].values()
        for op in ops.values()
        for p in op.get("parameters", [])
        if p["in"] == "path"
    }
    for name in ("namespace", "project", "dataset", "file_hash", "task_id"):
        assert "pattern" in params[name], name
    links = raw["paths"]["/v1/projects/{namespace}"]["post"]["responses"]["201"]["links"]
    assert links["GetProject"]["parameters"]["project"] == "$response.body#/project/name"
