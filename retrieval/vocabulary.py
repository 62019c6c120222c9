"""Canonicalisation of free text to catalog values ("t-shirt" -> Tshirts, "kids" -> Boys and Girls).

Each registered attribute (``retrieval.attributes``) names the sources its values are looked up
in, tried in order until one answers: the catalog's own values (case, plural, hyphens and spaces
ignored), the synonym table (``retrieval/synonyms.yml``), a close spelling of a catalog value, and
the nearest catalog value by embedding above a similarity threshold. The close spelling also
matches the synonym table's words ("snekers" is a misspelt "sneakers"). Anything else gives no value:
a wrong hard filter empties the result list, which is worse than no filter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml
from rapidfuzz import fuzz, process

from retrieval.attributes import Attribute, attribute, by_entity, named_by

SYNONYMS_FILE = Path(__file__).with_name("synonyms.yml")
EMBEDDING_THRESHOLD = 0.72
FUZZY_CUTOFF = 85.0  # rapidfuzz ratio (0-100): 'addidas' ~ 'adidas' 92, 'shirt' ~ 'skirt' 80


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


def close_spelling(key: str, choices: list[str]) -> str | None:
    """The choice ``key`` is a misspelling of, or None.

    A longer choice that holds ``key`` whole is another, narrower thing, not a typo: "furniture" is
    85.7 % like "barfurniture" and must not mean bar furniture (a letter or two more, as in "tshirt"
    for "shirt", still counts as spelling).
    """
    for choice, _, _ in process.extract(key, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=5):
        if not (key in choice and len(choice) > len(key) + 2):
            return str(choice)
    return None


@lru_cache(maxsize=4)
def load_synonyms(path: Path = SYNONYMS_FILE) -> dict[str, dict[str, tuple[str, ...]]]:
    """The synonym table: attribute name -> folded customer word -> catalog values it may mean."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    table: dict[str, dict[str, tuple[str, ...]]] = {}
    for name, words in raw.items():
        attribute(str(name))  # a section for an unregistered attribute is a mistake in the file
        table[str(name)] = {fold(str(word)): tuple(str(v) for v in values) for word, values in (words or {}).items()}
    return table


def table_values(name: str, text: str) -> list[str]:
    """What the synonym table says a word means for an attribute, whether or not the catalog has it.

    The catalog-independent reading: "gift" is an occasion even in a catalog with no gift label, which
    an attribute with soft values keeps as a soft constraint (``Attribute.soft_values``).
    """
    return list(load_synonyms().get(name, {}).get(fold(text or ""), ()))


def resolve_attribute(name: str) -> Attribute | None:
    """An attribute from its registry name, its NLU entity or a word for it ("color", "occasion")."""
    try:
        return attribute(name)
    except KeyError:
        return by_entity(name) or named_by(name)


class Vocabulary:
    """Catalog values per attribute, with the lookups ``canonical_values`` needs."""

    def __init__(self, values: Mapping[str, Iterable[str | None]], *,
                 embed: Callable[[Sequence[str]], np.ndarray] | None = None,
                 synonyms: Mapping[str, Mapping[str, tuple[str, ...]]] | None = None) -> None:
        self.values = {name: sorted({v for v in vals if v}) for name, vals in values.items()}
        self.folded: dict[str, dict[str, list[str]]] = {}
        for name, vals in self.values.items():
            spec = resolve_attribute(name)
            keys: dict[str, list[str]] = {}
            for value in vals:
                names = {fold(value), fold(spec.level_name(value))} if spec is not None else {fold(value)}
                for key in names:
                    keys.setdefault(key, []).append(value)
            self.folded[name] = keys
        self.synonyms = load_synonyms() if synonyms is None else synonyms
        self.value_words = {name: [(v, [fold(w) for w in v.split()]) for v in vals] for name, vals in self.values.items()}
        self.embed = embed
        self._value_vectors: dict[str, np.ndarray] = {}

    def canonical_values(self, name: str, text: str, *, nearest: bool = True) -> list[str]:
        """Every catalog value of the attribute that ``text`` means; empty when nothing matches well enough.

        ``nearest=False`` skips the embedding source (used when scanning every query word).
        """
        spec = resolve_attribute(name)
        if spec is None:
            return []
        folded_values = self.folded.get(spec.name)
        key = fold(text or "")
        if not folded_values or not key:
            return []
        for source in spec.synonyms:
            if source == "catalog" and key in folded_values:
                return list(folded_values[key])
            if source == "table":
                found = [v for word in self.synonyms.get(spec.name, {}).get(key, ()) for v in folded_values.get(fold(word), [])]
                if found:
                    return list(dict.fromkeys(found))
            if source == "fuzzy":
                close = close_spelling(key, list(folded_values))
                if close:
                    return list(folded_values[close])
                if "table" in spec.synonyms:  # a close spelling of a customer word for values: "snekers" ~ "sneaker"
                    found = self._close_synonym(spec.name, key)
                    if found:
                        return found
            if source == "embedding" and nearest and self.embed is not None:
                best = self._nearest(spec.name, text)
                if best is not None:
                    return [best]
        return []

    def canonicalise(self, name: str, text: str, *, nearest: bool = True) -> str | None:
        """The first catalog value ``text`` means, or None (``canonical_values`` gives them all)."""
        found = self.canonical_values(name, text, nearest=nearest)
        return found[0] if found else None

    def mentioned(self, name: str, tokens: set[str]) -> list[str]:
        """Catalog values of ``name`` whose folded words all occur in the folded query ``tokens``."""
        return [value for value, words in self.value_words.get(name, ()) if words and all(w in tokens for w in words)]

    def _close_synonym(self, name: str, key: str) -> list[str]:
        """The catalog values of the synonym-table word closest in spelling to ``key`` (only words whose values the catalog has)."""
        folded_values = self.folded.get(name, {})
        words = {word: [v for value in values for v in folded_values.get(fold(value), [])]
                 for word, values in self.synonyms.get(name, {}).items()}
        close = close_spelling(key, [w for w, found in words.items() if found])
        return list(dict.fromkeys(words[close])) if close else []

    def _nearest(self, name: str, text: str) -> str | None:
        assert self.embed is not None
        if name not in self._value_vectors:
            self._value_vectors[name] = self.embed(self.values[name])
        scores = self._value_vectors[name] @ self.embed([text])[0]
        best = int(np.argmax(scores))
        return self.values[name][best] if scores[best] >= EMBEDDING_THRESHOLD else None
