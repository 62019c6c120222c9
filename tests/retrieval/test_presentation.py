"""Catalog-derived wording: example requests and prices, on hand-made products (no retriever involved)."""

from __future__ import annotations

from retrieval.presentation import example_requests, format_price, round_price, shelf_name
from retrieval.types import Product


def product(pid: int, kind: str | None, colour: str, price: float | None, *, category: str | None = None,
            gender: str | None = None, currency: str = "USD") -> Product:
    return Product(id=str(pid), title=f"{colour} {kind or category}", product_type=kind, colour=colour, price=price,
                   category=category, gender=gender, currency=currency)


def test_examples_follow_the_most_common_kinds_with_values_those_kinds_have() -> None:
    products = [product(i, "Chairs", "Oak" if i < 7 else "White", 40.0 + i) for i in range(10)]
    products += [product(20 + i, "Lamps", "Black", 15.0, gender="Unisex") for i in range(4)]
    products += [product(30, "Rugs", "Red", 300.0)]
    first, second, third = example_requests(products)
    assert first.text == "oak chairs under 50" and first.entities == {"product_type": "Chairs", "color": "Oak", "price_max": "50"}
    assert second.text == "lamps for everyone" and second.entities["gender"] == "Unisex"
    assert third.text == "rugs under 300" and third.entities["price_max"] == "300"


def test_examples_use_the_category_leaf_and_currency_when_there_is_no_product_type() -> None:
    products = [product(i, None, "Blue", 999.0, category="Clothing > Women's Clothing > Shorts", currency="INR") for i in range(3)]
    (example,) = example_requests(products, limit=1)
    assert example.text == "blue shorts under 1000 INR" and example.entities["product_type"] == "Shorts"


def test_no_products_give_no_examples() -> None:
    assert example_requests([]) == []


def test_prices_and_budgets_read_like_a_person_wrote_them() -> None:
    assert format_price(product(1, "Chairs", "Oak", 1295.5, currency="SAR")) == "SAR 1,295.50"
    assert format_price(product(1, "Chairs", "Oak", 9.99)) == "$9.99"
    assert format_price(product(1, "Chairs", "Oak", None)) == "price on request"
    assert [round_price(p) for p in (7.3, 19.0, 42.0, 77.35, 463.0, 1463.0)] == [8, 19, 45, 80, 500, 1500]


def test_shelf_names_show_a_path_at_its_own_level() -> None:
    assert shelf_name("category", "Clothing > Women's Clothing > Shorts") == "Shorts"
    assert shelf_name("product_type", "Chairs") == "Chairs"
