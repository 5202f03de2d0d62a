"""Ingest: files -> documents (``loaders``) -> passages (``chunking``) -> a new snapshot (``plan`` decides what
changed, ``assemble`` chunks and embeds it, ``update`` commits it to the index folder)."""
