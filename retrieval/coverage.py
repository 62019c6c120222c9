"""Does the catalog carry what the customer asks for? A calibrated score from the catalog's own data.

Why: a semantic search always returns *something*; asked for a sofa, a fashion shop's nearest
products are cargos and sandals. Before showing cards for a product kind the catalog does not know,
the assistant asks this module, and says plainly when the shop does not sell it.

The score is a logistic model over features measured against the loaded catalog, so the same
weights serve any catalog ingested through a mapping. Everything it compares with comes from the
catalog's data: its kinds (product types and category levels), its products' vectors, the words of
its product texts and descriptions, and its *product nouns* (the head word of each product's name,
"shoes" of "Nike Men Blue Running Shoes", "stool" of IKEA's "Bar stool with backrest"). The
request is first put in the catalog's words (misspellings corrected against the catalog's
vocabulary: "snekers" -> "sneaker"), then:

* ``kind_similarity`` / ``head_similarity``: MiniLM cosine of the request, and of its head word
  (the noun that names the kind: "coffee *table*", "bar *stool* with backrest"), to the nearest kind;
* ``group_similarity``: cosine of the request to the nearest centre of a group of products (the mean
  vector of a category or product type): broad words land near a whole group ("clothing" near the
  apparel, "cosmetics" near the makeup) even when no product title uses them;
* ``product_similarity`` / ``top5_similarity``: cosine of the request to the nearest product, and
  the mean over the nearest five;
* ``word_coverage``: the share of the request's content words the product texts use;
* ``head_frequency`` / ``head_noun_frequency``: how many products mention the head word, and how
  many are named by it, as log(1 + count) / log(1 + catalog size), so 0 = none and 1 = every one.

The weights and the decision threshold are fitted (scikit-learn) by
``benchmarks/coverage_calibration.py`` on the tuning half of requests for products the demo does
and does not carry (``benchmarks/catalog_requests.py``) and stored in ``retrieval/coverage_model.json``.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from retrieval.attributes import PRODUCT_TYPE, attribute
from retrieval.lexical import tokenize

if TYPE_CHECKING:
    from retrieval.search import Retriever

MODEL_FILE = Path(__file__).with_name("coverage_model.json")
FEATURES = ("kind_similarity", "head_similarity", "group_similarity", "product_similarity", "top5_similarity",
            "word_coverage", "head_frequency", "head_noun_frequency")
# Words of a request that never name a product ("do you sell ...", "i'm looking for ...", "have you got any ...").
_REQUEST_TEXT = """
a an the some any do does did you your u ya sell sells selling have has had stock stocks carry carries need needs want
wants wanted looking look search searching find finding show showing me i im i'm i'd i've i'll id we us my our to of in
on with and or please pls plz can could would will should like get buy buying purchase order got there is are was it its
this that these those new good nice great cheap cheaper best something anything everything stuff thing things kind kinds
type types sort sorts item items product products one ones shop store online available where what which how where's what's
don't dont doesn't isn't aren't also too just really maybe perhaps hey hi hello thanks thank ok okay yes no not for
from see browse check pick choose help tell offer offering range selection let let's lets am be been being
"""
REQUEST_WORDS = frozenset(_REQUEST_TEXT.split())
# Words standing where the kind would be named ("something for my wife": the kind is not named).
PLACEHOLDERS = frozenset({"something", "anything", "stuff", "thing", "things", "item", "items", "product", "products", "one", "ones"})
# Words that end the noun phrase naming the kind ("bar stool *with* backrest", "something *for* my wife").
PHRASE_BREAKS = frozenset({"with", "without", "for", "of", "in", "on", "from", "to", "by", "at", "under", "over", "near", "like", "and",
                           "or", "that", "which"})
_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")
_NAME_END = re.compile(r"\s+-\s+|[,(/;:]|\bwith\b|\bfor\b", re.I)
# "The closest we have": chosen by reading the nearest kinds of a few dozen requests for things the demo does not
# sell; below this cosine they are look-alike words ("lighting" -> eyeshadow, "sofas" -> sweaters), not alternatives.
CLOSEST_MIN_SIMILARITY = 0.65
CLOSEST_WINDOW = 0.05  # and only kinds about as close as the closest one


def words(text: str) -> list[str]:
    """Lower-case words of a text, apostrophes and hyphens kept inside a word ("i'm", "t-shirt")."""
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def _content(word: str) -> str | None:
    """The word without a possessive, or None when it never names a product (request phrasing, numbers)."""
    word = word.removesuffix("'s")
    if word in REQUEST_WORDS or word.isdigit() or len(word) < 2:
        return None
    return word


def content_words(text: str) -> list[str]:
    """The words of a request that could name a product (request phrasing removed)."""
    return [c for c in map(_content, words(text)) if c]


def kind_words(text: str) -> list[str]:
    """The content words of the phrase that names the kind: up to the first break after one of them.

    "i'm looking for a wooden coffee table" -> wooden, coffee, table; "bar stool with backrest" ->
    bar, stool; "something for my wife" -> nothing (the kind is not named).
    """
    found: list[str] = []
    placeholder = False
    for word in words(text):
        if word in PHRASE_BREAKS and (found or placeholder):
            break
        placeholder = placeholder or word in PLACEHOLDERS
        content = _content(word)
        if content:
            found.append(content)
    return found


def head_word(text: str) -> str | None:
    """The word naming the requested kind: the last of its ``kind_words`` ("bar stool with backrest" -> "stool")."""
    found = kind_words(text)
    return found[-1] if found else None


def name_head(name: str) -> str | None:
    """A product name's head noun, folded ("Lakme Absolute Lip Colour - Rose" -> "colour", "Bar stool, 74 cm" -> "stool")."""
    tokens = [t for t in tokenize(_NAME_END.split(name, maxsplit=1)[0]) if t.isalpha()]
    return tokens[-1] if tokens else None


