"""The nearest kinds of product that meet what the customer has just asked for.

When the newest constraint cannot be met with the kind of product asked for ("tops" "for men" in a
shop whose tops are all for women), the customer hears so and sees the kinds the shop does carry
under it, closest in meaning first: men's shirts and T-shirts. Both come from the catalog itself:
the kinds are the product-type facets of the search without its kind, ranked by the MiniLM query
encoder's cosine between each kind and the wanted one, each read with its category path ("Apparel
> Topwear > Tops"), which places a kind among its neighbours better than its bare name does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from actions.constraints import Constraints
from actions.services import per_catalog
from retrieval import Filters
from retrieval.attributes import PRODUCT_TYPE, attribute

ALTERNATIVE_KINDS = 2
CATEGORY = attribute("category")


def nearest_kinds(retriever: Any, constraints: Constraints, *, top: int = ALTERNATIVE_KINDS) -> list[str]:
    """Up to ``top`` other kinds of product that meet every other constraint, closest in meaning to the wanted kinds.

    Empty when the constraints name no kind of product or nothing else meets the other constraints.
    """
    wanted = constraints.values(PRODUCT_TYPE.name)
    if not wanted:
        return []
    filters = constraints.to_filters()
    filters.include.pop(PRODUCT_TYPE.name, None)
    available = [kind for kind, _ in retriever.facets(PRODUCT_TYPE.name, filters) if kind not in wanted]
    if not available:
        return []
    target = np.stack([kind_vector(retriever, kind) for kind in wanted])
    closeness = {kind: float(np.max(target @ kind_vector(retriever, kind))) for kind in available}
    return sorted(available, key=lambda kind: -closeness[kind])[:top]  # ties keep the most stocked first


@per_catalog(maxsize=2048)
def kind_vector(retriever: Any, kind: str) -> np.ndarray:
    """The encoder's vector of a kind of product, read with its most common category path."""
    return np.asarray(retriever.query_encoder.encode_query(kind_text(retriever, kind)), dtype=np.float32)


def kind_text(retriever: Any, kind: str) -> str:
    """"Apparel > Topwear > Tops": the deepest category most products of the kind sit in, then the kind."""
    paths = retriever.facets(CATEGORY.name, Filters(include={PRODUCT_TYPE.name: [kind]}))
    if not paths:
        return kind
    path = min(paths, key=lambda item: (-item[1], -item[0].count(CATEGORY.path_separator or ">")))[0]
    return path if CATEGORY.level_name(path).lower() == kind.lower() else f"{path}{CATEGORY.path_separator or ' '}{kind}"
