"""Customer requests for products the demo catalog does and does not carry, with labels from the data.

Why these labels are honest: whether a request names something the demo carries is decided by
where it comes from, never by the assistant and never by the words the coverage model looks at.
* Not carried: IKEA products (all furniture) and Flipkart products whose category tree puts them in
  a department the demo has nothing of (furniture, phones, cars, kitchen, toys, ...), minus the few
  branches that hold kinds the demo does sell (laptop and school bags, mobile pouches, baby clothes,
  ``OVERLAPPING_FLIPKART``).
* Carried: demo products (their titles after the gender word), and Flipkart fashion products whose
  category tree names a kind the demo sells ("Clothing >> ... >> Shorts"), so that a carried request
  is not always in the demo's own words ("cycling shorts", "bellies").
* Both classes also get the names of other shops' departments and aisles, so that a customer's
  broad words are asked too ("clothing", "western wear", "beauty and personal care" are carried:
  they hold kinds the demo sells; "bed linen", "kitchen tools", IKEA's "tables & desks" are not).
  A name found on both sides is dropped.

A product phrase is the end of the product's name (model numbers, units, gender and brand words
dropped) and must end in an ordinary English word; a Flipkart phrase must end in a word its category
tree uses, so that it names the kind ("hat ceramic mug" under "Mugs") and not a model ("orange tahiti").
Every request is one of the same templates, so a template cannot give the answer away, and a fixed
share of each class carries one typing error. Each class draws its sources in turn (round robin), so
no single source dominates a class. Requests are split by a hash of their product phrase into a
tuning half and an evaluation half.
"""

from __future__ import annotations

import csv
import hashlib
import random
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from retrieval.vocabulary import fold, load_synonyms  # noqa: E402

CATALOGS = REPO.parent / "shared" / "data" / "catalogs"
DEMO = REPO / "data" / "demo_catalog.csv"
TEMPLATES = (
    "{x}", "do you sell {x}?", "i'm looking for {x}", "i need {x}", "show me {x}", "do you have any {x}?",
    "{x} please", "i want to buy {x}", "any {x} in stock?", "where can i find {x}", "do you carry {x}",
    "looking for {x}", "got any {x}?", "can you show me some {x}", "i'd like {x}",
)
TYPO_SHARE = 0.15
# Flipkart top-level categories with no counterpart in the demo (fashion, footwear, accessories, personal care).
NOT_CARRIED_FLIPKART = {
    "Mobiles & Accessories", "Automotive", "Home Decor & Festive Needs", "Home Furnishing", "Kitchen & Dining",
    "Computers", "Baby Care", "Tools & Hardware", "Toys & School Supplies", "Pens & Stationery", "Furniture",
    "Cameras & Accessories", "Home Improvement", "Health & Personal Care Appliances", "Gaming", "Pet Supplies",
    "Home & Kitchen", "Home Entertainment", "eBooks", "Household Supplies",
}
# Branches of those departments that hold what the demo sells (clothes, bags, pouches, skin care, fragrances), or
# that are neither clearly (pet clothes, diaper bags): left out of both classes.
OVERLAPPING_FLIPKART = {
    ("Baby Care", "Infant Wear"), ("Baby Care", "Baby & Kids Gifts"), ("Baby Care", "Baby Bath & Skin"),
    ("Baby Care", "Baby Grooming"), ("Baby Care", "Diapering & Potty Training", "Diaper Bags"),
    ("Home Decor & Festive Needs", "Candles & Fragrances"), ("Mobiles & Accessories", "Mobile Accessories", "Mobile Pouches"),
    ("Computers", "Laptop Accessories", "Bags"), ("Computers", "Laptop Accessories", "Laptop Bags"),
    ("Pens & Stationery", "College Supplies", "College Bags"), ("Toys & School Supplies", "School Supplies", "School Bags"),
    ("Pet Supplies", "Pet Apparel"),
}
# Flipkart departments whose products may be carried: carried when a level of their tree names a demo kind.
FASHION_FLIPKART = {"Clothing", "Jewellery", "Footwear", "Watches", "Bags, Wallets & Belts", "Beauty and Personal Care",
                    "Sunglasses", "Eyewear"}
EDGE_WORDS = {"for", "and", "with", "of", "the", "in", "to", "by", "from", "on", "set", "pack", "combo"}
GENDER_WORDS = {"men", "women", "boys", "girls", "unisex", "kids", "men's", "women's", "boy's", "girl's", "baby", "girls'",
                "boys'", "kid's", "kids'"}
UNITS = {"cm", "mm", "ml", "kg", "gb", "mah", "inch", "inches", "litre", "liter", "ltr", "pcs", "pack", "set", "combo"}


