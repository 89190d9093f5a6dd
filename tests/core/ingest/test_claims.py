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


def test_a_run_can_hold_more_claims_than_a_low_open_files_limit(tmp_path: Path) -> None:
    """A group of 512 files holds up to 512 lock files open: a process started with a soft
    limit of 256 (macOS's default) raises it up to its hard limit before it claims."""
    import resource
    import subprocess
    import sys

    def low_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 4096))

    script = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "from llamafarm_core.ingest.claims import FileClaims, ensure_open_files\n"
        "before = resource.getrlimit(resource.RLIMIT_NOFILE)[0]\n"
        "now = ensure_open_files(600)\n"
        "claims = FileClaims(Path(sys.argv[1]))\n"
        "assert all(claims.try_claim(f'{i:04x}' + '0' * 60) for i in range(600))\n"
        "print(before, now, claims.held())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        preexec_fn=low_limit,  # noqa: PLW1509 (no threads in a test's child)
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["256", "1112", "600"]


def test_the_open_files_limit_is_left_alone_when_it_is_high_enough() -> None:
    import resource

    from llamafarm_core.ingest.claims import ensure_open_files

    first = ensure_open_files(1)  # raised if this process's limit was below 513
    limits = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert ensure_open_files(1) == first
    assert resource.getrlimit(resource.RLIMIT_NOFILE) == limits
