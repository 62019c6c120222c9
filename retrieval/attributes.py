"""The product-attribute registry: the one definition of every attribute a product can be searched by.

Why one registry: the conversation's constraints, the search filters, the bridge between them, the
summary shown with every result page, explanations, comparisons, boosts, relaxation and the
learned preferences all talk about the same attributes. When each kept its own list they drifted
(an excluded material was stored and shown but never filtered). Everything that needs "the
attributes" iterates ``REGISTRY`` or asks ``attribute(name)``; adding a catalog attribute (a
designer, a category level) is one entry here plus one line in the catalog's mapping.

Where an attribute's values come from (``Attribute.field``):
* a typed field of ``Product`` ("colour", "sizes"), or
* ``"attributes.<key>"``: a free attribute the mapping keeps (``attributes: {designer: designer}``), or
* ``None``: the attribute has no catalog column and is matched in the product's text (materials).

A catalog may list several values in one field ("Teen Lounge Furniture|Accent Chairs", a mapping's
``split``): the field keeps them joined with the attribute's ``separator`` and ``values_of`` returns
each, so filters, facets, the vocabulary and ``display`` treat the product as holding every one.

Where the words customers use for its values come from (``Attribute.synonyms``), tried in order:
``"catalog"`` (the catalog's own values, case/plural-insensitive), ``"table"`` (the attribute's
section of ``retrieval/synonyms.yml``: "sneakers" -> Casual Shoes and Sports Shoes), ``"fuzzy"``
(a close spelling of a catalog value: "addidas"), ``"embedding"`` (the nearest catalog value by
meaning, above a threshold). An attribute without sources keeps the customer's own word. A table
value the catalog lacks is skipped, unless the attribute keeps soft values ("a gift" steers the
ranking of a catalog with no gift label, without filtering).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["value", "range", "text"]
Source = Literal["catalog", "table", "fuzzy", "embedding"]


@dataclass(frozen=True)
class Attribute:
    """One product attribute and everything the assistant does with it."""

    name: str
    """Registry key: the key of ``Filters.include``/``exclude`` and of the conversation's constraints."""
    label: str
    """How a sentence names it ("colour", "occasion"); summaries say "colour Black"."""
    title: str
    """Row heading in product details and comparisons ("Colour", "For")."""
    field: str | None
    """Where a product holds it (a ``Product`` field or ``"attributes.<key>"``); None: matched in text."""
    entity: str | None = None
    """The NLU entity whose values name it ("color" for colour); None when the NLU has none."""
    kind: Kind = "value"
    """``value``: categorical; ``range``: a numeric range (price); ``text``: words in the product text."""
    filterable: bool = True
    """A stated value is a hard filter (otherwise it only steers the ranking)."""
    excludable: bool = False
    """"not X" excludes products with X."""
    multi_valued: bool = False
    """Every product may hold several values (sizes, a path's levels); a filter matches when any of them is wanted.
    An attribute with a ``separator`` holds several only where the catalog lists several."""
    separator: str | None = None
    """Several values kept in one text field are joined with it ("Accent Chairs|Teen Lounge Furniture"); a
    mapping may ``split`` only the fields of attributes that have one. None: the field holds one value."""
    relax_rank: int | None = None
    """Order in which a search without results drops it (lowest first); None: never dropped."""
    words: tuple[str, ...] = ()
    """Words customers use for the attribute itself: "any colour", "forget the budget"."""
    synonyms: tuple[Source, ...] = ()
    """Where customers' words for its values are looked up, in order (see the module docstring)."""
    boost: bool = False
    """A value named in the query lifts products that have it (hybrid search)."""
    learned: bool = False
    """Reactions to products teach a preference for (or against) their value of this attribute."""
    always_included: tuple[str, ...] = ()
    """Values every filter on this attribute also admits ("for Men" includes Unisex products)."""
    summary: str = "{value}"
    """How one wanted value reads in the constraint summary ("size {value}")."""
    in_query: bool = True
    """Its values are part of the text handed to semantic and lexical search."""
    keeps_unknown_words: bool = False
    """A value the catalog does not know is kept as a search keyword instead of being dropped."""
    soft_values: bool = False
    """A value the synonym table names but the catalog lacks ("a gift": no product is labelled one) is kept
    as a soft constraint: it steers the ranking and shows in the summary, and never filters."""
    read_from_text: bool = False
    """Its words are also read from the customer's message when the NLU tagged none ("for my wife", "a present")."""
    for_whom: bool = False
    """It says who the product is for: a new request that refers to the same person ("she likes watches")
    keeps it, together with the soft constraints; a request for someone else ("my son") replaces it."""
    path_separator: str | None = None
    """The value is a path ("Apparel > Topwear"): a product holds every level's prefix, so a filter on
    any level matches, and a level's own name ("topwear") names it."""
    broader: str | None = None
    """The attribute a customer's word for this one may name instead ("bags": no product type, a category)."""

    @property
    def noun(self) -> str:
        """The attribute's own name in a sentence ("I removed the colour", "gender", "price")."""
        return self.words[0] if self.words else self.name

    def values_of(self, product: Any) -> tuple[str, ...]:
        """The product's values of this attribute (empty when it has none or the value lives in text)."""
        if self.field is None:
            return ()
        if self.field.startswith("attributes."):
            raw = (getattr(product, "attributes", None) or {}).get(self.field.removeprefix("attributes."))
        else:
            raw = getattr(product, self.field, None)
        if raw is None or raw == "":
            return ()
        if isinstance(raw, (list, tuple)):
            values = tuple(str(v) for v in raw if v not in (None, ""))
        elif isinstance(raw, str) and self.separator is not None:
            values = tuple(dict.fromkeys(part.strip() for part in raw.split(self.separator) if part.strip()))
        else:
            values = (str(raw),)
        if self.path_separator is None:
            return values
        prefixes: list[str] = []
        for path in values:
            levels = [level.strip() for level in path.split(self.path_separator) if level.strip()]
            prefixes += [self.path_separator.join(levels[: i + 1]) for i in range(len(levels))]
        return tuple(dict.fromkeys(prefixes))

    def display(self, product: Any) -> str:
        """The product's values as one string for details and comparisons ("" when none; a path at its deepest)."""
        values = self.values_of(product)
        if self.path_separator is not None:
            values = tuple(v for v in values if not any(o.startswith(v + self.path_separator) for o in values))
        return ", ".join(values)

    def level_name(self, value: str) -> str:
        """A path value's own level ("Topwear" of "Apparel > Topwear"); the value itself otherwise."""
        return value.rsplit(self.path_separator, 1)[-1].strip() if self.path_separator else value


