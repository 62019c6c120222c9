"""Resolving "the second one", "that one", "the blue one", "the checked ones" to products on screen.

Pure: takes the products shown (in screen order), the focused product and the message; returns the
products referred to, or the candidates to ask about and why. A reference that cannot be resolved
("the 6th" on a 5-card page, "the red one" when nothing on screen is red) is never guessed: the
caller asks which product is meant instead of acting on another one.

A description is read from the NLU's entities and from the customer's own words after "the",
"those", "that" ... ("the checked ones", "the Nike one"): each word must match, by its stem, a word
of the product's title or one of its attribute values (checked ~ Check, striped ~ Stripes). "The
cheaper one", "the cheapest", "the most expensive" pick by price among the products that fit. A
plural ("the black ones") may mean several products: ``Resolution.products`` then holds all of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from retrieval import Product
from retrieval.attributes import REGISTRY, by_entity, named_by

ORDINAL_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
                 "eighth": 8, "ninth": 9, "tenth": 10}
_ORDINAL = "|".join(ORDINAL_WORDS)
_FROM_END = re.compile(rf"\b(?:(?P<n>{_ORDINAL})\s+(?:to|from)\s+(?:the\s+)?last|(?P<m>{_ORDINAL})\s+last|last\s+but\s+one|penultimate)\b")
_LAST = re.compile(r"\b(?:last|final|bottom)\b")
_WORD = re.compile(rf"\b(?P<w>{_ORDINAL})\b")
_SUFFIXED = re.compile(r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)\b")
_NUMBERED = re.compile(r"(?:#\s*|\b(?:number|no\.?|item|option|product|result|card|choice)\s+)(?P<d>\d{1,2})\b")
_ONLY_NUMBER = re.compile(r"^\s*(?:the\s+)?#?(?P<d>\d{1,2})\s*(?:one)?\s*[.!?]?\s*$")
_CHEAPEST = re.compile(r"\b(?:cheap(?:er|est)?|(?:less|least)\s+expensive|(?:more\s+|most\s+)?affordable|low(?:er|est)[\s-]+pric(?:e|ed))\b")
_DEAREST = re.compile(r"\b(?:(?:more|most)\s+expensive|expensive|pric(?:ier|iest)|costl(?:ier|iest)|high(?:er|est)[\s-]+pric(?:e|ed))\b")
_TOKEN = re.compile(r"[a-z0-9]+")
SEVERAL_FIT = "Several products on screen fit that."
POINTERS = frozenset({"the", "that", "this", "those", "these"})
"""Words that start a reference to products on screen: a description follows them ("the checked ones")."""
PLURAL = frozenset({"ones", "those", "these", "them", "both", "all"})
ORDINARY = frozenset({
    "a", "an", "the", "this", "that", "these", "those", "one", "ones", "it", "its", "them", "they", "i", "me",
    "my", "mine", "you", "your", "we", "us", "our", "he", "she", "him", "her", "his", "like", "likes", "liked",
    "love", "loves", "loved", "want", "wanted", "take", "add", "buy", "get", "give", "show", "see", "tell",
    "select", "pick", "choose", "prefer", "hate", "dislike", "dislikes", "compare", "keep", "remove", "put",
    "try", "go", "about", "other", "others", "same", "previous", "next", "new", "here", "there", "on", "in",
    "at", "of", "for", "to", "with", "from", "and", "or", "but", "not", "no", "yes", "please", "thanks",
    "thank", "really", "very", "so", "just", "too", "also", "quite", "actually", "only", "is", "are", "was",
    "were", "be", "do", "does", "did", "dont", "don", "isn", "what", "which", "who", "why", "how", "much",
    "many", "some", "any", "all", "both", "item", "items", "product", "products", "thing", "things", "option",
    "options", "choice", "choices", "card", "cards", "result", "results", "cart", "basket", "screen", "page",
    "list", "look", "looks", "details", "info", "information"
})
"""The ordinary words of a reference ("i like the ... ones"): they end a description and never describe a product."""
PRICE_WORDS = frozenset({
    "cheap", "cheaper", "cheapest", "expensive", "affordable", "pricier", "priciest", "costlier", "costliest",
    "lower", "lowest", "higher", "highest", "price", "priced", "less", "least", "more", "most"
})
"""Words of a price order ("the less expensive checked one"): read as the order, skipped inside a description."""


@dataclass
class Resolution:
    """Products the customer meant; else ``candidates`` to choose from and ``problem`` saying why we ask."""

    products: list[Product] = field(default_factory=list)
    candidates: list[Product] = field(default_factory=list)
    problem: str = ""
    plural: bool = False
    """The customer referred to several products ("the black ones"): each of ``products`` is meant."""


@dataclass
class Description:
    """What a message says about the products it means, besides positions."""

    entities: list[dict[str, Any]] = field(default_factory=list)
    """NLU entities naming an attribute value ("blue" as a colour): matched against that attribute."""
    words: list[str] = field(default_factory=list)
    """The customer's own describing words ("checked"): matched against titles and every attribute value."""
    order: str | None = None
    """"cheapest" or "dearest": pick by price among the products that fit."""
    plural: bool = False
    phrases: list[list[str]] = field(default_factory=list)
    """Each pointer's words, tagged ones included ("compare *the checked* one and *the striped* one")."""

    def __bool__(self) -> bool:
        return bool(self.entities or self.words or self.order)

    def fits(self, product: Product) -> bool:
        return all(_matches(product, e) for e in self.entities) and all(stem(w) in product_stems(product) for w in self.words)

    def text(self) -> str:
        """The describing words in the customer's terms, for a question back ("checked", "blue nike")."""
        return " ".join(dict.fromkeys([*(str(e.get("value")) for e in self.entities), *self.words]))


