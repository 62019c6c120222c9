"""Named errors of the retrieval library; each message says what to do about it."""

from __future__ import annotations


class RetrievalError(Exception):
    """Base class: catch this to handle every retrieval failure in one place."""


class CatalogNotFoundError(RetrievalError):
    """The catalog CSV (or its mapping) does not exist."""


class MappingError(RetrievalError):
    """The YAML mapping is malformed or names columns the CSV does not have."""


class EmptyCatalogError(RetrievalError):
    """The catalog produced no valid product at all."""


class StoreUnavailableError(RetrievalError):
    """The database cannot be opened or written."""


class IndexMismatchError(RetrievalError):
    """The persisted FAISS index does not describe the products in the database."""


class IndexMissingError(RetrievalError):
    """No index has been built for the catalog yet."""


class UnknownProductError(RetrievalError):
    """A product id that the catalog does not contain."""
