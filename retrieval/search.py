"""The ``Retriever``: hybrid (semantic + BM25) product search with hard filters.

Built once per process by ``Retriever.open(settings)``: products are loaded from SQL into memory
(attribute table for filters, BM25 matrix), the FAISS index is opened and checked against the
database, and a query encoder is loaded. Searches never touch SQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from nlu.spelling import SpellingCorrector
from retrieval import ann
from retrieval.attributes import attribute, catalog_backed
from retrieval.errors import IndexMissingError, UnknownProductError
from retrieval.filtering import AttributeTable
from retrieval.index import VectorIndex, check_manifest
from retrieval.lexical import BM25, tokenize
from retrieval.snapshot import Snapshot, load_snapshot
from retrieval.types import Filters, Hit, Product
from retrieval.vocabulary import Vocabulary, fold

if TYPE_CHECKING:
    from shop.settings import Settings



class Retriever:
    """Search, similarity and lookup over one catalog; safe to share across threads for reads."""

    def __init__(self, snapshot: Snapshot, index: VectorIndex, query_encoder: Any, *, alpha: float = 0.5,
                 boost: float = 0.1, method: str = "blend", description_weight: float = 0.0) -> None:
        self.snapshot = snapshot
        self.index = index
        self.query_encoder = query_encoder
        self.alpha, self.boost, self.method = alpha, boost, method
        products = snapshot.products
        texts = [snapshot.lexical_text(p) for p in products]
        self.table = AttributeTable.from_products(snapshot.row_ids, products, texts=texts)
        self.bm25 = BM25(texts)
        # Descriptions are a field of their own (BM25F-style): long text must not dilute the title's term
        # weights, and a word found only there counts ``description_weight`` of one in the title.
        descriptions = [p.description or "" for p in products]
        self.description_weight = description_weight if any(descriptions) else 0.0
        self.description_bm25 = BM25(descriptions) if self.description_weight > 0 else None
        values = {spec.name: [v for p in products for v in spec.values_of(p)] for spec in catalog_backed()}
        self.vocabulary = Vocabulary(values, embed=lambda texts: np.stack([query_encoder.encode_query(t) for t in texts]))
        self.boosted = tuple(spec for spec in catalog_backed() if spec.boost)
        currencies = Counter(p.currency for p in products if p.currency)
        self.currency: str | None = currencies.most_common(1)[0][0] if currencies else None
        """The catalog's currency (its most common one): budgets are said in it ("under SAR 500")."""
        # The catalog's own words, so that a misspelt query word still finds them ("snekers" -> "sneaker").
        self.speller = SpellingCorrector(self._keyword_counts())

    @classmethod
    def open(cls, settings: Settings, *, catalog: str | None = None, query_encoder: Any = None) -> Retriever:
        """Load the catalog named by ``settings.catalog_mapping`` (or ``catalog``) and its checked index.

        ``query_encoder`` lets a process that already holds an encoder (tests, benchmarks) share it.
        """
        import faiss

        from retrieval.catalog import text_recipe
        from retrieval.encoder import model_id_of
        from retrieval.ingest import index_dir
        from retrieval.mapping import load_mapping

        faiss.omp_set_num_threads(settings.search_threads)
        name = catalog or load_mapping(settings.catalog_mapping).name
        snapshot = load_snapshot(settings.resolved_database_url, catalog=name)
        index, manifest = VectorIndex.load(index_dir(settings, name))
        check_manifest(manifest, catalog=name, fingerprint=snapshot.fingerprint, count=len(snapshot.products),
                       model_id=model_id_of(settings.encoder_dir), dim=index.index.d, text=text_recipe(settings.description_words))
        return cls(snapshot, index, query_encoder or load_query_encoder(settings), alpha=settings.fusion_alpha,
                   boost=settings.attribute_boost, description_weight=settings.description_weight)

    # --- lookups -----------------------------------------------------------------------------
    def get(self, product_id: str) -> Product | None:
        """The product with this catalog id, or None."""
        pos = self.table.position_of.get(str(product_id))
        return None if pos is None else self.snapshot.products[pos]

    def get_many(self, ids: Sequence[str]) -> list[Product]:
        """Products for the ids that exist, in the given order."""
        return [p for p in (self.get(i) for i in ids) if p is not None]

    def embedding(self, product_id: str) -> np.ndarray | None:
        """The stored L2-normalised vector of a product, or None for an unknown id."""
        pos = self.table.position_of.get(str(product_id))
        return None if pos is None else self.index.reconstruct(int(self.snapshot.row_ids[pos]))

    def canonical_values(self, name: str, text: str) -> list[str]:
        """Every catalog value of attribute ``name`` that free text means (see ``retrieval.vocabulary``)."""
        return self.vocabulary.canonical_values(name, text)

    # --- search ------------------------------------------------------------------------------
    def search(self, query: str, filters: Filters | None = None, top_k: int = 10, offset: int = 0,
               *, method: str | None = None) -> list[Hit]:
        """Hybrid search; ``method`` "semantic", "lexical", "blend" (default) or "rrf" is for evaluation."""
        method = method or self.method
        mask = self.table.mask(filters)
        want = offset + top_k
        pool = max(50, 3 * want)
        candidates: set[int] = set()
        qvec = self.query_encoder.encode_query(query) if method != "lexical" else None
        if qvec is not None:
            candidates |= set(self._nearest(qvec, pool, mask)[1].tolist())
        lexical = self.keyword_scores(self.lexical_query(query)) if method != "semantic" else None
        if lexical is not None:
            masked = lexical if mask is None else np.where(mask, lexical, 0.0)
            top = np.argpartition(-masked, min(pool, len(masked) - 1))[:pool]
            candidates |= {int(p) for p in top if masked[p] > 0}
        if not candidates:
            return []
        positions = np.fromiter(candidates, dtype=np.int64)
        semantic = self._cosines(qvec, positions) if qvec is not None else np.zeros(len(positions))
        keyword = lexical[positions] if lexical is not None else np.zeros(len(positions))
        mentioned = self._mentioned(query)
        scores = self._fuse(method, semantic, keyword) + self.boost * self._matches(positions, mentioned)
        order = np.argsort(-scores, kind="stable")[offset:want]
        return [self._hit(int(positions[i]), float(scores[i]), filters, mentioned,
                          semantic[i] if qvec is not None else None, keyword[i] if lexical is not None else None)
                for i in order]

    def search_by_vector(self, vector: np.ndarray, filters: Filters | None = None, top_k: int = 10) -> list[Hit]:
        """Semantic-only search from a vector (e.g. a liked product or a mean of several)."""
        vector = np.asarray(vector, dtype=np.float32)
        vector = vector / max(float(np.linalg.norm(vector)), 1e-12)
        scores, positions = self._nearest(vector, top_k, self.table.mask(filters))
        return [self._hit(int(p), float(s), filters, {}, float(s), None) for p, s in zip(positions, scores, strict=True)]

    def similar(self, product_id: str, filters: Filters | None = None, top_k: int = 10) -> list[Hit]:
        """Products most like ``product_id`` (itself excluded)."""
        vector = self.embedding(product_id)
        if vector is None:
            raise UnknownProductError(f"Unknown product id {product_id!r}; use an id from a previous search result.")
        return self.search_by_vector(vector, (filters or Filters()).excluding_ids([str(product_id)]), top_k)

    def nearest(self, vector: np.ndarray, k: int, filters: Filters | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(cosines, positions) of the ``k`` products nearest to an L2-normalised vector, best first."""
        return self._nearest(np.asarray(vector, dtype=np.float32), k, self.table.mask(filters))

    def vectors(self, positions: np.ndarray) -> np.ndarray:
        """The stored (L2-normalised) vectors of the products at ``positions`` (positions in ``snapshot.products``)."""
        return np.asarray(self.index.index.reconstruct_batch(self.snapshot.row_ids[np.asarray(positions, dtype=np.int64)]), dtype=np.float32)

    def facets(self, name: str, filters: Filters | None = None, *, top: int | None = None) -> list[tuple[str, int]]:
        """How many products (allowed by ``filters``) hold each value of attribute ``name``, most first.

        What the shop carries, from its own data: "which brands do you have?", the categories
        offered when a request names something it does not sell, the product types for men.
        """
        spec = attribute(name)
        mask = self.table.mask(filters)
        counts: dict[str, int] = {}
        for pos, product in enumerate(self.snapshot.products):
            if mask is not None and not mask[pos]:
                continue
            for value in spec.values_of(product):
                counts[value] = counts.get(value, 0) + 1
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return ranked[:top] if top is not None else ranked

    def keyword_scores(self, query: str) -> np.ndarray:
        """BM25 of every product: title and attributes, plus the weighted description field."""
        scores = self.bm25.scores(query)
        if self.description_bm25 is not None:
            scores = scores + np.float32(self.description_weight) * self.description_bm25.scores(query)
        return scores

    def lexical_query(self, query: str) -> str:
        """The query's words as the keyword index knows them: misspelt ones corrected, unknown ones kept."""
        return " ".join(self.known_word(token) or token for token in tokenize(query))

    def known_word(self, word: str) -> str | None:
        """The catalog's word for ``word`` (as its keyword index folds it), spelling corrected; None when the catalog never uses it."""
        tokens = tokenize(word)
        if not tokens:
            return None
        token = tokens[0]
        if self._indexed(token):
            return token
        corrected = tokenize(self.speller.correct(token))
        return corrected[0] if corrected and self._indexed(corrected[0]) else None

    def _indexed(self, token: str) -> bool:
        return token in self.bm25.vocab or (self.description_bm25 is not None and token in self.description_bm25.vocab)

    def _keyword_counts(self) -> dict[str, int]:
        """Products per keyword-index term (both fields), the speller's vocabulary: a word used only in
        descriptions ("foldable") is a catalog word too and must not be "corrected" into a title word."""
        counts = {term: int(self.bm25.document_frequency[i]) for term, i in self.bm25.vocab.items()}
        if self.description_bm25 is not None:
            for term, i in self.description_bm25.vocab.items():
                counts[term] = counts.get(term, 0) + int(self.description_bm25.document_frequency[i])
        return counts

    # --- internals ---------------------------------------------------------------------------
    def _nearest(self, vector: np.ndarray, k: int, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, positions) of the k nearest allowed items."""
        if mask is not None and not mask.any():
            return np.empty(0, dtype=np.float32), np.empty(0, dtype=np.int64)
        bitmap = None if mask is None else ann.allowed_bitmap(self.snapshot.row_ids, mask)
        scores, ids = ann.search(self.index, vector, k, bitmap=bitmap, selectivity=self.table.selectivity(mask))
        found = ids >= 0
        return scores[found], np.searchsorted(self.snapshot.row_ids, ids[found])

    def _cosines(self, qvec: np.ndarray, positions: np.ndarray) -> np.ndarray:
        vectors = self.index.index.reconstruct_batch(self.snapshot.row_ids[positions])
        return np.asarray(vectors @ qvec, dtype=np.float64)

    def _fuse(self, method: str, semantic: np.ndarray, keyword: np.ndarray) -> np.ndarray:
        if method == "semantic":
            return semantic
        if method == "lexical":
            return keyword / max(float(keyword.max()), 1e-9)
        if method == "rrf":
            sem_rank = np.argsort(np.argsort(-semantic))
            lex_rank = np.argsort(np.argsort(-keyword))
            return 1.0 / (60 + sem_rank) + 1.0 / (60 + lex_rank)
        span = float(semantic.max() - semantic.min())
        sem = (semantic - semantic.min()) / span if span > 1e-9 else np.ones_like(semantic)
        lex = keyword / max(float(keyword.max()), 1e-9)
        return self.alpha * sem + (1 - self.alpha) * lex

    def _mentioned(self, query: str) -> dict[str, set[str]]:
        if self.boost <= 0:
            return {}
        tokens = {fold(t) for t in tokenize(query)}
        found = {spec.name: {v.lower() for v in self.vocabulary.mentioned(spec.name, tokens)} for spec in self.boosted}
        words = tokenize(query)
        phrases = words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
        for phrase in phrases:  # "guys", "ladies", "running shoes": synonyms name values too
            for spec in self.boosted:
                found[spec.name].update(v.lower() for v in self.vocabulary.canonical_values(spec.name, phrase, nearest=False))
        return {k: v for k, v in found.items() if v}

    def _matches(self, positions: np.ndarray, mentioned: dict[str, set[str]]) -> np.ndarray:
        count = np.zeros(len(positions))
        for name, values in mentioned.items():
            if name in self.table.multi:  # a catalog listing several values per product ("Chairs|Stools")
                count += self.table.having(name, list(values))[positions]
                continue
            if name not in self.table.vocab:
                continue
            vocab = self.table.vocab[name]
            wanted = np.zeros(len(vocab) + 1, dtype=bool)  # the extra last slot is code -1 (no value)
            wanted[[vocab[v] for v in values if v in vocab]] = True
            count += wanted[self.table.codes[name][positions]]
        return count

    def _hit(self, pos: int, score: float, filters: Filters | None, mentioned: dict[str, set[str]],
             semantic: float | None, keyword: float | None) -> Hit:
        product = self.snapshot.products[pos]
        reasons = []
        for spec in catalog_backed():
            wanted = {v.lower() for v in filters.wanted(spec.name)} if filters else set()
            wanted |= mentioned.get(spec.name, set())
            matched = [v for v in spec.values_of(product) if v.lower() in wanted]
            if matched:
                reasons.append(f"{spec.noun}: {', '.join(matched)}")
        if filters and (filters.price_min is not None or filters.price_max is not None) and product.price is not None:
            reasons.append(f"price: {product.price:g} {product.currency or ''}".strip())
        if semantic is not None:
            reasons.append(f"semantic {semantic:.2f}")
        if keyword is not None and keyword > 0:
            reasons.append(f"keyword {keyword:.2f}")
        return Hit(product=product, score=score, reasons=reasons)


def load_query_encoder(settings: Settings) -> Any:
    """The query encoder chosen by ``settings.query_encoder`` (ONNX export is written by ingestion)."""
    if settings.query_encoder == "torch":
        from retrieval.encoder import Encoder

        return Encoder(settings.encoder_dir, threads=settings.torch_threads)
    from retrieval.onnx_encoder import OnnxQueryEncoder

    onnx_dir = settings.resolved_index_dir / "query-encoder"
    if not (onnx_dir / "model.onnx").is_file():
        raise IndexMissingError(f"No ONNX query encoder in {onnx_dir}. Run `python -m retrieval reindex`.")
    return OnnxQueryEncoder(onnx_dir, variant=settings.query_encoder.removeprefix("onnx-"), threads=settings.search_threads)