def ordinal_positions(entities: Sequence[dict[str, Any]], text: str) -> list[int]:
    """Positions named by ordinal entities, else read from the words (1-based; -1 = last, -2 = second to last).

    Only unmistakable forms are read from the text: ordinal words, "3rd", "#3", "number 3", or a
    message that is just a number. "size 8", "under 50" and "lasting" name no position.
    """
    positions: list[int] = []
    for entity in entities:
        if entity.get("entity") == "ordinal":
            try:
                positions.append(int(str(entity.get("value"))))
            except ValueError:
                continue
    if positions:
        return positions
    lowered = text.lower()
    found: list[tuple[int, int]] = []
    for match in _FROM_END.finditer(lowered):
        word = match.group("n") or match.group("m")
        found.append((match.start(), -ORDINAL_WORDS[word] if word else -2))
        lowered = lowered[:match.start()] + " " * (match.end() - match.start()) + lowered[match.end():]
    found += [(m.start(), -1) for m in _LAST.finditer(lowered)]
    found += [(m.start(), ORDINAL_WORDS[m.group("w")]) for m in _WORD.finditer(lowered)]
    found += [(m.start(), int(m.group("d"))) for m in _SUFFIXED.finditer(lowered)]
    found += [(m.start(), int(m.group("d"))) for m in _NUMBERED.finditer(lowered)]
    only = _ONLY_NUMBER.match(lowered)
    if only and not found:
        found.append((0, int(only.group("d"))))
    return [n for _, n in sorted(found) if n != 0]


def product_at(shown: Sequence[Product], position: int, first_position: int) -> Product | None:
    """The product at a spoken position: counted from the end when negative, else by its card number or screen order."""
    if position < 0:
        return shown[position] if -len(shown) <= position else None
    if first_position <= position < first_position + len(shown):
        return shown[position - first_position]  # "the 7th" on the page showing 6-10
    if 1 <= position <= len(shown):
        return shown[position - 1]  # "the second" on that page: the second card on screen
    return None


def stem(word: str) -> str:
    """A light stem, so that a word matches its forms: checked/checks -> check, striped/stripes -> strip."""
    word = word.lower()
    for suffix in ("ing", "ed", "es", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not (suffix == "s" and word.endswith("ss")):
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]  # dotted -> dot, knitted -> knit
    return word


def product_stems(product: Product) -> set[str]:
    """Stems of the product's title and of every registered attribute value it holds."""
    texts = [product.title, *(value for spec in REGISTRY for value in spec.values_of(product))]
    return {stem(word) for text in texts for word in _TOKEN.findall(text.lower())}


def describe(entities: Sequence[dict[str, Any]], text: str) -> Description:
    """The description a message gives: attribute entities, the words after "the"/"those"..., a price order.

    Only the words right after a pointer count, up to an ordinary word ("add *the checked* one to my
    cart"), so the rest of a sentence ("what sizes does it come in") never describes a product.
    """
    entities = [e for e in entities if by_entity(str(e.get("entity"))) is not None and e.get("role") != "exclude"]
    description = Description(entities=entities)
    lowered = "" if text.lstrip().startswith("/") else text.lower().replace("\u2019", "'").replace("'s", "")
    if _CHEAPEST.search(lowered):
        description.order = "cheapest"
    elif _DEAREST.search(lowered):
        description.order = "dearest"
    tagged = {stem(w) for e in entities for w in _TOKEN.findall(str(e.get("value") or "").lower())}
    tokens = _TOKEN.findall(lowered.replace("'", ""))
    description.plural = any(t in PLURAL for t in tokens)
    for position, token in enumerate(tokens):
        if token not in POINTERS:
            continue
        phrase = []
        for word in tokens[position + 1:]:
            if word in PRICE_WORDS:
                continue
            if word in ORDINARY or word.isdigit():
                break
            if len(word) > 1:
                phrase.append(word)
        if phrase:
            description.phrases.append(phrase)
    description.words = list(dict.fromkeys(w for phrase in description.phrases for w in phrase if stem(w) not in tagged))
    return description


