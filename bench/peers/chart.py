"""The chart of docs/performance.md: ingestion throughput (× the floor) of ours and the
peers, and — when bench/results/query_latency.json exists — query latency against its floor.

    bench/.venv-peers/bin/python bench/peers/chart.py [--out docs/images/performance.png]

Reads what the bench scripts wrote under bench/results/: peers.json (bench/peers/ingest_peers.py
--ours), scaleout.json (bench/ingest_scaleout.py) and, optionally, query_latency.json with
``{"floor_ms": F, "rows": [{"label": ..., "p50_ms": ...}, ...]}``. Needs matplotlib (the
peers' venv has it).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
RESULTS = BENCH / "results"


def load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=BENCH.parent / "docs" / "images" / "performance.png")
    args = ap.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    peers, scaleout, latency = load("peers"), load("scaleout"), load("query_latency")
    if peers is None and (ours := load("ingest")) is not None:  # ours only (no peers run yet)
        peers = {
            "docs": ours["docs"],
            "runs": [
                {**r, "label": f"LlamaFarm ({r['label']}), upload + process via HTTP"} for r in ours["runs"]
            ],
        }
    panels = [p for p in (peers, scaleout, latency) if p]
    if not panels:
        raise SystemExit("nothing in bench/results/: run the bench scripts first")
    # the latency panel's long row labels need the most room, the scale-out bars the least
    widths = [w for p, w in ((peers, 1.0), (scaleout, 0.6), (latency, 1.5)) if p]
    fig, axes = plt.subplots(
        1, len(panels), figsize=(6 * sum(widths), 4.2), squeeze=False, gridspec_kw={"width_ratios": widths}
    )
    ax_iter = iter(axes[0])
    if peers:
        ax = next(ax_iter)
        labels = [
            r["label"].replace(", upload + process via HTTP", "\n(HTTP, upload+process)")
            for r in peers["runs"]
        ]
        values = [r["x_floor"] for r in peers["runs"]]
        ax.barh(labels, values, color=["#2b6cb0" if "LlamaFarm" in lab else "#a0aec0" for lab in labels])
        ax.axvline(1.0, color="black", lw=1, label="floor: encode of the whole texts")
        ax.axvline(0.97, color="#c53030", lw=1, ls="--", label="target 0.97 ×")
        ax.set_xlabel("ingestion throughput, × floor (higher is better)")
        ax.set_title(f"Cranfield {peers['docs']} abstracts, all-MiniLM-L6-v2")
        ax.invert_yaxis()
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=8)  # below: no bar under it
    if scaleout:
        ax = next(ax_iter)
        runs = scaleout["runs"]
        ax.bar([r["label"] for r in runs], [r["process_docs_per_s"] for r in runs], color="#2b6cb0")
        ax.set_ylabel("processing docs/s")
        ax.set_title("workers pinned to one core each (taskset)")
        ax.tick_params(axis="x", labelrotation=20)
    if latency:
        ax = next(ax_iter)
        rows = latency["rows"]
        labels = [
            r["label"].replace("synthetic: ", "100k chunks: ").replace("hybrid_search, ", "hybrid, ")
            for r in rows
        ]
        ax.barh(labels, [r["x_floor"] for r in rows], color="#2b6cb0")
        ax.axvline(1.0, color="black", lw=1, label="floor")
        targets = [(i, r["target"]) for i, r in enumerate(rows) if r.get("target")]
        ax.scatter(
            [t for _, t in targets],
            [i for i, _ in targets],
            marker="|",
            s=400,
            color="#c53030",
            label="target",
        )
        xmax = 2.6  # a bar past it (hybrid at 100k chunks, no target) is cut and labelled
        ax.set_xlim(0, xmax)
        for i, r in enumerate(rows):
            if r["x_floor"] > xmax:
                ax.text(xmax * 0.98, i, f"{r['x_floor']:.2f} ×", ha="right", va="center", color="white")
        ax.set_xlabel("rag/query p50 over HTTP, × floor (lower is better)")
        ax.set_title("rag/query latency against its floor")
        ax.invert_yaxis()
        ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
