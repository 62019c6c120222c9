"""Canonicalisation of free text to catalog values."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.vocabulary import Vocabulary, fold

VALUES = {
    "product_type": ["Tshirts", "Sports Shoes", "Casual Shoes", "Dresses", "Handbags", "Watches", "Jeans", "Track Pants", "Flip Flops"],
    "colour": ["Navy Blue", "Black", "Grey", "Red", "Off White"],
    "gender": ["Men", "Women", "Boys", "Girls", "Unisex"],
    "brand": ["Nike", "Red Tape", "Puma"],
    "usage": ["Casual", "Sports", "Formal", "Party"],
    "season": ["Summer", "Fall", "Winter"],
    "size": ["S", "M", "L", "XL", "8"],
}


@pytest.fixture(scope="module")
def vocab(encoder) -> Vocabulary:  # type: ignore[no-untyped-def]
    return Vocabulary(VALUES, embed=lambda texts: encoder.encode(list(texts)))


@pytest.mark.parametrize(("field", "text", "expected"), [
    ("product_type", "t-shirt", "Tshirts"), ("product_type", "T-Shirts", "Tshirts"), ("product_type", "tee", "Tshirts"),
    ("product_type", "tshirt", "Tshirts"), ("product_type", "running shoes", "Sports Shoes"),
    ("product_type", "sports shoe", "Sports Shoes"),
    ("product_type", "dress", "Dresses"), ("product_type", "flip-flops", "Flip Flops"),
    ("colour", "navy", "Navy Blue"), ("color", "NAVY BLUE", "Navy Blue"), ("colour", "gray", "Grey"),
    ("colour", "off-white", "Off White"), ("gender", "guys", "Men"), ("gender", "male", "Men"),
    ("gender", "ladies", "Women"), ("gender", "women's", "Women"), ("gender", "girl", "Girls"),
    ("brand", "nike", "Nike"), ("brand", "red-tape", "Red Tape"), ("brand", "Pumaa", "Puma"),
    ("occasion", "office", "Formal"), ("usage", "party", "Party"), ("season", "autumn", "Fall"),
    ("size", "xl", "XL"), ("size", "8", "8"),
])
def test_canonicalise(vocab: Vocabulary, field: str, text: str, expected: str) -> None:
    assert vocab.canonicalise(field, text) == expected


@pytest.mark.parametrize(("field", "text"), [
    ("product_type", "spaceship"), ("colour", "invisible"), ("gender", "robot"), ("brand", "Gucci"),
    ("season", "monsoon"), ("size", "XXXL"), ("unknown_field", "black"), ("colour", ""),
])
def test_unknown_text_gives_none(vocab: Vocabulary, field: str, text: str) -> None:
    assert vocab.canonicalise(field, text) is None


def test_nearest_value_by_embedding(vocab: Vocabulary) -> None:
    assert vocab.canonicalise("product_type", "denim") == "Jeans"
    assert vocab.canonicalise("product_type", "wrist watch") == "Watches"
    assert vocab.canonicalise("colour", "crimson") is None  # below the threshold: no guess


def test_synonym_skips_values_missing_from_catalog() -> None:
    vocab = Vocabulary({"product_type": ["Sports Shoes"]})
    assert vocab.canonical_values("product_type", "sneakers") == ["Sports Shoes"]


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("product_type", "sneakers", ["Casual Shoes", "Sports Shoes"]),
    ("gender", "kids", ["Boys", "Girls"]),
    ("occasion", "wedding", ["Formal", "Party"]),  # Ethnic is not in this catalog
    ("colour", "black", ["Black"]),
])
def test_a_word_maps_to_every_matching_value(vocab: Vocabulary, name: str, text: str, expected: list[str]) -> None:
    assert sorted(vocab.canonical_values(name, text)) == sorted(expected)


def test_synonym_sections_name_registered_attributes() -> None:
    from retrieval.attributes import attribute
    from retrieval.vocabulary import load_synonyms

    for name, words in load_synonyms().items():
        assert attribute(name).synonyms and words


def test_fold_and_mentioned() -> None:
    assert fold("T-Shirts") == fold("tshirt") == "tshirt"
    assert fold("Dresses") == fold("dress")
    vocab = Vocabulary(VALUES)
    assert vocab.mentioned("colour", {"navy", "blue", "shirt"}) == ["Navy Blue"]
    assert np.array_equal(vocab.mentioned("gender", {"women"}), ["Women"])


def test_a_category_path_holds_and_names_every_level() -> None:
    from retrieval import Product
    from retrieval.attributes import attribute

    category = attribute("category")
    product = Product(id="1", title="Bag", category="Accessories > Bags > Backpacks")
    assert category.values_of(product) == ("Accessories", "Accessories > Bags", "Accessories > Bags > Backpacks")
    assert category.display(product) == "Accessories > Bags > Backpacks"
    vocab = Vocabulary({"category": category.values_of(product) + ("Apparel", "Apparel > Topwear")})
    assert vocab.canonical_values("category", "bags") == ["Accessories > Bags"]
    assert vocab.canonical_values("category", "topwear") == ["Apparel > Topwear"]
    assert vocab.canonical_values("category", "Accessories") == ["Accessories"]


def test_a_longer_value_holding_the_word_whole_is_not_a_misspelling() -> None:
    from retrieval.vocabulary import close_spelling

    assert close_spelling("furniture", ["barfurniture", "outdoorfurniture"]) is None
    assert close_spelling("addidas", ["adidas", "puma"]) == "adidas"
    assert close_spelling("furniture", ["barfurniture", "furnitures"]) == "furnitures"
