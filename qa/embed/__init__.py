"""Embedding: the ``Embedder`` interface (``base``), one file per backend (``torch``, ``onnx``, ``hashing``), the
factory (``registry``), and what is remembered of encoded texts (``cache``, ``words``)."""
