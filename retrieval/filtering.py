"""Hard filters as boolean masks over an in-memory attribute table.

Why in memory: a mask over integer-coded columns costs about a millisecond for a million items,
far less than a SQL round trip, and FAISS can consume it directly as an ``IDSelectorBitmap``.
Positions are the order of ``row_ids`` (ascending store row ids).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from retrieval.types import Filters, Product

CODED = ("product_type", "colour", "gender", "brand", "usage", "season")
INCLUDE = {"product_type": "product_types", "colour": "colours", "gender": "genders", "brand": "brands",
           "usage": "usages", "season": "seasons"}
EXCLUDE = {"product_type": "exclude_product_types", "colour": "exclude_colours", "brand": "exclude_brands"}


class AttributeTable:
    """Integer-coded attribute columns (case-insensitive values), price and size membership."""

    def __init__(self, row_ids: np.ndarray, columns: Mapping[str, Sequence[str | None]], prices: np.ndarray,
                 sizes: Sequence[Sequence[str]], product_ids: Sequence[str]) -> None:
        self.row_ids = np.asarray(row_ids, dtype=np.int64)
        self.codes: dict[str, np.ndarray] = {}
        self.vocab: dict[str, dict[str, int]] = {}
        for name in CODED:
            values = columns.get(name)
            vocab: dict[str, int] = {}
            if values is None:
                codes = np.full(len(row_ids), -1, dtype=np.int32)
            else:
                codes = np.fromiter((-1 if v is None else vocab.setdefault(v.lower(), len(vocab)) for v in values),
                                    dtype=np.int32, count=len(row_ids))
            self.codes[name], self.vocab[name] = codes, vocab
        self.prices = np.asarray(prices, dtype=np.float64)
        size_rows: dict[str, list[int]] = {}
        for pos, item_sizes in enumerate(sizes):
            for size in item_sizes:
                size_rows.setdefault(size.lower(), []).append(pos)
        self.size_positions = {size: np.asarray(rows, dtype=np.int64) for size, rows in size_rows.items()}
        self.position_of = {pid: pos for pos, pid in enumerate(product_ids)}

    @classmethod
    def from_products(cls, row_ids: np.ndarray, products: Sequence[Product]) -> AttributeTable:
        """Build the table for catalog products (aligned with ``row_ids``)."""
        columns = {name: [getattr(p, name) for p in products] for name in CODED}
        prices = np.array([np.nan if p.price is None else p.price for p in products], dtype=np.float64)
        return cls(row_ids, columns, prices, [p.sizes for p in products], [p.id for p in products])

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
        for name, attr in INCLUDE.items():
            wanted = getattr(filters, attr)
            if wanted:
                mask &= self._member(name, wanted)
        for name, attr in EXCLUDE.items():
            unwanted = getattr(filters, attr)
            if unwanted:
                mask &= ~self._member(name, unwanted)
        if filters.price_min is not None:
            mask &= self.prices >= filters.price_min  # NaN (no price) compares False: unknown price never passes
        if filters.price_max is not None:
            mask &= self.prices <= filters.price_max
        if filters.sizes:
            has_size = np.zeros(len(self), dtype=bool)
            for size in filters.sizes:
                has_size[self.size_positions.get(size.lower(), np.empty(0, dtype=np.int64))] = True
            mask &= has_size
        for pid in filters.exclude_ids:
            pos = self.position_of.get(pid)
            if pos is not None:
                mask[pos] = False
        return mask

    def _member(self, name: str, values: Sequence[str]) -> np.ndarray:
        vocab = self.vocab[name]
        codes = [vocab[v.lower()] for v in values if v.lower() in vocab]
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
