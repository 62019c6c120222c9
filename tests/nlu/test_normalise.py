"""Entity value normalisation: prices, number words and ordinals."""

from __future__ import annotations

import pytest

from nlu.normalise import normalise_value, parse_numbers


@pytest.mark.parametrize(
    ("entity", "text", "value"),
    [
        ("price_max", "50", "50"),
        ("price_max", "$40", "40"),
        ("price_max", "20 bucks", "20"),
        ("price_max", "a hundred", "100"),
        ("price_max", "less than a hundred", "100"),
        ("price_max", "a hundred and fifty dollars", "150"),
        ("price_max", "seventy five", "75"),
        ("price_max", "$1,200", "1200"),
        ("price_max", "19.99", "19.99"),
        ("price_max", "40.50", "40.5"),
        ("price_max", "2 grand", "2000"),
        ("price_max", "hundred", "100"),
        ("price_min", "between 20 and 40", "20"),
        ("price_max", "between 20 and 40", "40"),
        ("price_max", "cheap", "cheap"),  # no amount: surface text, never a made-up number
        ("ordinal", "second", "2"),
        ("ordinal", "the 3rd one", "3"),
        ("ordinal", "last", "-1"),
        ("ordinal", "second to last", "-2"),
        ("ordinal", "number two", "2"),
        ("ordinal", "#1", "1"),
        ("ordinal", "top", "1"),
        ("color", "  Navy   Blue ", "navy blue"),
        ("brand", "ADIDAS", "adidas"),
    ],
)
def test_normalise_value(entity: str, text: str, value: str) -> None:
    assert normalise_value(entity, text) == value


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("a shirt for 20", [20]),
        ("twenty five to forty", [25, 40]),
        ("from 10 to 30 dollars", [10, 30]),
        ("one hundred twenty", [120]),
        ("nothing here", []),
    ],
)
def test_parse_numbers(text: str, numbers: list[float]) -> None:
    assert parse_numbers(text) == numbers