def resolve(
    shown: Sequence[Product],
    focused: Product | None,
    entities: Sequence[dict[str, Any]],
    text: str,
    *,
    first_position: int = 1,
    wanted: int = 1,
    named: Sequence[Product] = (),
) -> Resolution:
    """Find the ``wanted`` products a message refers to among ``shown`` (then the focused one).

    ``named`` are products a card button named by id (they may have scrolled off the screen). A
    plural description ("the checked ones") gives every product that fits, flagged ``plural``.
    """
    if named:
        return Resolution(products=list(named)[:max(wanted, len(named))])
    positions = ordinal_positions(entities, text)
    if positions:
        chosen = [product_at(shown, p, first_position) for p in positions]
        if all(chosen):
            return Resolution(products=list(dict.fromkeys(p for p in chosen if p is not None)))
        if not shown:
            return Resolution()
        last = first_position + len(shown) - 1
        return Resolution(candidates=list(shown), problem=f"I only have products {first_position}–{last} on screen.")
    description = describe(entities, text)
    description.words = [w for w in description.words if _describes(w, shown)]
    description.phrases = [kept for phrase in description.phrases if (kept := [w for w in phrase if _describes(w, shown)])]
    if description and shown:
        return _by_description(shown, description, wanted)
    if focused is not None:
        return Resolution(products=[focused])
    if len(shown) == 1:
        return Resolution(products=list(shown))
    return Resolution(candidates=list(shown))


def _describes(word: str, shown: Sequence[Product]) -> bool:
    """A word for an attribute itself ("the colour options") describes only where a card has it ("the cap")."""
    return named_by(word) is None or any(stem(word) in product_stems(p) for p in shown)


def _by_description(shown: Sequence[Product], description: Description, wanted: int) -> Resolution:
    """The products that fit a description, one per phrase for a comparison, or the candidates to ask about."""
    if wanted > 1 and len(description.phrases) >= wanted:  # "compare the checked one and the striped one"
        picked: list[Product] = []
        for phrase in description.phrases:
            fits = [p for p in shown if p not in picked and all(stem(w) in product_stems(p) for w in phrase)]
            if len(fits) > 1:
                return Resolution(candidates=fits, problem=f"Several {' '.join(phrase)} ones are on screen.")
            if not fits:
                return Resolution(candidates=list(shown), problem=f"I don't see a {' '.join(phrase)} one on screen.")
            picked.append(fits[0])
        return Resolution(products=picked[:wanted])
    matches = [p for p in shown if description.fits(p)]
    if description.order and matches:
        priced = [p for p in matches if p.price is not None]
        best = (min if description.order == "cheapest" else max)((float(p.price) for p in priced if p.price is not None), default=None)
        matches = [p for p in priced if p.price == best]
    if len(matches) == 1 or (wanted > 1 and len(matches) >= wanted):
        return Resolution(products=matches[:wanted], plural=description.plural and len(matches) > 1)
    if matches and description.plural:
        return Resolution(products=matches, plural=True)
    if matches:
        return Resolution(candidates=matches, problem=SEVERAL_FIT)
    if not description.text():
        return Resolution(candidates=list(shown), problem="None of these has a price to compare.")
    missing = f"any {description.text()} ones" if description.plural else f"a {description.text()} one"
    return Resolution(candidates=list(shown), problem=f"I don't see {missing} on screen.")


def _matches(product: Product, entity: dict[str, Any]) -> bool:
    """Whether a described value fits the product: its value of that attribute, or (text attributes) its title and values."""
    words = [stem(w) for w in _TOKEN.findall(str(entity.get("value") or "").lower())]
    spec = by_entity(str(entity.get("entity")))
    if not words or spec is None:
        return False
    if spec.field:
        held = {stem(w) for value in spec.values_of(product) for w in _TOKEN.findall(value.lower())}
    else:
        held = product_stems(product)
    return set(words) <= held
