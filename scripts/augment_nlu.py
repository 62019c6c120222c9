"""Generate NLU training examples from real catalog vocabulary (deterministic).

    .venv-ml/bin/python scripts/augment_nlu.py [--catalog PATH] [--out training_data/nlu] [--seed 7]

Why: hand-written examples cover phrasing, but the model must also see the catalog's real
colours, product types, brands, usages and seasons in many combinations (with prices, negations,
ordinals, lower case and typos) to tag unseen combinations. Output files are
``generated_<topic>.yml``; re-running with the same seed rewrites them byte for byte.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CATALOG = REPO.parent / "shared" / "data" / "catalogs" / "myntra_styles.csv"
GENDER_WORDS = {"Men", "Women", "Boys", "Girls", "Unisex"}

GENDERS = ["men", "women", "men's", "women's", "boys", "girls", "guys", "ladies", "kids", "unisex", "male", "female", "mens", "womens"]
MATERIALS = ["cotton", "leather", "denim", "silk", "wool", "linen", "polyester", "suede", "canvas", "nylon", "rubber", "chiffon", "fleece", "velvet"]
SIZES = ["S", "M", "L", "XL", "XXL", "small", "medium", "large", "extra large", "7", "8", "9", "10", "11", "32", "34"]
# Everyday products of other shops, written by hand: a request names a product kind whether or not
# this catalog carries it, so the model tags "do you sell [sofas](product_type)?" as a search and the
# catalog, not the NLU, decides whether the shop sells it.
OTHER_PRODUCTS = [
    "sofa", "sofas", "coffee table", "dining table", "office chair", "desk lamp", "bookshelf", "mattress", "curtains",
    "rug", "bed sheets", "towels", "pillows", "laptop", "phone case", "headphones", "television", "microwave",
    "blender", "kettle", "toaster", "frying pan", "cookware set", "vacuum cleaner", "bicycle", "tent", "sleeping bag",
    "guitar", "printer", "keyboard", "computer mouse", "monitor", "bluetooth speaker", "light bulbs", "wall paint",
    "plant pots", "flower vase", "candles", "picture frame", "mirror", "wardrobe", "toys", "board games", "stroller",
    "car seat", "dog food", "cat litter", "camera", "tripod", "power bank", "garden hose", "drill", "car mats",
]
EXTRA_OCCASIONS = ["office", "wedding", "gym", "beach", "work", "running", "hiking", "college", "date night", "everyday"]
EXTRA_TYPES = [
    "sneakers",
    "t-shirts",
    "tees",
    "trainers",
    "boots",
    "hoodies",
    "polo shirts",
    "joggers",
    "loafers",
    "chinos",
    "blazers",
    "kurta",
    "saree",
    "watch",
    "bag",
    "shoes",
]
ATTRIBUTES = ["material", "price", "colours", "colors", "sizes", "brand", "fabric", "size", "color", "colour", "cost", "fit", "budget", "occasion", "season"]
ORDINALS = ["first", "second", "third", "fourth", "fifth", "last", "1st", "2nd", "3rd", "4th", "second to last", "top"]
ORDINAL_NOUN = ["one", "item", "product", "option", "result", "pair", ""]
NUMBER_WORDS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy five", "eighty", "a hundred", "one hundred", "two hundred", "a hundred and fifty"]


def catalog_vocabulary(path: Path) -> dict[str, list[str]]:
    """Colours, product types, usages, seasons and brands (title words before the gender word)."""
    colours: Counter[str] = Counter()
    types: Counter[str] = Counter()
    brands: Counter[str] = Counter()
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            colours[row["baseColour"]] += 1
            types[row["articleType"]] += 1
            words = row["productDisplayName"].split()
            cut = next((i for i, w in enumerate(words) if w in GENDER_WORDS), 0)
            if cut:
                brands[" ".join(words[:cut])] += 1

    def clean(c, n):
        return sorted(k for k, v in c.items() if v >= n and k and k not in {"NA", "Multi", "Free Gifts"} and not re.search(r"[\[\]{}()]", k))

    return {
        "color": [c.lower() for c in clean(colours, 20)],
        "product_type": [t.lower() for t in clean(types, 40)] + EXTRA_TYPES,
        "brand": clean(brands, 60),
        "occasion": ["casual", "sports", "formal", "ethnic", "party", "travel", "smart casual"] + EXTRA_OCCASIONS,
        "season": ["summer", "winter", "fall", "spring", "autumn"],
        "gender": GENDERS,
        "material": MATERIALS,
        "size": SIZES,
        "attribute": ATTRIBUTES,
        "other_product": OTHER_PRODUCTS,
    }


class Renderer:
    """Fills ``{slot}`` placeholders with annotated values; ``{x_color}`` means an excluded colour."""

    def __init__(self, vocab: dict[str, list[str]], rng: random.Random) -> None:
        self.vocab, self.rng = vocab, rng

    def value(self, entity: str) -> str:
        text = self.rng.choice(self.vocab[entity])
        if entity == "brand" and self.rng.random() < 0.5:
            text = text.lower()
        return text

    def amount(self) -> str:
        r = self.rng.random()
        n = self.rng.choice([15, 20, 25, 30, 40, 45, 50, 60, 75, 80, 99, 100, 120, 150, 200, 250, 300, 500])
        if r < 0.35:
            return str(n)
        if r < 0.55:
            return f"${n}"
        if r < 0.7:
            return f"{n} {self.rng.choice(['dollars', 'bucks', 'usd', 'dollar'])}"
        if r < 0.85:
            return self.rng.choice(NUMBER_WORDS) + self.rng.choice(["", " dollars", " bucks"])
        return f"{n}$" if r < 0.9 else f"{n}.99"

    def price(self, kind: str) -> str:
        def a(e):
            return f"[{self.amount()}]({e})"

        if kind == "max":
            pre = self.rng.choice(
                [
                    "under",
                    "below",
                    "less than",
                    "no more than",
                    "up to",
                    "max",
                    "cheaper than",
                    "within",
                    "for less than",
                    "not more than",
                    "at most",
                    "under about",
                ]
            )
            return f"{pre} {a('price_max')}" if self.rng.random() < 0.85 else f"{a('price_max')} or less"
        if kind == "min":
            pre = self.rng.choice(["over", "above", "more than", "at least", "starting at", "from", "minimum"])
            return f"{pre} {a('price_min')}" if self.rng.random() < 0.85 else f"{a('price_min')} or more"
        lo, hi = sorted(self.rng.sample([10, 20, 25, 30, 40, 50, 60, 80, 100, 150, 200], 2))
        cur = self.rng.choice(["", "$"])
        unit = self.rng.choice(["", " dollars", " bucks"])
        form = self.rng.choice(["between {a} and {b}", "from {a} to {b}", "{a} to {b}", "in the {a} to {b} range"])
        return form.format(a=f"[{cur}{lo}](price_min)", b=f"[{cur}{hi}{unit}](price_max)")

    def fill(self, template: str) -> str:
        template = re.sub(r"\(([^()]*\|[^()]*)\)", lambda m: self.rng.choice(m.group(1).split("|")), template)

        def sub(match: re.Match[str]) -> str:
            key = match.group(1)
            if key.startswith("price_"):
                return self.price(key[6:])
            if key == "ordinal":
                noun = self.rng.choice(ORDINAL_NOUN)
                return f"the [{self.rng.choice(ORDINALS)}](ordinal)" + (f" {noun}" if noun else "")
            if key.startswith("x_"):
                entity = key[2:]
                return f'[{self.value(entity)}]{{"entity": "{entity}", "role": "exclude"}}'
            if key == "other_product":
                return f"[{self.value(key)}](product_type)"
            return f"[{self.value(key)}]({key})"

        return re.sub(r"\{(\w+)\}", sub, template)


def typo(line: str, rng: random.Random) -> str:
    """Swap or drop one letter of a plain (non-annotated) word longer than 3 letters."""
    plain = re.sub(r"\[[^\]]*\](\([^)]*\)|\{[^}]*\})", lambda m: "\0" * len(m.group(0)), line)
    words = [m for m in re.finditer(r"[a-z]{4,}", plain)]
    if not words:
        return line
    w = rng.choice(words)
    i = rng.randrange(w.start(), w.end() - 1)
    chars = list(line)
    if rng.random() < 0.5:
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
    else:
        del chars[i]
    return "".join(chars)


TEMPLATES: dict[str, dict[str, tuple[int, list[str]]]] = {
    "search": {
        "search_product": (
            1450,
            [
                "do you sell {other_product}?",
                "do you sell {product_type}?",
                "i need a {other_product}",
                "looking for {other_product}",
                "do you have any {other_product}",
                "do you have any {product_type}",
                "i want to buy {other_product}",
                "show me {other_product} {price_max}",
                "{other_product} please",
                "where can i find {other_product}",
                "where can i find {product_type}",
                "show me {color} {product_type}",
                "i need {product_type} for {gender}",
                "looking for {brand} {product_type}",
                "{color} {product_type} for {gender} {price_max}",
                "show me {color} {product_type} for {gender} {price_max}",
                "find me {occasion} {product_type}",
                "do you have {material} {product_type} in size {size}",
                "i want {brand} {product_type} {price_max}",
                "{product_type} for {season}",
                "{gender} {product_type} {price_range}",
                "any {color} {material} {product_type}?",
                "search for {product_type} by {brand}",
                "{brand} {color} {product_type}",
                "i'm looking for {occasion} {product_type} for {gender} in {color}",
                "get me some {product_type} {price_min}",
                "{product_type} for a {occasion} for {gender}",
                "show {product_type} but not {x_color}",
                "{product_type} not from {x_brand}",
                "i want {product_type}, anything but {x_color}",
                "{color} {product_type} without {x_material}",
                "need {season} {product_type} for {gender} {price_max}",
                "show me {product_type} size {size}",
                "{product_type}",
                "{color} {product_type}",
                "{brand} {product_type} for {gender}",
                "what {product_type} do you have {price_range}",
                "can you find {gender} {product_type} from {brand}",
                "i'd like a pair of {color} {product_type}",
                "buying {product_type} for my {occasion} trip {price_max}",
                "{occasion} wear for {gender}",
                "{product_type} in {color} or {color}",
                "show me {product_type} excluding {x_brand}",
                "{product_type} for {gender}, no {x_color}",
                "help me find {material} {product_type} for {season}",
                "looking for a gift, {product_type} for {gender} {price_max}",
                "i need new {product_type} for {occasion}",
                "{gender}'s {color} {product_type} size {size}",
            ],
        ),
    },
    "refine": {
        "add_constraint": (
            650,
            [
                "only {color}",
                "in {color} please",
                "make it {material}",
                "for {gender}",
                "what about in size {size}",
                "only {brand}",
                "{price_max}",
                "can you filter to {brand}",
                "i prefer {color}",
                "just the {occasion} ones",
                "not {x_brand}",
                "no {x_color}",
                "no {x_color} ones please",
                "anything but {x_product_type}",
                "exclude {x_brand}",
                "i don't want {x_color}",
                "without {x_material}",
                "skip the {x_brand} ones",
                "in {material}",
                "only {season} stuff",
                "also in {color}",
                "size {size} only",
                "add {brand} too",
                "limit it to {gender}",
                "ones for {occasion}",
                "make them {color} and {price_max}",
                "{color} and size {size}",
                "{price_range} please",
                "only {brand}, not {x_brand}",
                "prefer {material}, but no {x_color}",
                "do they come in {color}",
                "for {season} please",
                "show only {gender}",
            ],
        ),
        "remove_constraint": (
            320,
            [
                "forget the {color}",
                "remove the {brand} filter",
                "any {attribute} is fine",
                "drop the [price](attribute) limit",
                "i don't care about the {attribute} anymore",
                "clear the {attribute} filter",
                "remove {color}",
                "forget about {brand}",
                "never mind the {attribute}",
                "ignore the {attribute}",
                "take off the {attribute} filter",
                "doesn't have to be {color}",
                "it doesn't need to be {material}",
                "remove the {occasion} filter",
                "forget the {attribute}",
                "reset the {attribute}",
                "no need for {brand}",
                "drop {color}",
                "stop filtering by {attribute}",
                "i'm ok with any {attribute}",
                "the {attribute} isn't important",
                "(start over|let's start over|start again|start from scratch|reset everything|new search please)",
                "(clear all filters|clear all the filters|no filters please|forget everything i said|clear my search)",
            ],
        ),
        "change_price": (
            300,
            [
                "cheaper",
                "something cheaper",
                "cheaper than that",
                "show me cheaper ones",
                "more expensive options",
                "can you go lower",
                "too expensive",
                "these are too pricey",
                "my budget is {price_max}",
                "actually {price_max}",
                "lower the price",
                "higher end please",
                "something more premium",
                "increase the budget to {price_max}",
                "change the price to {price_range}",
                "i can spend {price_min}",
                "anything more affordable",
                "less expensive please",
                "a bit cheaper",
                "make it {price_max} instead",
                "these cost too much",
                "show pricier ones",
            ],
        ),
    },
    "items": {
        "select_item": (
            220,
            [
                "{ordinal}",
                "show me {ordinal}",
                "i want to look at {ordinal}",
                "open {ordinal}",
                "let's see {ordinal}",
                "select {ordinal}",
                "i'll go with {ordinal}",
                "number [2](ordinal)",
                "item [3](ordinal)",
                "tell me about {ordinal}",
                "no. [1](ordinal)",
                "pick {ordinal}",
                "can i see {ordinal}",
            ],
        ),
        "ask_details": (
            320,
            [
                "what {attribute} is {ordinal}",
                "tell me the {attribute} of {ordinal}",
                "what {attribute} does it come in",
                "which {attribute} are available",
                "how much is {ordinal}",
                "tell me the {attribute}",
                "what's the {attribute}",
                "does {ordinal} come in other {attribute}",
                "is it made of {material}",
                "what {attribute} is this",
                "details of {ordinal}",
                "what {attribute} does {ordinal} have",
                "how much does it cost",
                "is {ordinal} available in size {size}",
                "more info on {ordinal}",
            ],
        ),
        "compare": (
            220,
            [
                "compare {ordinal} and {ordinal}",
                "which is cheaper, {ordinal} or {ordinal}",
                "what's the difference between {ordinal} and {ordinal}",
                "compare the {attribute} of {ordinal} and {ordinal}",
                "{ordinal} vs {ordinal}",
                "how does {ordinal} compare to {ordinal}",
                "compare them",
                "which has better {attribute}",
                "compare the first two",
                "which one is better",
            ],
        ),
        "more_like_this": (
            170,
            [
                "more like {ordinal}",
                "show me similar to {ordinal}",
                "something similar",
                "more like this",
                "find similar items to {ordinal}",
                "anything like {ordinal} but in {color}",
                "similar ones {price_max}",
                "i want more like that",
                "similar styles to {ordinal}",
            ],
        ),
        "explain_choice": (
            90,
            [
                "why (did you|would you) (pick|choose|recommend|suggest|show) (these|this|that|them|{ordinal})",
                "(how come|why) {ordinal} (is|was) (recommended|suggested|shown|on the list)",
                "(explain|tell me) why (you chose|you picked|you showed) (these|this|{ordinal})",
                "what makes {ordinal} a (good|great) (match|fit|choice)",
                "why (these|this) (results|items|products)",
            ],
        ),
        "add_to_cart": (
            170,
            [
                "add {ordinal} to my cart",
                "buy {ordinal}",
                "i'll take {ordinal}",
                "add it to the cart",
                "put {ordinal} in my basket",
                "add {ordinal} in size {size} to cart",
                "buy it in size {size}",
                "i want to buy this",
                "checkout with {ordinal}",
                "add to bag",
            ],
        ),
    },
    "dialogue": {
        "show_more": (
            80,
            [
                "(show|give|find) me (more|some more|other|a few more) (results|options|items|ones|products)",
                "(more|next|other) (results|options|page|ones)( please|)",
                "what else (do you have|is there|have you got)",
                "(any|got any) (more|others|other options)( ?|)",
                "(keep going|continue|next page|load more)( please|)",
            ],
        ),
        "show_constraints": (
            80,
            [
                "what (filters|constraints|criteria|preferences) (are|do you have) (on|active|applied|set|saved)",
                "(remind me|tell me|show me) (what i asked for|my filters|my search|my current filters|my criteria)",
                "what (am i|are we) (searching|looking|filtering) (for|by)( right now|)",
                "(recap|summarise|list) (my|the current|the active) (filters|search|criteria)",
            ],
        ),
        "feedback_positive": (
            130,
            [
                "(these|those|the results|your picks|the suggestions|this) (are|look|seem|is) (great|perfect|spot on|really nice|excellent|lovely|just right|awesome)",
                "(love|like|really like|adore) (these|them|this|the results)( a lot|!|)",
                "(great|nice|good|awesome|brilliant) (job|picks|results|suggestions|work)( thanks|!|)",
                "(exactly|just) what i (wanted|was looking for|needed)",
                "(i love|i really like|i like|love|loving|really like) {ordinal}",
                "{ordinal} (is|looks) (great|perfect|lovely|gorgeous|really nice|just right)",
                "(thumbs up for|nice,) {ordinal}",
            ],
        ),
        "feedback_negative": (
            130,
            [
                "(these|those|the results|your picks|the suggestions|this) (are|look|seem|is) (bad|terrible|wrong|awful|useless|irrelevant|not right|off)",
                "(i don't like|i hate|not a fan of) (these|them|this|the results)",
                "(bad|poor|terrible|useless) (job|picks|results|suggestions)",
                "(not|nothing like) what i (wanted|asked for|was looking for|meant)",
                "(none of these|nothing here) (works|fits|is right|matches)",
                "(not|no to|i don't like|i hate|not a fan of|thumbs down for) {ordinal}",
                "{ordinal} (is|looks) (ugly|awful|not my style|not for me|wrong)",
                "(not|no, not) (this|that) one",
            ],
        ),
        "request_human": (
            90,
            [
                "(can i|could i|i want to|i'd like to|let me) (talk|speak|chat) (to|with) (a human|a person|an agent|someone|customer service|support|a real person)",
                "(connect|transfer|put) me (to|through to) (a human|an agent|support|a person|customer service)",
                "(human|agent|real person|operator|representative|support) please",
                "i (need|want) (a human|a live agent|a person|real help from a person)",
            ],
        ),
    },
}


def render_lines(n: int, templates: list[str], renderer: Renderer, rng: random.Random) -> list[str]:
    """Up to ``n`` distinct annotated lines drawn from ``templates`` (sorted, so files diff well)."""
    seen: set[str] = set()
    attempts = 0
    while len(seen) < n and attempts < n * 20:
        attempts += 1
        line = renderer.fill(rng.choice(templates))
        roll = rng.random()
        if roll < 0.06:
            line = typo(line, rng)
        elif roll < 0.12:
            line = line[0].upper() + line[1:]
        if rng.random() < 0.08:
            line += rng.choice(["?", " please", "!", " thanks"])
        seen.add(line)
    return sorted(seen)


def nlu_yaml(blocks: dict[str, list[str]], header: str) -> str:
    """A Rasa NLU file (version 3.1) with one ``- intent:`` block per entry of ``blocks``."""
    out = ['version: "3.1"', "", f"# {header}", "nlu:"]
    for intent, lines in blocks.items():
        out += [f"- intent: {intent}", "  examples: |"] + [f"    - {line}" for line in lines]
    return "\n".join(out) + "\n"


def render_file(topic: str, renderer: Renderer, rng: random.Random) -> tuple[str, dict[str, int]]:
    """YAML text of one generated topic file and its example count per intent."""
    blocks = {intent: render_lines(n, templates, renderer, rng) for intent, (n, templates) in TEMPLATES[topic].items()}
    text = nlu_yaml(blocks, "generated by scripts/augment_nlu.py - do not edit by hand")
    return text, {intent: len(lines) for intent, lines in blocks.items()}


def main() -> None:
    """Write generated_<topic>.yml files and print the counts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalog", type=Path, default=DEFAULT_CATALOG)
    parser.add_argument("--out", type=Path, default=REPO / "training_data" / "nlu")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not args.catalog.is_file():
        raise SystemExit(f"catalog {args.catalog} not found; pass --catalog")
    vocab = catalog_vocabulary(args.catalog)
    rng = random.Random(args.seed)
    renderer = Renderer(vocab, rng)
    totals: dict[str, int] = {}
    for topic in TEMPLATES:
        text, counts = render_file(topic, renderer, rng)
        (args.out / f"generated_{topic}.yml").write_text(text, encoding="utf-8")
        totals.update(counts)
    print(json.dumps(totals), f"total {sum(totals.values())}")


if __name__ == "__main__":
    main()
