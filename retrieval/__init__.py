"""Product retrieval: catalog ingestion, SQL store, MiniLM embeddings, FAISS index, hybrid search.

``from retrieval import Retriever, Filters, Hit, Product`` is the whole API the action server needs.
Heavy libraries (torch, faiss) load only when a Retriever opens or an ingestion runs.
"""

from retrieval.errors import RetrievalError
from retrieval.search import Retriever
from retrieval.types import Filters, Hit, Product

__all__ = ["Filters", "Hit", "Product", "Retriever", "RetrievalError"]
