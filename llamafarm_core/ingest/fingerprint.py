"""What a file's chunks depend on. Same fingerprint as the last successful run → ``skipped``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from llamafarm_core.config.models import Database, ExtractorRef, ParserRef

# Bump when the pipeline changes what it stores for the same config (e.g. metadata keys).
PIPELINE_VERSION = 1


def fingerprint(parsers: Sequence[ParserRef], extractors: Sequence[ExtractorRef], database: Database) -> str:
    """A digest of everything that shapes a file's chunks and vectors: the parser candidates
    for its name (type, config, priority, patterns) in order, the extractors that apply to
    it, and the database's store and embedding strategy. The parser actually chosen follows
    from the candidates and the content, so it needs no part of its own.

    Retrieval strategies are left out: they don't change what is stored.
    """
    embedding = database.embedding_strategy()
    payload = {
        "version": PIPELINE_VERSION,
        "parsers": [p.model_dump(mode="json") for p in parsers],
        "extractors": [x.model_dump(mode="json") for x in extractors],
        "database": {"name": database.name, "type": database.type, "config": database.config},
        "embedder": embedding.model_dump(mode="json", exclude={"name", "priority"}) if embedding else None,
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
