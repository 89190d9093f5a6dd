"""Ingestion: choosing parsers and extractors, chunking, and the processing pipeline."""