@dataclass(frozen=True)
class CoverageModel:
    """Logistic weights over ``FEATURES`` and the probability below which a request is "not carried"."""

    weights: dict[str, float]
    bias: float
    threshold: float
    fitted_on: dict[str, object] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> CoverageModel:
        """Read the fitted model; a clear error when it was never fitted or lacks a feature."""
        if not path.is_file():
            raise FileNotFoundError(f"No coverage model at {path}; run `.venv-ml/bin/python benchmarks/coverage_calibration.py`.")
        raw = json.loads(path.read_text(encoding="utf-8"))
        missing = [name for name in FEATURES if name not in raw.get("weights", {})]
        if missing:
            raise ValueError(f"{path} has no weight for {missing}; refit it with benchmarks/coverage_calibration.py.")
        return cls(weights={k: float(raw["weights"][k]) for k in FEATURES}, bias=float(raw["bias"]),
                   threshold=float(raw["threshold"]), fitted_on=dict(raw.get("fitted_on") or {}))

    def save(self, path: Path = MODEL_FILE) -> None:
        body = {"features": list(FEATURES), "weights": self.weights, "bias": self.bias, "threshold": self.threshold,
                "fitted_on": self.fitted_on}
        path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(self.weights[name] * features[name] for name in FEATURES)
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


@dataclass
class Verdict:
    """Whether the catalog carries a requested kind of product, and the catalog's closest kinds."""

    carried: bool
    probability: float
    closest: list[str] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)


def _frequency(count: int, size: int) -> float:
    return math.log1p(count) / math.log1p(size) if size else 0.0


