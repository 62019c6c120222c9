"""Hard filters as boolean masks over an in-memory attribute table.

Why in memory: a mask over integer-coded columns costs about a millisecond for a million items,
far less than a SQL round trip, and FAISS can consume it directly as an ``IDSelectorBitmap``.
Positions are the order of ``row_ids`` (ascending store row ids). Which columns exist and how each
filters (values always admitted, matched in text) comes from the attribute registry, so a newly
registered catalog attribute is filterable without changes here. An attribute is kept as value ->
positions when a product may hold several values (``multi_valued``, or a catalog that lists several
product types or colours in one field); otherwise as one integer code per product, the form the
ranking's attribute boosts and the preference learner's features read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from retrieval.attributes import attribute, catalog_backed
from retrieval.lexical import tokenize
from retrieval.types import Filters, Product

_EMPTY = np.empty(0, dtype=np.int64)


class AttributeTable:
    """Integer-coded single-valued columns, value -> positions for multi-valued ones, prices, and text terms."""

    def __init__(self, row_ids: np.ndarray, columns: Mapping[str, Sequence[str | None]], prices: np.ndarray,
                 product_ids: Sequence[str], *, multi: Mapping[str, Sequence[Sequence[str]]] | None = None,
                 texts: Sequence[str] | None = None) -> None:
        self.row_ids = np.asarray(row_ids, dtype=np.int64)
        self.codes: dict[str, np.ndarray] = {}
        self.vocab: dict[str, dict[str, int]] = {}
        for name, values in columns.items():
            vocab: dict[str, int] = {}
            self.codes[name] = np.fromiter((-1 if v is None else vocab.setdefault(v.lower(), len(vocab)) for v in values),
                                           dtype=np.int32, count=len(self.row_ids))
            self.vocab[name] = vocab
        self.multi: dict[str, dict[str, np.ndarray]] = {}
        for name, per_product in (multi or {}).items():
            rows: dict[str, list[int]] = {}
            for pos, values in enumerate(per_product):
                for value in values:
                    rows.setdefault(value.lower(), []).append(pos)
            self.multi[name] = {value: np.asarray(found, dtype=np.int64) for value, found in rows.items()}
        self.prices = np.asarray(prices, dtype=np.float64)
        self.position_of = {pid: pos for pos, pid in enumerate(product_ids)}
        self._texts = texts
        self._terms: dict[str, np.ndarray] | None = None

    @classmethod
    def from_products(cls, row_ids: np.ndarray, products: Sequence[Product], *, texts: Sequence[str] | None = None) -> AttributeTable:
        """Build the table for catalog products (aligned with ``row_ids``); ``texts`` serve text-matched attributes."""
        columns: dict[str, list[str | None]] = {}
        multi: dict[str, list[tuple[str, ...]]] = {}
        for spec in catalog_backed():
            values = [spec.values_of(p) for p in products]
            if spec.multi_valued or any(len(held) > 1 for held in values):
                multi[spec.name] = values
            else:
                columns[spec.name] = [held[0] if held else None for held in values]
        prices = np.array([np.nan if p.price is None else p.price for p in products], dtype=np.float64)
        return cls(row_ids, columns, prices, [p.id for p in products], multi=multi, texts=texts)

    @staticmethod
    def selectivity(mask: np.ndarray | None) -> float:
        """Share of items a mask allows (1.0 for no mask)."""
        return 1.0 if mask is None or len(mask) == 0 else np.count_nonzero(mask) / len(mask)

    def __len__(self) -> int:
        return len(self.row_ids)

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        """Positions allowed by ``filters``; None when nothing is filtered (the fast path)."""
        if filters is None or filters.is_empty():
            return None
        mask = np.ones(len(self), dtype=bool)
        for name, wanted in filters.include.items():
            if wanted:
                spec = attribute(name)
                mask &= self.having(name, [*wanted, *spec.always_included])
        for name, unwanted in filters.exclude.items():
            if unwanted:
                mask &= ~self.having(name, unwanted)
        if filters.price_min is not None:
            mask &= self.prices >= filters.price_min  # NaN (no price) compares False: unknown price never passes
        if filters.price_max is not None:
            mask &= self.prices <= filters.price_max
        for pid in filters.exclude_ids:
            pos = self.position_of.get(pid)
            if pos is not None:
                mask[pos] = False
        return mask

    def having(self, name: str, values: Sequence[str]) -> np.ndarray:
        """Positions whose ``name`` holds any of ``values`` (case-insensitive; text attributes: all words present)."""
        if name in self.codes:
            return self._member(name, values)
        if name in self.multi:
            result = np.zeros(len(self), dtype=bool)
            for value in values:
                result[self.multi[name].get(value.lower(), _EMPTY)] = True
            return result
        if attribute(name).kind == "text":
            result = np.zeros(len(self), dtype=bool)
            for value in values:
                result |= self._containing(value)
            return result
        return np.zeros(len(self), dtype=bool)  # a catalog without this attribute: nothing has the value

    def _member(self, name: str, values: Sequence[str]) -> np.ndarray:
        vocab = self.vocab[name]
        codes = [vocab[v.lower()] for v in dict.fromkeys(values) if v.lower() in vocab]
        if not codes:
            return np.zeros(len(self), dtype=bool)
        column = self.codes[name]
        if len(codes) <= 4:  # a few vectorised comparisons beat np.isin (about 40x at 1M rows)
            result = column == codes[0]
            for code in codes[1:]:
                result |= column == code
            return result
        table = np.zeros(len(vocab) + 1, dtype=bool)  # last slot: code -1 (no value)
        table[codes] = True
        return table[column]

    def _containing(self, phrase: str) -> np.ndarray:
        """Positions whose text holds every word of ``phrase`` (built on first use: most searches never need it)."""
        result = np.zeros(len(self), dtype=bool)
        words = tokenize(phrase)
        if not words or self._texts is None:
            return result
        if self._terms is None:
            postings: dict[str, list[int]] = {}
            for pos, text in enumerate(self._texts):
                for token in set(tokenize(text)):
                    postings.setdefault(token, []).append(pos)
            self._terms = {token: np.asarray(found, dtype=np.int64) for token, found in postings.items()}
        result[self._terms.get(words[0], _EMPTY)] = True
        for word in words[1:]:
            has = np.zeros(len(self), dtype=bool)
            has[self._terms.get(word, _EMPTY)] = True
            result &= has
        return result
