"""LlamaFarm core: config, plugins, projects, ingestion, retrieval, chat and jobs. No HTTP here."""

__version__ = "0.1.0"
