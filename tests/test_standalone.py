"""The repository stands alone: a user's clone has nothing beside it."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import COMPAT_CONFIGS, FIXTURES, REPO

# A path that climbs out of the repository to a sibling folder, as the early tests did.
OUTSIDE = re.compile(r"""\.\./shared|(parent|parents\[\d\])\s*/\s*["']shared""")


def test_no_tracked_file_reads_outside_the_repository() -> None:
    files = subprocess.run(
        ["git", "ls-files", "*.py", "*.sh", "*.toml", "*.ini", "*.cfg", "scripts/*", ".ci/*"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    offenders = [
        f"{name}:{n}: {line.strip()}"
        for name in files
        if name != "tests/test_standalone.py" and (REPO / name).is_file()
        for n, line in enumerate((REPO / name).read_text(errors="replace").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offenders == []


def test_the_data_the_tests_and_benches_need_is_in_the_repository() -> None:
    assert {p.name for p in COMPAT_CONFIGS} >= {"fda_rag.yaml", "gov_rag.yaml", "mixed_format_rag.yaml"}
    cran = FIXTURES / "cranfield"
    assert (cran / "cran.all.1400").read_text().count("\n.I ") == 1399
    assert len((cran / "cranqrel").read_text().split("\n")) > 1800
