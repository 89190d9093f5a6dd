"""Dataset membership lives in members.sqlite, not in llamafarm.yaml: uploads never rewrite the
YAML, the query path never reads members, a YAML listing ``files`` is imported once."""

from __future__ import annotations

import yaml

from llamafarm_core.config.cache import ConfigCache
from llamafarm_core.datasets.store import DatasetStore
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import ProjectRef, ProjectStore
from llamafarm_core.settings import Settings

REF = ProjectRef("acme", "members")
H = [f"{i:064x}" for i in range(5)]


def _setup(settings: Settings, registry: Registry) -> tuple[ProjectStore, DatasetStore]:
    projects = ProjectStore(settings, registry)
    projects.create(REF, "rag")
    datasets = DatasetStore(settings, projects, registry)
    datasets.create(REF, "docs", "universal_processor", "main_db")
    return projects, datasets


def _upload(datasets: DatasetStore, body: bytes, name: str = "a.txt") -> str:
    writer = datasets.writer(REF)
    writer.write(body)
    stored = datasets.store_upload(REF, writer, name, "text/plain")
    return datasets.add_members(REF, "docs", [stored])[0].hash


def _yaml(projects: ProjectStore) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((projects.project_dir(REF) / "llamafarm.yaml").read_text())


def test_uploads_go_to_the_index_and_leave_the_yaml_alone(settings: Settings, registry: Registry) -> None:
    projects, datasets = _setup(settings, registry)
    path = projects.project_dir(REF) / "llamafarm.yaml"
    before = (path.read_bytes(), path.stat().st_ino)
    etag = projects.etag(REF)
    first, second = _upload(datasets, b"one"), _upload(datasets, b"two", "b.txt")
    assert (path.read_bytes(), path.stat().st_ino) == before  # not rewritten
    assert projects.etag(REF) != etag  # but the project's version moved (If-Match sees it)
    assert projects.get(REF).config.dataset("docs").files == [first, second]  # type: ignore[union-attr]
    assert projects.get_bare(REF).config.dataset("docs").files == []  # type: ignore[union-attr]
    # the same content again is skipped and keeps the order
    writer = datasets.writer(REF)
    writer.write(b"one")
    again = datasets.add_members(REF, "docs", [datasets.store_upload(REF, writer, "c.txt", "text/plain")])
    assert again[0].skipped
    assert [f.hash for f in datasets.list_datasets(REF)[0].files or []] == [first, second]
    removal = datasets.remove_file(REF, "docs", first, remove_from_disk=True)
    assert removal.removed_from_disk
    assert projects.get(REF).config.dataset("docs").files == [second]  # type: ignore[union-attr]


def test_a_yaml_listing_files_is_imported_once(settings: Settings, registry: Registry) -> None:
    projects, datasets = _setup(settings, registry)
    raw = _yaml(projects)
    raw["datasets"][0]["files"] = H[:3]
    path = projects.project_dir(REF) / "llamafarm.yaml"
    path.write_text(yaml.safe_dump(raw))  # a user's file, as the original writes it
    assert projects.get(REF).config.dataset("docs").files == H[:3]  # type: ignore[union-attr]
    assert "files" not in _yaml(projects)["datasets"][0] or _yaml(projects)["datasets"][0]["files"] == []
    assert projects.members(REF).all()[1] == {"docs": H[:3]}
    # a query-path read after the import parses a small file: no member list in it
    cache = ConfigCache()
    assert cache.load(path).dataset("docs").files == []  # type: ignore[union-attr]
    # new members append after the imported ones
    added = _upload(datasets, b"new")
    assert projects.get(REF).config.dataset("docs").files == [*H[:3], added]  # type: ignore[union-attr]


def test_put_with_files_sets_the_members_and_dropped_datasets_forget_theirs(
    settings: Settings, registry: Registry
) -> None:
    projects, datasets = _setup(settings, registry)
    _upload(datasets, b"one")
    raw = _yaml(projects)
    raw["datasets"][0]["files"] = [H[1], H[0], H[1]]
    updated = projects.update(REF, raw, projects.etag(REF))
    assert updated.config.dataset("docs").files == [H[1], H[0], H[1]]  # type: ignore[union-attr]
    assert projects.get(REF).config.dataset("docs").files == [H[1], H[0]]  # type: ignore[union-attr]
    assert _yaml(projects)["datasets"][0].get("files", []) == []
    raw["datasets"] = []
    projects.update(REF, raw)
    assert projects.members(REF).all()[1] == {}
    # a dataset created again under the same name starts empty
    datasets.create(REF, "docs", "universal_processor", "main_db")
    assert projects.get(REF).config.dataset("docs").files == []  # type: ignore[union-attr]


def test_an_upload_into_a_missing_dataset_is_a_404_and_stores_nothing(
    settings: Settings, registry: Registry
) -> None:
    import pytest

    from llamafarm_core.errors import NotFound

    projects, datasets = _setup(settings, registry)
    writer = datasets.writer(REF)
    writer.write(b"orphan")
    stored = datasets.store_upload(REF, writer, "o.txt", "text/plain")
    with pytest.raises(NotFound, match="known: docs"):
        datasets.add_members(REF, "nope", [stored])
    assert not (projects.project_dir(REF) / "files" / stored.record.hash).exists()
    assert projects.members(REF).all()[1] == {}


def test_concurrent_uploads_all_become_members(settings: Settings, registry: Registry) -> None:
    import threading

    projects, datasets = _setup(settings, registry)
    hashes: list[str] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        h = _upload(datasets, f"file {i}".encode(), f"f{i}.txt")
        with lock:
            hashes.append(h)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    members = projects.get(REF).config.dataset("docs").files  # type: ignore[union-attr]
    assert sorted(members) == sorted(hashes) and len(set(members)) == 12


async def test_the_api_reports_members_and_a_stale_put_is_a_412(client) -> None:  # type: ignore[no-untyped-def]
    base = "/v1/projects/acme"
    assert (await client.post(base, json={"name": "m", "config_template": "rag"})).status == 201
    ds = await client.post(
        f"{base}/m/datasets",
        json={"name": "docs", "data_processing_strategy": "universal_processor", "database": "main_db"},
    )
    assert ds.status in (200, 201), await ds.text()
    got = await client.get(f"{base}/m")
    etag, config = got.headers["ETag"], (await got.json())["project"]["config"]
    resp = await client.post(f"{base}/m/datasets/docs/data", data={"file": b"hello members"})
    assert resp.status in (200, 201), await resp.text()
    digest = (await resp.json())["hash"]
    after = await client.get(f"{base}/m")
    assert (await after.json())["project"]["config"]["datasets"][0]["files"] == [digest]
    # a PUT of the config read before the upload would drop the new member: refused
    stale = await client.put(f"{base}/m", json={"config": config}, headers={"If-Match": etag})
    assert stale.status == 412, await stale.text()
    current = await after.json()
    ok = await client.put(
        f"{base}/m",
        json={"config": current["project"]["config"]},
        headers={"If-Match": after.headers["ETag"]},
    )
    assert ok.status == 200, await ok.text()
    assert (await ok.json())["project"]["config"]["datasets"][0]["files"] == [digest]
