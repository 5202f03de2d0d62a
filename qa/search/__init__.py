"""Search: dense and BM25 candidates fused (``fusion``: a table of methods), collapsed and filtered (``retrieval``)."""
