"""Time every built-in extractor over the Cranfield collection (1,400 abstracts).

Each document is one file of one chunk (its .W text), as a small-file ingest would give.
Prints a table; asserts nothing. Run: .venv/bin/python bench/bench_extractors.py [cran.all.1400]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from cranfield import CRAN as DEFAULT
from cranfield import doc_texts

from llamafarm_core.components.extractor import Extractor
from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.documents import Chunk, SourceFile
from llamafarm_core.plugins import build_registry, get_plugin_manager

CONFIGS: list[tuple[str, dict]] = [
    ("statistics", {}),
    ("entities", {}),
    ("keywords", {}),
    ("keywords", {"methods": ["rake", "yake", "tfidf"]}),
    ("rake", {}),
    ("yake", {}),
    ("tfidf", {}),
    ("datetime", {}),
    ("headings", {}),
    ("links", {}),
    ("patterns", {}),
    ("summary", {}),
    ("summary", {"scoring_method": "textrank"}),
    ("tables", {}),
    ("path", {}),
]


def main() -> None:
    docs = doc_texts(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
    registry = build_registry(get_plugin_manager())
    total_chars = sum(map(len, docs))
    print(f"{len(docs)} documents, {total_chars / 1e6:.2f} M characters\n")
    print(f"{'extractor':<40} {'total s':>8} {'ms/doc':>8}")
    for type_name, config in CONFIGS:
        extractor = registry.build(PluginKind.EXTRACTOR, type_name, config)
        assert isinstance(extractor, Extractor)
        started = time.perf_counter()
        for i, text in enumerate(docs):
            source = SourceFile(f"{i:064d}", f"cran/{i}.txt", Path("/nonexistent"), len(text), "text/plain")
            extractor.extract([Chunk(text, {})], source)
        elapsed = time.perf_counter() - started
        label = type_name + (f" {config}" if config else "")
        print(f"{label:<40} {elapsed:>8.2f} {1000 * elapsed / len(docs):>8.2f}")


if __name__ == "__main__":
    main()
