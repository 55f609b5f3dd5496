"""Search: hybrid keyword + semantic search, similar papers, embeddings.

The interface for the rest of the project is documented in ``api.py``; the design in docs/search.md.
"""
