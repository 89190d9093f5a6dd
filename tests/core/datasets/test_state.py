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


def test_a_pending_mark_shows_until_a_newer_record_and_then_its_journal_goes(tmp_path: Path) -> None:
    states = StateStore(ProjectLayout(tmp_path), "docs")
    states.put(FileState(H1, ProcessingStatus.PROCESSED, "old", "db", chunk_ids=["a"]))
    journal = states.put_pending(
        [
            FileState(H1, ProcessingStatus.PENDING, "new", "db", chunk_ids=["a", "b"]),
            FileState(H2, ProcessingStatus.PENDING, "new", "db", chunk_ids=["c"]),
        ]
    )
    # One journal for the group, no record per file: nothing was replaced.
    records = sorted(p.name for p in states.layout.state_dir("docs").glob("*.json"))
    assert records == [f"{H1}.json"] and journal.is_file()
    assert states.get(H1).status is ProcessingStatus.PENDING and states.get(H1).chunk_ids == ["a", "b"]  # type: ignore[union-attr]
    assert {h: s.status for h, s in states.all().items()} == {
        H1: ProcessingStatus.PENDING,
        H2: ProcessingStatus.PENDING,
    }
    states.put_many([FileState(H1, ProcessingStatus.PROCESSED, "new", "db", chunk_ids=["b"])])
    assert states.get(H1).chunk_ids == ["b"]  # type: ignore[union-attr]  # the newer record wins
    assert states.get(H2).status is ProcessingStatus.PENDING  # type: ignore[union-attr]
    states.put(FileState(H2, ProcessingStatus.FAILED, reason="bad"))
    states.clear_pending(journal)
    assert not journal.exists()
    assert {h: s.status for h, s in states.all().items()} == {
        H1: ProcessingStatus.PROCESSED,
        H2: ProcessingStatus.FAILED,
    }


def test_an_interrupted_groups_journal_keeps_its_ids_until_every_file_is_newer(tmp_path: Path) -> None:
    """A crash between the mark and the records leaves the journal: the files read as
    pending with every id to clean up. The next group's clear drops it once all its files
    have newer records, and not before."""
    states = StateStore(ProjectLayout(tmp_path), "docs")
    left = states.put_pending(
        [
            FileState(H1, ProcessingStatus.PENDING, "fp", "db", chunk_ids=["a"]),
            FileState(H2, ProcessingStatus.PENDING, "fp", "db", chunk_ids=["b"]),
        ]
    )
    assert StateStore(ProjectLayout(tmp_path), "docs").get(H2).chunk_ids == ["b"]  # type: ignore[union-attr]
    again = states.put_pending([FileState(H1, ProcessingStatus.PENDING, "fp", "db", chunk_ids=["a"])])
    states.put_many([FileState(H1, ProcessingStatus.PROCESSED, "fp", "db", chunk_ids=["a"])])
    states.clear_pending(again)
    assert not again.exists() and left.exists()  # H2 has no newer record yet
    assert states.get(H2).status is ProcessingStatus.PENDING  # type: ignore[union-attr]
    again = states.put_pending([FileState(H2, ProcessingStatus.PENDING, "fp", "db", chunk_ids=["b"])])
    states.put_many([FileState(H2, ProcessingStatus.PROCESSED, "fp", "db", chunk_ids=["b"])])
    states.clear_pending(again)
    assert not left.exists() and not again.exists()
    assert {s.status for s in states.all().values()} == {ProcessingStatus.PROCESSED}


def test_a_damaged_journal_is_ignored(tmp_path: Path) -> None:
    states = StateStore(ProjectLayout(tmp_path), "docs")
    journal = states.put_pending([FileState(H1, ProcessingStatus.PENDING, chunk_ids=["a"])])
    journal.write_text("{not json")
    assert states.get(H1) is None and states.all() == {}
