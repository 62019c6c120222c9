"""Canonicalisation of free text to catalog values ("t-shirt" -> "Tshirts", "guys" -> "Men").

Order of attempts: folded exact match (case, plural, hyphens and spaces ignored), a small synonym
table, then -- as a last resort and only for open-ended fields -- the nearest catalog value by
embedding above a similarity threshold. Anything else returns None: a wrong hard filter empties
the result list, which is worse than no filter.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

FIELD_ALIASES = {"color": "colour", "type": "product_type", "occasion": "usage", "size": "sizes"}
EMBEDDING_FIELDS = ("product_type", "colour")
EMBEDDING_THRESHOLD = 0.72

SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "product_type": {
        "sneaker": ("Casual Shoes", "Sports Shoes"), "running shoe": ("Sports Shoes",),
        "trainer": ("Sports Shoes",), "training shoe": ("Sports Shoes",), "tee": ("Tshirts",),
        "t shirt": ("Tshirts",), "tshirt": ("Tshirts",), "polo": ("Tshirts",), "pant": ("Trousers",),
        "trouser": ("Trousers",), "purse": ("Handbags", "Clutches"), "bag": ("Handbags",), "tote": ("Handbags",),
        "hoodie": ("Sweatshirts",), "jumper": ("Sweaters",), "pullover": ("Sweaters",), "shades": ("Sunglasses",),
        "heel": ("Heels",), "flip flop": ("Flip Flops",), "slipper": ("Flip Flops",), "frock": ("Dresses",),
        "gown": ("Dresses",), "sofa": ("Sofas & armchairs",), "couch": ("Sofas & armchairs",),
    },
    "gender": {
        "guy": ("Men",), "male": ("Men",), "man": ("Men",), "gent": ("Men",), "gentleman": ("Men",),
        "him": ("Men",), "mens": ("Men",), "lady": ("Women",), "ladies": ("Women",), "female": ("Women",),
        "woman": ("Women",), "her": ("Women",), "womens": ("Women",), "boy": ("Boys",), "girl": ("Girls",),
        "kid": ("Boys", "Girls"), "child": ("Boys", "Girls"), "unisex": ("Unisex",),
    },
    "colour": {
        "navy": ("Navy Blue",), "gray": ("Grey",), "golden": ("Gold",), "silver grey": ("Grey",),
        "cream": ("Cream", "Off White"), "offwhite": ("Off White",), "burgundy": ("Maroon",), "wine": ("Maroon",),
        "violet": ("Purple",), "khaki": ("Khaki", "Beige"), "tan": ("Tan", "Beige"),
    },
    "usage": {
        "office": ("Formal",), "work": ("Formal",), "business": ("Formal",), "gym": ("Sports",),
        "workout": ("Sports",), "running": ("Sports",), "sport": ("Sports",), "wedding": ("Ethnic", "Party"),
        "festive": ("Ethnic",), "everyday": ("Casual",), "daily": ("Casual",), "trip": ("Travel",),
    },
    "season": {"autumn": ("Fall",), "summer": ("Summer",), "winter": ("Winter",), "spring": ("Spring",)},
}


def fold(text: str) -> str:
    """Case-, hyphen-, space- and plural-insensitive key ("T-Shirts" and "tshirt" both give "tshirt")."""
    words = re.findall(r"[a-z0-9&]+", text.lower().replace("-", "").replace("'", "").replace("\u2019", ""))
    folded = []
    for word in words:
        if len(word) > 4 and word.endswith(("sses", "shes", "ches", "xes")):
            word = word[:-2]
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        folded.append(word)
    return "".join(folded)


class Vocabulary:
    """Catalog values per field, with the lookups ``canonicalise`` needs."""

    def __init__(self, values: Mapping[str, Iterable[str | None]], *, embed: Callable[[Sequence[str]], np.ndarray] | None = None) -> None:
        self.values = {name: sorted({v for v in vals if v}) for name, vals in values.items()}
        self.folded = {name: {fold(v): v for v in vals} for name, vals in self.values.items()}
        self.synonyms = {name: {fold(k): v for k, v in table.items()} for name, table in SYNONYMS.items()}
        self.value_words = {name: [(v, [fold(w) for w in v.split()]) for v in vals] for name, vals in self.values.items()}
        self.embed = embed
        self._value_vectors: dict[str, np.ndarray] = {}

    def canonicalise(self, field: str, text: str, *, nearest: bool = True) -> str | None:
        """The catalog value of ``field`` that ``text`` means, or None when nothing matches well enough.

        ``nearest=False`` skips the embedding fallback (used when scanning every query word).
        """
        field = FIELD_ALIASES.get(field, field)
        folded_values = self.folded.get(field)
        key = fold(text or "")
        if not folded_values or not key:
            return None
        if key in folded_values:
            return folded_values[key]
        for candidate in self.synonyms.get(field, {}).get(key, ()):
            if fold(candidate) in folded_values:
                return folded_values[fold(candidate)]
        if field == "brand":
            close = difflib.get_close_matches(key, list(folded_values), n=1, cutoff=0.85)
            return folded_values[close[0]] if close else None
        if nearest and field in EMBEDDING_FIELDS and self.embed is not None:
            return self._nearest(field, text)
        return None

    def mentioned(self, field: str, tokens: set[str]) -> list[str]:
        """Catalog values of ``field`` whose folded words all occur in the folded query ``tokens``."""
        return [value for value, words in self.value_words.get(field, ()) if words and all(w in tokens for w in words)]

    def _nearest(self, field: str, text: str) -> str | None:
        assert self.embed is not None
        if field not in self._value_vectors:
            self._value_vectors[field] = self.embed(self.values[field])
        scores = self._value_vectors[field] @ self.embed([text])[0]
        best = int(np.argmax(scores))
        return self.values[field][best] if scores[best] >= EMBEDDING_THRESHOLD else None
