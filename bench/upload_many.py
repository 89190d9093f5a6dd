"""Upload throughput of many small files: N files through the typed client
(``LlamaFarmClient.upload``, the path ``llamafarm datasets upload`` takes: bulk requests of 200
files) into a live ``llamafarm serve``. Prints a table; asserts nothing.

    .venv/bin/python bench/upload_many.py [--files 1000] [--size 200] [--rounds 3]
    .venv/bin/python bench/upload_many.py --code /path/to/other/checkout   # the same, older code

``--code`` serves from another checkout (its ``PYTHONPATH``), e.g. the session's baseline, so
before/after are measured by one script on one machine. Each round uploads new content into a
new dataset (nothing is skipped as a duplicate).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lf_serve import Serve, machine, p50  # noqa: E402

from llamafarm_server.client import LlamaFarmClient  # noqa: E402


def write_files(folder: Path, n: int, size: int, tag: str) -> None:
    folder.mkdir(parents=True)
    for i in range(n):
        line = f"file {i} of round {tag}: small text for the upload benchmark. "
        (folder / f"f{i:05d}.txt").write_text((line * (size // len(line) + 1))[:size])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--size", type=int, default=200, help="bytes per file")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--code", type=Path, default=None, help="serve this checkout instead of this one")
    args = ap.parse_args()
    env = {}
    if args.code is not None:
        code = args.code.resolve()
        env["PYTHONPATH"] = f"{code}:{code / 'plugins'}"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = root / "data"
        data.mkdir()
        with Serve(data, workers=0, cwd=args.code.resolve() if args.code else None, **env) as serve:
            lf = LlamaFarmClient(serve.url)
            lf.request("POST", "/v1/projects/bench", json={"name": "up", "config_template": "rag"})
            rates = []
            for r in range(args.rounds):
                folder = root / f"round{r}"
                write_files(folder, args.files, args.size, str(r))
                lf.request("POST", "/v1/projects/bench/up/datasets", json={"name": f"d{r}"})
                started = time.perf_counter()
                summary = lf.upload("bench", "up", f"d{r}", [str(folder)])
                seconds = time.perf_counter() - started
                if summary.uploaded != args.files:
                    sys.exit(
                        f"round {r}: uploaded {summary.uploaded} of {args.files} ({summary.failed} failed)"
                    )
                rates.append(args.files / seconds)
                print(
                    f"round {r}: {args.files} files in {seconds:.2f} s ({rates[-1]:.0f} files/s)",
                    file=sys.stderr,
                )
    print(f"\nupload_many: {machine()}")
    print(
        f"code: {args.code or 'this checkout'}; {args.files} files x {args.size} B per round, bulk batches of 200"
    )
    print("| rounds | files/s p50 | files/s min | files/s max | ms per file (p50) |")
    print("|---|---|---|---|---|")
    print(
        f"| {len(rates)} | {p50(rates):.0f} | {min(rates):.0f} | {max(rates):.0f} | {1000 / p50(rates):.1f} |"
    )


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
