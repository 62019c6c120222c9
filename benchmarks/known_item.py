"""Known-item queries: a product's own title, shortened and reworded the way customers do.

The label is the product the query was made from, so it owes nothing to the retriever's scoring or
to its vocabulary. A query is the product's title (IKEA: its name and short description, since the
name alone is a family name such as "BILLY") with each word

* dropped with probability ``DROP`` (at least ``MIN_WORDS`` words are kept; a title shorter than
  that is kept whole), then
* replaced, with probability ``SWAP``, by one of the words a customer might use instead, from the
  hand-written ``SYNONYMS`` below (two-word phrases are looked up before single words),

lower-cased and without punctuation. Each product's random draws come from a generator seeded with
the run's seed and the product's id, so a query never depends on which other products were drawn.

``SYNONYMS`` is written for this benchmark and on purpose is not ``retrieval/synonyms.yml`` (the
assistant's own table): queries must not be phrased in the words the retriever already knows.
Products whose source text is identical (a quarter of Myntra's titles repeat, e.g. "Nike Men Black
Shoes") cannot be told apart by any query made from that text, so those duplicates count as the
item (``equivalents``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

DROP = 0.3
SWAP = 0.5
MIN_WORDS = 2
_WORD = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")  # letters of any script ("pöang"), digits, inner ' and -

SYNONYMS: dict[str, tuple[str, ...]] = {
    # who it is for
    "men": ("gents", "male"), "men's": ("mens", "gents"), "women": ("ladies", "female"), "women's": ("womens", "ladies"),
    "boys": ("boy", "kids"), "boy's": ("boys",), "girls": ("girl", "kids"), "girl's": ("girls",),
    "kids": ("children",), "baby": ("infant",),
    # clothing and footwear
    "t-shirt": ("tee", "tshirt"), "tshirt": ("tee", "t shirt"), "t-shirts": ("tees",), "tshirts": ("tees",),
    "trousers": ("pants",), "pants": ("trousers",), "jeans": ("denims",), "shorts": ("half pants",),
    "sweatshirt": ("pullover",), "sweater": ("jumper", "pullover"), "jacket": ("coat",), "dress": ("frock",),
    "shoes": ("footwear",), "sneakers": ("trainers",), "sandals": ("sandal",), "slippers": ("flip flops",),
    "flip flops": ("slippers",), "socks": ("sock",), "briefs": ("underwear",), "bra": ("brassiere",), "cap": ("hat",),
    "handbag": ("purse",), "bag": ("carry bag",), "backpack": ("rucksack",), "wallet": ("purse",),
    "watch": ("wristwatch",), "watches": ("wristwatches",), "sunglasses": ("shades",),
    "perfume": ("fragrance", "scent"), "deodorant": ("deo",), "necklace": ("chain",), "earrings": ("ear rings",),
    # colours and patterns
    "grey": ("gray",), "gray": ("grey",), "navy": ("dark blue",), "navy blue": ("dark blue",), "maroon": ("burgundy",),
    "purple": ("violet",), "off white": ("cream",), "multi": ("multicolour",), "printed": ("print",),
    "striped": ("stripes",), "checked": ("check", "plaid"), "solid": ("plain",),
    # home, furniture, electronics
    "sofa": ("couch",), "armchair": ("easy chair",), "wardrobe": ("closet",), "cabinet": ("cupboard",),
    "shelf": ("rack",), "shelving": ("shelves",), "bookcase": ("bookshelf",), "chest of": ("dresser",),
    "lamp": ("light",), "rug": ("carpet",), "cushion": ("pillow",), "curtain": ("drape",), "curtains": ("drapes",),
    "bedsheet": ("bed sheet",), "mug": ("cup",), "mugs": ("cups",), "bottle": ("flask",), "box": ("container",),
    "showpiece": ("figurine",), "cover": ("case",), "case": ("cover",), "mobile": ("phone",), "laptop": ("notebook",),
    "table": ("desk",), "stool": ("seat",), "outdoor": ("garden",), "kitchen": ("cooking",),
}


@dataclass(frozen=True)
class KnownItem:
    """One query and the product it was made from (with its indistinguishable duplicates)."""

    query: str
    product_id: str
    source: str
    equivalents: frozenset[str]


def words_of(text: str) -> list[str]:
    """Lower-case words without punctuation ("Bar table, in/outdoor" -> bar, table, in, outdoor)."""
    return _WORD.findall(text.lower().replace("’", "'"))


def reword(text: str, rng: np.random.Generator, *, drop: float = DROP, swap: float = SWAP, min_words: int = MIN_WORDS) -> str:
    """A customer's version of ``text``: some words dropped, some replaced by ``SYNONYMS`` (see the module docstring)."""
    words = words_of(text)
    keep = [bool(rng.random() >= drop) for _ in words]
    dropped = [i for i, k in enumerate(keep) if not k]
    rng.shuffle(dropped)
    while sum(keep) < min(min_words, len(words)) and dropped:
        keep[dropped.pop()] = True
    kept = [w for w, k in zip(words, keep, strict=True) if k]
    out: list[str] = []
    i = 0
    while i < len(kept):
        pair = " ".join(kept[i:i + 2]) if i + 1 < len(kept) else None
        if pair in SYNONYMS:
            phrase, step = pair, 2
        else:
            phrase, step = kept[i], 1
        options = SYNONYMS.get(phrase or "")
        if options and rng.random() < swap:
            out.append(options[int(rng.integers(len(options)))])
        else:
            out.append(phrase or "")
        i += step
    return " ".join(out)


def product_rng(seed: int, product_id: str) -> np.random.Generator:
    """The random generator of one product's query: the same for a given seed and id, whatever else is drawn."""
    return np.random.default_rng([seed, int(hashlib.sha1(product_id.encode("utf-8")).hexdigest()[:12], 16)])


def source_text(product: Any, catalog: str) -> str:
    """What a query is made from: the title; for IKEA the name plus the short description."""
    if catalog == "ikea" and product.description:
        return f"{product.title} {product.description}"
    return str(product.title)


def normalised(text: str) -> str:
    """The key under which two products' source texts are the same item for a query."""
    return " ".join(words_of(text))


def known_items(products: Sequence[Any], catalog: str, n: int, *, seed: int = 0) -> list[KnownItem]:
    """``n`` products drawn without replacement (titles of at least two words) and their queries."""
    sources = [source_text(p, catalog) for p in products]
    by_text: dict[str, list[str]] = {}
    for product, text in zip(products, sources, strict=True):
        by_text.setdefault(normalised(text), []).append(product.id)
    eligible = sorted(range(len(products)), key=lambda i: products[i].id)
    eligible = [i for i in eligible if len(words_of(sources[i])) >= MIN_WORDS]
    chosen = np.random.default_rng(seed).choice(len(eligible), size=min(n, len(eligible)), replace=False)
    items = []
    for j in sorted(chosen.tolist()):
        product, text = products[eligible[j]], sources[eligible[j]]
        query = reword(text, product_rng(seed, product.id))
        items.append(KnownItem(query=query, product_id=product.id, source=text,
                               equivalents=frozenset(by_text[normalised(text)])))
    return items
