"""Where the index lives: ``base.Store`` and ``factory.open_store`` (a URI picks the backend); the index folder
(``disk``: generations, manifest, lock, verification; ``snapshot``: one generation in memory; ``ann``: FAISS;
``bm25``: bm25s) or Milvus (``milvus``, ``milvus_view``, ``milvus_schema``: optional, pymilvus imported when used)."""
