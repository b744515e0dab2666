"""Store failures every backend raises alike (the contract suite checks both)."""

from __future__ import annotations


class StoreError(RuntimeError):
    """Base of the store's own failures."""


class AlreadyExists(StoreError):
    """A create of a document that exists."""


class MissingDocument(StoreError):
    """An update of a document that does not exist; nothing of its unit of work was applied."""


class UnitOfWorkError(StoreError):
    """A unit of work used wrongly (committed twice, too many writes, another backend's)."""
