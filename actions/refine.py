"""What a customer's message adds to the constraints: entities, their own words, who it is for.

Pure functions (no I/O). Besides the NLU's entities, the customer's own words are read for the
attributes the registry marks ``read_from_text``, with the same lookups and the synonym table
(``retrieval/synonyms.yml``): who the product is for ("for my wife", "she likes watches") and the
occasion ("a present"). A new search carries over who it is for only when the words say so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from actions.constraints import PRICE_ENTITIES, Canonicaliser, Constraints, merged, parse_price
from retrieval.attributes import PRICE, REGISTRY, Attribute, attribute, by_entity, categorical, discrete
from retrieval.vocabulary import fold, table_values

_SAME_PERSON = re.compile(r"\b(also|too|as\s+well|another|matching|to\s+go\s+with|same\s+person|for\s+(him|her|them)\s+too)\b")
PRONOUNS = frozenset({"she", "he", "her", "him", "his"})
"""Words that refer back to someone already named; which groups each may mean is the synonym table's."""
_WORD = re.compile(r"[a-z0-9]+")


@dataclass
class Mention:
    """One value the message names for an attribute: from an NLU entity or from the customer's own words."""

    spec: Attribute
    values: list[str]
    word: str
    soft: bool = False
    exclude: bool = False


def apply_entities(constraints: Constraints, entities: Iterable[dict[str, Any]], canonicalise: Canonicaliser, *,
                   replace: bool = True, text: str = "") -> Constraints:
    """Merge one message's entities (and, given ``text``, the words the NLU left untagged) into the constraints.

    Several values of one attribute in the same message ("black or navy") are kept together; a
    value in a later message replaces the earlier ones ("actually red") when ``replace`` is true.
    An entity with role ``exclude`` ("not Nike") moves the value to the exclusions. A price entity
    without a usable number ("a bigger budget") leaves the budget as it was. Who the product is
    for follows the person: "my wife" names her; a pronoun ("she") refers back to the person named
    before, or names whoever it can mean when nobody was.
    """
    entities = list(entities)
    updated = constraints.copy()
    updated.latest = []
    mentions: list[Mention] = []
    for entity in entities:
        name, raw = entity.get("entity"), str(entity.get("value") or "").strip()
        if not raw:
            continue
        if name in PRICE_ENTITIES:
            price = parse_price(raw)
            if price is not None:
                setattr(updated, str(name), price)
                updated.mark_latest(PRICE.name)
            continue
        spec = by_entity(str(name))
        if spec is None or spec.kind == "range":
            continue
        mention = _read_value(spec, raw, canonicalise, exclude=entity.get("role") == "exclude")
        if mention is not None:
            mentions.append(mention)
        elif entity.get("role") != "exclude" and spec.keeps_unknown_words:
            updated.keywords = merged(updated.keywords, [raw.lower()])
    if text:
        mentions += read_words(text, entities, canonicalise)
    replaced: set[str] = set()
    for mention in _follow_the_person(constraints, updated, mentions):
        _apply(updated, mention, replaced if replace else None)
    if updated.price_min is not None and updated.price_max is not None and updated.price_min > updated.price_max:
        updated.price_min, updated.price_max = updated.price_max, updated.price_min
    return Constraints.from_dict(updated.to_dict())


def _read_value(spec: Attribute, raw: str, canonicalise: Canonicaliser, *, exclude: bool = False) -> Mention | None:
    """The catalog values a word names for ``spec`` (or its broader attribute), else its soft value, else None.

    ``exclude``: the customer ruled the value out ("not Nike"); it is excluded where the attribute allows.
    """
    values = canonicalise(spec.name, raw) if spec.synonyms else [raw.lower()]
    if not values and spec.broader:  # "bags", "footwear": not a product type, but a category
        broader = attribute(spec.broader)
        values = canonicalise(broader.name, raw)
        spec = broader if values else spec
    if values:
        return Mention(spec, values, raw, exclude=exclude and spec.excludable)
    soft = table_values(spec.name, raw) if spec.soft_values and not exclude else []
    return Mention(spec, soft, raw, soft=True) if soft else None


def message_words(text: str, entities: Iterable[dict[str, Any]] = ()) -> list[str]:
    """The customer's words that no entity covers (lower case, in order); none for a button's payload."""
    if text.lstrip().startswith("/"):
        return []
    lowered = text.lower()
    tagged: set[str] = set()
    for entity in entities:
        start, end = entity.get("start"), entity.get("end")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(lowered):
            lowered = lowered[:start] + " " * (end - start) + lowered[end:]
        tagged |= {fold(w) for w in _WORD.findall(str(entity.get("value") or "").lower())}
    return [w for w in _WORD.findall(lowered) if fold(w) not in tagged]