REGISTRY: tuple[Attribute, ...] = (
    Attribute(
        name="product_type", label="type", title="Type", field="product_type", entity="product_type",
        excludable=True, relax_rank=None, words=("type", "kind"),
        synonyms=("catalog", "table", "fuzzy", "embedding"), boost=True, learned=True, keeps_unknown_words=True,
        broader="category", separator="|",
    ),
    Attribute(
        name="colour", label="colour", title="Colour", field="colour", entity="color", excludable=True, relax_rank=70,
        words=("colour", "color", "colours", "colors", "shade"), synonyms=("catalog", "table", "fuzzy", "embedding"),
        boost=True, learned=True, separator="|",
    ),
    Attribute(
        name="gender", label="for", title="For", field="gender", entity="gender", relax_rank=80,
        words=("gender",), synonyms=("catalog", "table"), boost=True, always_included=("Unisex",),
        summary="for {value}", read_from_text=True, for_whom=True,
    ),
    Attribute(
        name="brand", label="brand", title="Brand", field="brand", entity="brand", excludable=True, relax_rank=60,
        words=("brand", "brands", "make", "label", "manufacturer"), synonyms=("catalog", "fuzzy"), learned=True,
    ),
    Attribute(
        name="usage", label="occasion", title="Occasion", field="usage", entity="occasion", relax_rank=40,
        words=("occasion", "usage", "event"), synonyms=("catalog", "table"), boost=True, learned=True,
        soft_values=True, read_from_text=True,
    ),
    Attribute(
        name="season", label="season", title="Season", field="season", entity="season", relax_rank=20,
        words=("season", "weather"), synonyms=("catalog", "table"), boost=True, learned=True,
    ),
    Attribute(
        name="material", label="material", title="Material", field=None, entity="material", kind="text",
        filterable=False, excludable=True, relax_rank=30, words=("material", "fabric", "materials"),
        keeps_unknown_words=True,
    ),
    Attribute(
        name="size", label="size", title="Sizes", field="sizes", entity="size", multi_valued=True, relax_rank=10,
        words=("size", "sizes", "fit"), synonyms=("catalog",), summary="size {value}", in_query=False,
        separator="|",
    ),
    Attribute(
        name="category", label="category", title="Category", field="category", multi_valued=True, excludable=True,
        words=("category", "categories", "department", "section"), synonyms=("catalog", "table", "fuzzy"), in_query=False,
        path_separator=" > ", separator="|",
    ),
    Attribute(
        name="price", label="price", title="Price", field="price", kind="range", relax_rank=50,
        words=("price", "prices", "budget", "cost", "money", "spend", "cap", "limit"), in_query=False,
    ),
)

_BY_NAME = {a.name: a for a in REGISTRY}
_BY_ENTITY = {a.entity: a for a in REGISTRY if a.entity}
PRICE = _BY_NAME["price"]
PRODUCT_TYPE = _BY_NAME["product_type"]


def attribute(name: str) -> Attribute:
    """The registered attribute called ``name``; a clear error for a name nobody registered."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"Unknown product attribute {name!r}; registered: {sorted(_BY_NAME)}") from None


def by_entity(entity: str | None) -> Attribute | None:
    """The attribute an NLU entity names ("color" -> colour), or None."""
    return _BY_ENTITY.get(entity or "")


def categorical() -> Iterator[Attribute]:
    """Attributes with discrete values (everything but price and text-matched ones)."""
    return (a for a in REGISTRY if a.kind == "value")


def discrete() -> Iterator[Attribute]:
    """Attributes whose values are words (categorical or matched in text): everything but price."""
    return (a for a in REGISTRY if a.kind != "range")


def catalog_backed() -> Iterator[Attribute]:
    """Categorical attributes whose values the catalog holds (filter columns, vocabulary)."""
    return (a for a in REGISTRY if a.kind == "value" and a.field is not None)


def named_by(word: str) -> Attribute | None:
    """The attribute a word names ("budget" -> price, "color" -> colour), or None."""
    lowered = word.lower()
    for candidate in REGISTRY:
        if lowered in candidate.words or lowered == candidate.name:
            return candidate
    return None
