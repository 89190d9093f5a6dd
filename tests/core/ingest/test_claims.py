"""Per-file claims between processing runs: exclusive across runs, counted within one."""

from __future__ import annotations

import threading
from pathlib import Path

from llamafarm_core.ingest.claims import FileClaims, lock_key

A = "ab12" + "0" * 60
B = "ab12" + "f" * 60  # same lock file as A
C = "cd34" + "0" * 60


def test_a_claimed_file_is_refused_to_another_run_until_released(tmp_path: Path) -> None:
    one, two = FileClaims(tmp_path), FileClaims(tmp_path)
    assert one.try_claim(A)
    assert not two.try_claim(A) and not two.try_claim(B)  # B shares A's lock file
    assert two.try_claim(C)
    one.release(A)
    assert two.try_claim(A) and two.held() == 2


def test_one_run_counts_files_sharing_a_lock_file(tmp_path: Path) -> None:
    one, two = FileClaims(tmp_path), FileClaims(tmp_path)
    assert one.try_claim(A) and one.try_claim(B) and one.held() == 2
    one.release(A)
    assert not two.try_claim(A)  # B still holds the lock file
    one.release(B)
    assert one.held() == 0 and two.try_claim(A)


def test_a_waiting_claim_gets_the_file_when_the_holder_lets_go(tmp_path: Path) -> None:
    one, two = FileClaims(tmp_path), FileClaims(tmp_path)
    assert one.try_claim(A)
    got = threading.Event()
    waiter = threading.Thread(target=lambda: (two.claim(A), got.set()))
    waiter.start()
    assert not got.wait(0.3)
    one.release(A)
    waiter.join(10)
    assert got.is_set() and two.held() == 1


def test_a_strange_hash_never_names_a_path(tmp_path: Path) -> None:
    for weird in ("../..", "/etc", "", "ÄÖÜ"):
        key = lock_key(weird)
        assert len(key) == 4 and all(c in "0123456789abcdef" for c in key)
    claims = FileClaims(tmp_path / "d")
    assert claims.try_claim("../../x")
    assert [p.parent for p in (tmp_path / "d").rglob("*.lock")] == [tmp_path / "d" / ".claims"]