def read_words(text: str, entities: Iterable[dict[str, Any]], canonicalise: Canonicaliser) -> list[Mention]:
    """Values of the ``read_from_text`` attributes the NLU did not tag, read from the customer's words.

    Two-word phrases are tried before single words ("smart casual"); an attribute an entity of the
    message already names is left to the NLU.
    """
    entities = list(entities)
    named = {spec.name for e in entities if (spec := by_entity(str(e.get("entity")))) is not None}
    words = message_words(text, entities)
    found: list[tuple[int, Mention]] = []
    for spec in REGISTRY:
        if not spec.read_from_text or spec.name in named:
            continue
        taken: set[int] = set()
        for size in (2, 1):
            for start in range(len(words) - size + 1):
                span = set(range(start, start + size))
                if span & taken:
                    continue
                mention = _read_value(spec, " ".join(words[start:start + size]), canonicalise)
                if mention is not None and mention.spec is spec:
                    found.append((start, mention))
                    taken |= span
    return [mention for _, mention in sorted(found, key=lambda item: item[0])]


def _follow_the_person(before: Constraints, updated: Constraints, mentions: list[Mention]) -> list[Mention]:
    """Who the product is for: a named person wins over pronouns; a pronoun refers back when it can.

    "My wife ... she" names the wife; "she" alone after "my wife" keeps Women (the person named
    before); "he" after "my wife", or "she" with nobody named before, means whoever the pronoun can.
    """
    chosen: dict[str, list[Mention]] = {}
    for mention in mentions:
        spec = mention.spec
        if not spec.for_whom or spec.name in chosen:
            continue
        said = [m for m in mentions if m.spec is spec]
        named = [m for m in said if fold(m.word) not in PRONOUNS]
        if named:
            updated.recipient = fold(named[0].word)
            chosen[spec.name] = named
            continue
        meant = merged([], (v for m in said for v in m.values))
        earlier = [v for v in before.values(spec.name) if v in meant]
        if not earlier:
            updated.recipient = None
        chosen[spec.name] = [Mention(spec, earlier or meant, said[0].word)]
    ordered: list[Mention] = []
    for mention in mentions:
        if not mention.spec.for_whom:
            ordered.append(mention)
        elif mention.spec.name in chosen:
            ordered += chosen.pop(mention.spec.name)
    return ordered


def _apply(updated: Constraints, mention: Mention, replaced: set[str] | None) -> None:
    """One mention into the constraints; the first value of an attribute in a message replaces older ones."""
    spec, values = mention.spec, mention.values
    if mention.exclude:
        updated.unwanted[spec.name] = merged(updated.excluded(spec.name), values)
        updated.wanted[spec.name] = [v for v in updated.values(spec.name) if v not in values]
    else:
        if replaced is not None and spec.name not in replaced:
            updated.wanted[spec.name], updated.soft[spec.name] = [], []
            replaced.add(spec.name)
        bucket = updated.soft if mention.soft else updated.wanted
        bucket[spec.name] = merged(bucket.get(spec.name) or [], values)
        updated.unwanted[spec.name] = [v for v in updated.excluded(spec.name) if v not in values]
    updated.mark_latest(spec.name)


def implies_same_person(text: str) -> bool:
    """Whether a new request continues for the same person ("a watch too", "matching shoes")."""
    return bool(_SAME_PERSON.search(text.lower()))


def refers_back(previous: Constraints, request: Constraints, text: str) -> bool:
    """Whether a new request is for the person of the previous search.

    Yes when it names the same person again, says so ("a watch too"), or uses a pronoun that can
    mean them ("she likes watches" after "a gift for my wife"); no when it names someone else
    ("and something for my son") or a pronoun that cannot mean them ("he" after "my wife").
    """
    if request.recipient is not None:
        return request.recipient == previous.recipient
    for spec in categorical():
        said, before = request.values(spec.name), previous.values(spec.name)
        if spec.for_whom and said and before and not set(said) & set(before):
            return False
    return implies_same_person(text) or any(word in PRONOUNS for word in message_words(text))


def start_new_search(previous: Constraints, entities: list[dict[str, Any]], canonicalise: Canonicaliser, text: str = "") -> Constraints:
    """A fresh request drops the old constraints; who it is for carries over only when the words say so.

    "A watch too" after a search for men's shoes keeps "for Men"; "show me a watch" starts clean,
    because the customer may well be shopping for someone else now. With the person come the soft
    constraints ("she likes watches" after "a gift for my wife": women's watches, still a gift). A
    gender the new request names itself always wins.
    """
    request = apply_entities(Constraints(), entities, canonicalise, text=text)
    carried = Constraints()
    if refers_back(previous, request, text):
        for spec in discrete():
            if spec.for_whom and previous.values(spec.name):
                carried.wanted[spec.name] = previous.values(spec.name)
            if previous.soft_values(spec.name):
                carried.soft[spec.name] = previous.soft_values(spec.name)
        carried.recipient = previous.recipient
    return apply_entities(carried, entities, canonicalise, text=text)
