"""The original's examples (fda_rag, gov_rag, mixed_format_rag, many_small_file_rag, and
quick_rag): each imports through the API, processes, and answers its sample question from
the right file."""

from __future__ import annotations

import pytest

from llamafarm_core.examples import get_example, list_examples

pytestmark = pytest.mark.slow
ORIGINAL_IDS = ["fda_rag", "gov_rag", "mixed_format_rag", "many_small_file_rag", "quick_rag"]


def test_the_catalog_has_the_originals_ids_and_each_says_what_it_answers() -> None:
    examples = {e.manifest.id: e for e in list_examples()}
    assert set(ORIGINAL_IDS) <= set(examples)
    for example_id in ORIGINAL_IDS:
        manifest = examples[example_id].manifest
        assert manifest.sample_question and manifest.sample_source, example_id
        [dataset] = manifest.datasets
        names = [p.name for p in examples[example_id].data_files(dataset)]
        assert manifest.sample_source in names, (example_id, names)


@pytest.mark.parametrize("example_id", ORIGINAL_IDS[:4])
async def test_imports_processes_and_answers_with_the_right_source(client, example_id: str) -> None:  # type: ignore[no-untyped-def]
    manifest = get_example(example_id).manifest
    resp = await client.post(
        f"/v1/examples/{example_id}/import-project", json={"namespace": "ex", "name": "p", "process": False}
    )
    assert resp.status == 201, await resp.text()
    [dataset] = (await resp.json())["datasets"]
    report = await (await client.post(f"/v1/projects/ex/p/datasets/{dataset}/process", json={})).json()
    assert report["failed_files"] == 0 and report["processed_files"] == len(report["details"]), report

    query = {"query": manifest.sample_question, "top_k": 3}
    found = await (await client.post("/v1/projects/ex/p/rag/query", json=query)).json()
    assert found["results"][0]["metadata"]["filename"] == manifest.sample_source, found["results"][0]


async def test_unknown_example_is_a_404(client) -> None:  # type: ignore[no-untyped-def]
    for url in ("/v1/examples/nope/import-project", "/v1/examples/nope/import-data"):
        resp = await client.post(url, json={"namespace": "ex", "name": "p", "project": "p"})
        assert resp.status == 404 and "fda_rag" in (await resp.json())["detail"]