@dataclass(frozen=True)
class Request:
    """One customer message, the product phrase in it, whether the demo carries it, and where it came from."""

    text: str
    phrase: str
    carried: bool
    source: str
    typo: bool = False

    @property
    def split(self) -> str:
        """"tune" or "eval", fixed by the phrase so one phrase never lands in both halves."""
        digest = hashlib.sha256(self.phrase.encode("utf-8")).digest()
        return "tune" if digest[0] % 2 == 0 else "eval"

    @property
    def origin(self) -> str:
        """The catalog the phrase comes from ("demo", "flipkart", "ikea")."""
        return self.source.split(":", 1)[0]


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Ordinary English words (symspellpy's frequency list): a product phrase must end in one."""
    from nlu.spelling import general_dictionary

    return frozenset(word for word, _ in general_dictionary())


def _phrase(words: list[str], keep: int = 3) -> str:
    """The last ``keep`` plain words, when they end in an English noun-like word (no model numbers, units)."""
    cleaned = [w for w in words if re.fullmatch(r"[a-z][a-z'&-]{2,}", w) and w not in GENDER_WORDS and w not in UNITS]
    phrase = cleaned[-keep:]
    while phrase and phrase[0] in EDGE_WORDS:
        phrase = phrase[1:]
    english = english_words()
    if not phrase or phrase[-1] in EDGE_WORDS or phrase[-1] not in english or not all(w in english or "-" in w for w in phrase):
        return ""
    return " ".join(phrase)


def _levels(tree: str) -> list[str]:
    return [level.strip() for level in tree.strip('[]"').split(" >> ")]


def _name_phrase(name: str) -> str:
    """A department or aisle name as a customer would ask for it ("Men's Clothing" -> "clothing", "Pots & Pans" -> "pots and pans")."""
    return _phrase(re.sub(r"[,/()]", " ", name.lower().replace("&", " and ")).split(), keep=4)


def ikea_category_phrases() -> list[tuple[str, str]]:
    """(phrase, source) from IKEA's category names ("Tables & desks" -> "tables and desks")."""
    with (CATALOGS / "ikea_sa.csv").open(encoding="utf-8-sig", newline="") as handle:
        names = sorted({row["category"] for row in csv.DictReader(handle, delimiter=";")})
    return [(phrase, f"ikea-category:{name}") for name in names if (phrase := _name_phrase(name))]


def ikea_phrases() -> list[tuple[str, str]]:
    """(phrase, source) from IKEA's short descriptions ("Bar stool with backrest" -> "bar stool with backrest")."""
    phrases = []
    with (CATALOGS / "ikea_sa.csv").open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            first = row["short_description"].split(",")[0]
            words = re.sub(r"\d+\S*", " ", first.lower()).split()
            phrase = _phrase(words, keep=4)
            if phrase:
                phrases.append((phrase, f"ikea:{row['category']}"))
    return phrases


@lru_cache(maxsize=1)
def demo_kind_keys() -> frozenset[str]:
    """Folded names of the demo's kinds: its product types and the synonym-table words for them ("rucksack")."""
    with DEMO.open(encoding="utf-8", newline="") as handle:
        types = {row["product_type"] for row in csv.DictReader(handle)}
    keys = {fold(t) for t in types}
    for word, values in load_synonyms().get("product_type", {}).items():
        if any(v in types for v in values):
            keys.add(word)
    return frozenset(keys)


def _flipkart_products() -> list[tuple[str, str, list[str], bool, int]]:
    """(id, name, category levels, carried, how many levels name departments and aisles) of the usable Flipkart products."""
    kinds = demo_kind_keys()
    products = []
    with (CATALOGS / "flipkart_names_categories_20k.csv").open(encoding="utf-8", newline="") as handle:
        for uniq_id, name, tree in csv.reader(handle):
            levels = _levels(tree)
            if levels[0] in NOT_CARRIED_FLIPKART:
                if not any(tuple(levels[: len(branch)]) == branch for branch in OVERLAPPING_FLIPKART):
                    products.append((uniq_id, name, levels, False, min(3, len(levels) - 1)))
            elif levels[0] in FASHION_FLIPKART:
                kind = next((i for i, level in enumerate(levels[1:-1], 1) if fold(level) in kinds), None)
                if kind is not None:  # the levels down to the demo's kind all hold something the demo sells
                    products.append((uniq_id, name, levels, True, kind + 1))
    return products


def flipkart_category_phrases() -> list[tuple[str, str, bool]]:
    """(phrase, source, carried) from the department and aisle names of the Flipkart products' trees."""
    labels: dict[str, set[bool]] = {}
    sources: dict[str, str] = {}
    for _, name, levels, carried, named in _flipkart_products():
        first = name.lower().split()[0] if name.split() else ""
        for level in levels[:named]:
            phrase = _name_phrase(level) if level.lower().split()[:1] != [first] else ""
            if phrase:
                labels.setdefault(phrase, set()).add(carried)
                sources.setdefault(phrase, f"flipkart-category:{levels[0]}")
    return [(phrase, sources[phrase], carried) for phrase, (carried, *rest) in sorted(labels.items()) if not rest]


def flipkart_phrases() -> list[tuple[str, str, bool]]:
    """(phrase, source, carried) from Flipkart products whose department says whether the demo has their kind."""
    brands: dict[str, str] = {}
    with (CATALOGS / "flipkart_sample.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            brands[row["uniq_id"]] = (row.get("brand") or "").lower()
    phrases = []
    for uniq_id, name, levels, carried, named in _flipkart_products():
        brand_words = set(brands.get(uniq_id, "").split())
        words = [w for w in re.sub(r"\(.*?\)|\d+\S*", " ", name.lower()).split() if w not in brand_words]
        phrase = _phrase(words)
        first = name.lower().split()[0] if name.split() else ""
        # The phrase must end in the kind its tree names: a carried one in the demo kind its tree matched
        # ("cycling shorts" under "Shorts", not "boots" under "Casual Shoes"), the others in any aisle's word.
        naming = [levels[named - 1]] if carried else [level for level in levels[1:] if level.lower().split()[:1] != [first]]
        tree_words = {fold(w) for level in naming for w in re.findall(r"[a-z]+", level.lower())}
        if phrase and fold(phrase.split()[-1]) in tree_words:
            phrases.append((phrase, f"flipkart:{levels[0]}", carried))
    return phrases


def demo_phrases() -> list[tuple[str, str]]:
    """(phrase, source) from demo titles: the words after the gender word ("Peter England Men Party Blue Jeans" -> "party blue jeans")."""
    phrases = []
    with DEMO.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            words = row["title"].lower().split()
            cut = next((i for i, w in enumerate(words) if w in GENDER_WORDS), None)
            rest = words[cut + 1:] if cut is not None else words[len(row["brand"].split()):]
            phrase = _phrase(rest)
            if phrase:
                phrases.append((phrase, f"demo:{row['product_type']}"))
    return phrases


def misspell(phrase: str, rng: random.Random) -> str:
    """The phrase with one typing error (a letter dropped, doubled, swapped or replaced) in its longest word."""
    words = phrase.split()
    index = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[index]
    if len(word) < 5:
        return phrase
    at = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("drop", "double", "swap", "replace"))
    if kind == "drop":
        word = word[:at] + word[at + 1:]
    elif kind == "double":
        word = word[:at] + word[at] + word[at:]
    elif kind == "swap":
        word = word[:at] + word[at + 1] + word[at] + word[at + 2:]
    else:
        word = word[:at] + rng.choice("abcdefghijklmnopqrstuvwxyz".replace(word[at], "")) + word[at + 1:]
    words[index] = word
    return " ".join(words)


def pools() -> dict[bool, list[list[tuple[str, str]]]]:
    """Per class (False = not carried, True = carried), one list of distinct (phrase, source) per source."""
    flipkart = flipkart_phrases()
    departments = flipkart_category_phrases()
    pool = {
        False: [ikea_phrases(), ikea_category_phrases(), [(p, s) for p, s, carried in flipkart if not carried],
                [(p, s) for p, s, carried in departments if not carried]],
        True: [demo_phrases(), [(p, s) for p, s, carried in flipkart if carried], [(p, s) for p, s, carried in departments if carried]],
    }
    claimed: set[str] = set()
    distinct: dict[bool, list[list[tuple[str, str]]]] = {}
    for label, sources in pool.items():  # a phrase belongs to the first source that has it
        distinct[label] = []
        for items in sources:
            unique = [(p, s) for p, s in sorted(dict(items).items()) if p not in claimed]
            claimed.update(p for p, _ in unique)
            distinct[label].append(unique)
    return distinct


def _round_robin(sources: list[list[tuple[str, str]]], rng: random.Random) -> list[tuple[str, str]]:
    """The sources' items shuffled, then taken one source at a time in turn."""
    queues = [rng.sample(items, len(items)) for items in sources]
    merged: list[tuple[str, str]] = []
    while any(queues):
        for queue in queues:
            if queue:
                merged.append(queue.pop())
    return merged


def build_requests(per_class: int, *, seed: int = 5) -> list[Request]:
    """Up to ``per_class`` carried and ``per_class`` not-carried requests (distinct phrases), templated alike."""
    rng = random.Random(seed)
    requests: list[Request] = []
    for carried, sources in pools().items():
        for phrase, source in _round_robin(sources, rng)[:per_class]:
            typo = rng.random() < TYPO_SHARE
            written = misspell(phrase, rng) if typo else phrase
            requests.append(Request(rng.choice(TEMPLATES).format(x=written), phrase, carried, source, typo=typo and written != phrase))
    return requests
