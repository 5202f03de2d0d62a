"""The index on disk and in memory: ``disk`` (generations, manifest, lock, verification), ``snapshot`` (one
generation in memory), ``ann`` (FAISS) and ``bm25`` (bm25s)."""
