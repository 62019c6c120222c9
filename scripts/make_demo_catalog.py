"""Build the bundled demo catalog (data/demo_catalog.csv) from the public Myntra catalog.

Why a subset: the embedded default must ingest and embed in well under a minute on a 2-core laptop,
while still covering every product type a shopper may ask for. The subset is stratified by product
type (every type with at least MIN_PER_TYPE items keeps at least that many), chosen by a hash of the
product id, so the file is identical on every run.

Why synthetic prices and sizes: the Myntra data has neither, but price ranges and sizes are central
to a shopping conversation. Both are derived deterministically from the product id within a range
typical of the product type, and the README says they are synthetic. Real catalogs with prices
(IKEA, Flipkart) ingest through their own mappings.

Usage: python scripts/make_demo_catalog.py [--source PATH] [--out PATH] [--size N]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import math
import re
import sys
from collections import defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "data" / "catalogs" / "myntra_styles.csv"
DEFAULT_OUT = REPO_ROOT / "data" / "demo_catalog.csv"
KEPT_CATEGORIES = {"Apparel", "Accessories", "Footwear", "Personal Care"}
MIN_PER_TYPE = 12
GENDER_WORDS = {"men", "women", "boys", "girls", "unisex", "kids", "men's", "women's"}

# (low, high) USD price band per product type; the master category band is the fallback.
PRICE_BANDS: dict[str, tuple[float, float]] = {
    "Tshirts": (9, 45), "Shirts": (19, 80), "Jeans": (29, 120), "Trousers": (25, 95), "Shorts": (12, 45),
    "Track Pants": (15, 60), "Kurtas": (19, 90), "Tops": (12, 55), "Dresses": (25, 140), "Sarees": (30, 250),
    "Jackets": (45, 220), "Sweaters": (25, 110), "Sweatshirts": (25, 90), "Skirts": (18, 70),
    "Casual Shoes": (35, 130), "Sports Shoes": (40, 180), "Formal Shoes": (50, 200), "Heels": (30, 150),
    "Flats": (18, 70), "Sandals": (15, 80), "Flip Flops": (5, 30), "Watches": (30, 400),
    "Handbags": (25, 300), "Wallets": (12, 80), "Belts": (10, 60), "Backpacks": (20, 120),
    "Sunglasses": (15, 200), "Socks": (4, 15), "Briefs": (5, 25), "Bra": (10, 45), "Caps": (8, 35),
    "Perfume and Body Mist": (15, 120), "Deodorant": (4, 15), "Earrings": (8, 90), "Ties": (10, 50),
}
CATEGORY_BANDS = {"Apparel": (10, 80), "Accessories": (8, 120), "Footwear": (20, 120), "Personal Care": (4, 40)}
APPAREL_SIZES = ("XS", "S", "M", "L", "XL", "XXL")
SHOE_SIZES = ("5", "6", "7", "8", "9", "10", "11", "12")

OUT_COLUMNS = [
    "id", "title", "gender", "master_category", "sub_category", "product_type", "colour",
    "season", "year", "usage", "brand", "price", "currency", "sizes",
]


def stable_fraction(product_id: str, salt: str) -> float:
    """A number in [0, 1) fixed by the id, so prices and sizes never change between builds."""
    digest = hashlib.sha1(f"{salt}:{product_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def brand_from_title(title: str, known_brands: set[str] = frozenset()) -> str:
    """Myntra titles start with the brand, then the gender word: 'Peter England Men Party Blue Jeans'.

    Titles without a gender word ('Nike Mean Team India Cricket Jersey') take the longest brand seen
    elsewhere in the catalog that starts the title.
    """
    words = title.split()
    for position, word in enumerate(words):
        if word.lower() in GENDER_WORDS:
            return " ".join(words[:position])
    for length in range(min(3, len(words) - 1), 0, -1):
        candidate = " ".join(words[:length])
        if candidate in known_brands:
            return candidate
    return ""


def synthetic_price(row: dict[str, str]) -> str:
    low, high = PRICE_BANDS.get(row["articleType"], CATEGORY_BANDS.get(row["masterCategory"], (10, 80)))
    # Skewed toward the low end of the band, as real assortments are; always ends in .99.
    fraction = stable_fraction(row["id"], "price") ** 1.6
    return f"{math.floor(low + fraction * (high - low)) + 0.99:.2f}"


def synthetic_sizes(row: dict[str, str]) -> str:
    if row["masterCategory"] == "Footwear":
        scale = SHOE_SIZES
    elif row["masterCategory"] == "Apparel" and row["subCategory"] in {"Topwear", "Bottomwear", "Dress", "Innerwear", "Loungewear and Nightwear"}:
        scale = APPAREL_SIZES
    else:
        return ""
    start = int(stable_fraction(row["id"], "size-start") * 3)
    count = 3 + int(stable_fraction(row["id"], "size-count") * (len(scale) - 3))
    return "|".join(scale[start : start + count])


def clean(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def select_rows(rows: list[dict[str, str]], size: int) -> list[dict[str, str]]:
    """Stratified, hash-ordered selection of about ``size`` rows."""
    by_type: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_type[row["articleType"]].append(row)
    share = size / len(rows)
    chosen: list[dict[str, str]] = []
    for _product_type, members in sorted(by_type.items()):
        if len(members) < MIN_PER_TYPE:
            continue
        members.sort(key=lambda r: stable_fraction(r["id"], "pick"))
        chosen.extend(members[: max(MIN_PER_TYPE, round(len(members) * share))])
    chosen.sort(key=lambda r: int(r["id"]))
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--size", type=int, default=8000)
    args = parser.parse_args(argv)
    if not args.source.is_file():
        print(f"error: source catalog not found: {args.source}", file=sys.stderr)
        return 2
    with args.source.open(encoding="utf-8", newline="") as handle:
        rows = [
            r for r in csv.DictReader(handle)
            if r["masterCategory"] in KEPT_CATEGORIES and clean(r["productDisplayName"]) and clean(r["baseColour"])
        ]
    chosen = select_rows(rows, args.size)
    known_brands = {b for b in (brand_from_title(clean(r["productDisplayName"])) for r in rows) if b}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=OUT_COLUMNS)
        writer.writeheader()
        for row in chosen:
            title = clean(row["productDisplayName"])
            writer.writerow({
                "id": row["id"], "title": title, "gender": row["gender"],
                "master_category": row["masterCategory"], "sub_category": row["subCategory"],
                "product_type": row["articleType"], "colour": clean(row["baseColour"]),
                "season": row["season"], "year": row["year"],
                "usage": "" if row["usage"] in {"NA", ""} else row["usage"],
                "brand": brand_from_title(title, known_brands), "price": synthetic_price(row), "currency": "USD",
                "sizes": synthetic_sizes(row),
            })
    types = len({r["articleType"] for r in chosen})
    print(f"wrote {len(chosen)} products of {types} types to {args.out} (from {len(rows)} eligible rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