class CatalogCoverage:
    """Scores requests against one loaded catalog (its kinds, products, words and product nouns)."""

    def __init__(self, retriever: Retriever, model: CoverageModel | None = None) -> None:
        self.retriever = retriever
        self.model = model or CoverageModel.load()
        names = [*retriever.vocabulary.values.get(PRODUCT_TYPE.name, [])]
        category = attribute("category")
        names += sorted({category.level_name(v) for v in retriever.vocabulary.values.get(category.name, [])})
        self.kinds = list(dict.fromkeys(names))
        products = retriever.snapshot.products
        self.size = len(products)
        self.word_counts: Counter[str] = Counter()
        self.noun_counts: Counter[str] = Counter()
        for product in products:
            self.word_counts.update(set(tokenize(" ".join([retriever.snapshot.lexical_text(product), product.description or ""]))))
            self.noun_counts.update({h for h in (name_head(product.title), name_head(product.description or "")) if h})
        self._kind_vectors: np.ndarray | None = None
        self._group_vectors: np.ndarray | None = None

    # --- the catalog's words ---------------------------------------------------------------------
    def catalog_word(self, word: str) -> str | None:
        """The catalog's own (folded) word for ``word``, misspelling corrected; None when no product text uses it."""
        known = self.retriever.known_word(word)
        if known is not None:
            return known
        tokens = tokenize(word)
        return tokens[0] if tokens and tokens[0] in self.word_counts else None

    def in_catalog_words(self, phrase: str) -> str:
        """The words naming the kind, each as the catalog writes it when it knows it ("blak snekers" -> "black sneaker")."""
        return " ".join(self.catalog_word(w) or w for w in kind_words(phrase))

    def kind_vectors(self) -> np.ndarray:
        """One vector per kind (built on first use, once per process)."""
        if self._kind_vectors is None:
            encode = self.retriever.query_encoder.encode_query
            self._kind_vectors = np.stack([encode(k) for k in self.kinds]) if self.kinds else np.zeros((0, 384), np.float32)
        return self._kind_vectors

    def group_vectors(self, chunk: int = 50_000) -> np.ndarray:
        """The normalised mean product vector of every category value and product type (built on first use)."""
        if self._group_vectors is None:
            members: dict[str, list[int]] = {}
            for spec in (attribute("category"), PRODUCT_TYPE):
                for position, product in enumerate(self.retriever.snapshot.products):
                    for value in spec.values_of(product):
                        members.setdefault(f"{spec.name}:{value}", []).append(position)
            rows = [i for i, positions in enumerate(members.values()) for _ in positions]
            cols = [p for positions in members.values() for p in positions]
            membership = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(members), self.size))
            sums = np.zeros((len(members), self.kind_vectors().shape[1]), dtype=np.float32)
            for start in range(0, self.size, chunk):  # a chunk of stored vectors at a time: bounded memory for big catalogs
                stop = min(start + chunk, self.size)
                sums += membership[:, start:stop] @ self.retriever.vectors(np.arange(start, stop))
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            self._group_vectors = sums / np.maximum(norms, 1e-9)
        return self._group_vectors

    # --- the model ---------------------------------------------------------------------------------
    def features(self, phrase: str) -> dict[str, float]:
        """The model's inputs for a requested kind of product (the customer's words for it)."""
        encode = self.retriever.query_encoder.encode_query
        kinds = self.kind_vectors()
        named = kind_words(phrase)
        known = [self.catalog_word(w) for w in named]
        text = " ".join(k or w for k, w in zip(known, named, strict=True)) or phrase
        head = named[-1] if named else None
        head_known = known[-1] if known else None
        head_text = head_known or head or text
        vector = encode(text)
        scores, _ = self.retriever.nearest(vector, 5)
        groups = self.group_vectors()
        return {
            "kind_similarity": float((kinds @ vector).max()) if len(kinds) else 0.0,
            "head_similarity": float((kinds @ encode(head_text)).max()) if len(kinds) else 0.0,
            "group_similarity": float((groups @ vector).max()) if len(groups) else 0.0,
            "product_similarity": float(scores[0]) if len(scores) else 0.0,
            "top5_similarity": float(np.mean(scores)) if len(scores) else 0.0,
            "word_coverage": float(np.mean([k is not None for k in known])) if known else 0.0,
            "head_frequency": _frequency(self.word_counts.get(head_known or "", 0), self.size),
            "head_noun_frequency": _frequency(self.noun_counts.get(head_known or "", 0), self.size),
        }

    def closest_kinds(self, phrase: str, limit: int = 3) -> list[str]:
        """The catalog's kinds of product nearest to ``phrase`` by meaning, when they are close enough to mention."""
        kinds = self.kind_vectors()
        if not len(kinds):
            return []
        similarity = kinds @ self.retriever.query_encoder.encode_query(self.in_catalog_words(phrase) or phrase)
        order = np.argsort(-similarity)[:limit]
        floor = max(CLOSEST_MIN_SIMILARITY, float(similarity[order[0]]) - CLOSEST_WINDOW)
        return [self.kinds[i] for i in order if similarity[i] >= floor]

    def judge(self, phrase: str) -> Verdict:
        """Whether the catalog carries ``phrase``; the closest kinds come with a "not carried" verdict."""
        features = self.features(phrase)
        probability = self.model.probability(features)
        carried = probability >= self.model.threshold
        return Verdict(carried=carried, probability=probability, features=features,
                       closest=[] if carried else self.closest_kinds(phrase))
