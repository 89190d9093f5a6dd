"""Per-file processing state records."""

from __future__ import annotations

from pathlib import Path

from llamafarm_core.datasets.layout import ProjectLayout
from llamafarm_core.datasets.state import FileState, ProcessingStatus, StateStore

H1, H2 = "a" * 64, "b" * 64


def test_round_trip_and_listing(tmp_path: Path) -> None:
    states = StateStore(ProjectLayout(tmp_path), "docs")
    assert states.get(H1) is None and states.all() == {}
    states.put(FileState(H1, ProcessingStatus.PROCESSED, "fp", "db", parser="p", chunk_ids=["x", "y"]))
    states.put(FileState(H2, ProcessingStatus.FAILED, reason="bad"))
    (states.layout.state_dir("docs") / "junk.json").write_text("{}")
    got = states.get(H1)
    assert got is not None and got.chunk_count == 2 and got.status is ProcessingStatus.PROCESSED
    assert set(states.all()) == {H1, H2}
    states.delete(H1)
    assert set(states.all()) == {H2}
    states.remove_all()
    assert states.all() == {}


def test_damaged_record_reads_as_unprocessed(tmp_path: Path) -> None:
    states = StateStore(ProjectLayout(tmp_path), "docs")
    path = states.layout.state_path("docs", H1)
    path.parent.mkdir(parents=True)
    path.write_text('{"file_hash": "x", "status": "weird"}')
    assert states.get(H1) is None


def test_put_many_writes_every_record_whole_and_round_trips(tmp_path: Path) -> None:
    states = StateStore(ProjectLayout(tmp_path), "docs")
    states.put(FileState(H1, ProcessingStatus.PENDING, reason="being written"))
    written = [
        FileState(H1, ProcessingStatus.PROCESSED, "fp", "db", parser="p", extractors=["e"], chunk_ids=["x"]),
        FileState(H2, ProcessingStatus.FAILED, reason="bad", warnings=["w"]),
    ]
    states.put_many(written)
    assert states.all() == {s.file_hash: s for s in written}
    assert not [p for p in states.layout.state_dir("docs").iterdir() if p.name.startswith(".tmp-")]
