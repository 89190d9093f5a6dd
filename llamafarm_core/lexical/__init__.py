"""The lexical (BM25) side of a database: the text analyzer and the SQLite index each
database keeps next to its vector store. Owned by :mod:`llamafarm_core.databases`, read by
retrieval strategies."""
