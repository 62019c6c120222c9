"""A category tree held in one column ("A >> B >> C") becomes the registry's path, filterable at every level."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.flipkart_catalog import CATALOGS, clean_tree, join, specifications, tree_levels, write
from retrieval.attributes import attribute
from retrieval.catalog import read_catalog
from retrieval.errors import MappingError
from retrieval.filtering import AttributeTable
from retrieval.mapping import load_mapping
from retrieval.types import Filters, Product

MAPPINGS = Path(__file__).parents[2] / "retrieval" / "mappings"


def _mapping(tmp_path: Path, category: str) -> Path:
    path = tmp_path / "m.yml"
    path.write_text(f"name: t\nfields:\n  id: id\n  title: title\n  category: {category}\n", encoding="utf-8")
    return path


def test_path_spec_splits_one_column_into_the_category_path(tmp_path: Path) -> None:
    catalog = tmp_path / "c.csv"
    catalog.write_text('id,title,tree\n1,Shorts,"Clothing >> Women\'s Clothing >>  >> Shorts "\n2,Mug,\n3,Bag,Bags\n', encoding="utf-8")
    records = read_catalog(catalog, load_mapping(_mapping(tmp_path, '{column: tree, path: " >> "}'))).records
    assert records["1"]["category"] == "Clothing > Women's Clothing > Shorts"  # empty level dropped, levels stripped
    assert records["2"]["category"] is None
    assert records["3"]["category"] == "Bags"
    product = Product(id="1", title="Shorts", category=records["1"]["category"])
    assert attribute("category").values_of(product) == ("Clothing", "Clothing > Women's Clothing", "Clothing > Women's Clothing > Shorts")


def test_path_spec_is_filterable_at_any_level(tmp_path: Path) -> None:
    products = [Product(id="a", title="x", category="Clothing > Women's Clothing > Shorts"),
                Product(id="b", title="y", category="Clothing > Men's Clothing > Shirts"), Product(id="c", title="z")]
    table = AttributeTable.from_products(np.arange(3), products)
    top, branch = table.mask(Filters.where(category=["Clothing"])), table.mask(Filters.where(category=["Clothing > Women's Clothing"]))
    assert top is not None and branch is not None
    assert top.tolist() == [True, True, False]
    assert branch.tolist() == [True, False, False]


def test_list_paths_still_join_columns(tmp_path: Path) -> None:
    catalog = tmp_path / "c.csv"
    catalog.write_text("id,title,a,b\n1,T,Apparel,Topwear\n", encoding="utf-8")
    records = read_catalog(catalog, load_mapping(_mapping(tmp_path, "[a, b]"))).records
    assert records["1"]["category"] == "Apparel > Topwear"


@pytest.mark.parametrize("spec", ['{column: tree, path: ""}', '{column: tree, path: " >> ", split: "|"}'])
def test_bad_path_specs_are_refused(tmp_path: Path, spec: str) -> None:
    with pytest.raises(MappingError, match="path"):
        load_mapping(_mapping(tmp_path, spec))


def test_flipkart_tree_cleaning() -> None:
    raw = '["Clothing >> Women\'s Clothing >> Lingerie, Sleep & Swimwear >> Shorts >> Alisha Shorts >> Alisha Solid Women\'s Cycling Shorts"]'
    levels = tree_levels(raw)
    assert levels[-1] == "Alisha Solid Women's Cycling Shorts"
    assert clean_tree(levels, "Alisha Solid Women's Cycling Shorts", "Alisha") == [
        "Clothing", "Women's Clothing", "Lingerie, Sleep & Swimwear", "Shorts"]
    assert clean_tree(["Furniture", "Living Room Furniture", "Sofa Beds", "FabHomeDecor Fabric Double Sofa Bed (Finish..."],
                      "FabHomeDecor Fabric Double Sofa Bed", "") == ["Furniture", "Living Room Furniture", "Sofa Beds"]
    assert clean_tree(["Nut Khut Embroidered Kurta"], "Nut Khut Embroidered Kurta") == []
    assert specifications('{"product_specification"=>[{"key"=>"Fabric", "value"=>"Cotton"}, {"value"=>"Wash cold"}]}') == \
        "Fabric: Cotton; Wash cold"


@pytest.mark.skipif(not (CATALOGS / "flipkart_names_categories_20k.csv").is_file(), reason="shared Flipkart files absent")
def test_joined_flipkart_catalog_loads_through_its_mapping(tmp_path: Path) -> None:
    path = write(join(), tmp_path / "joined.csv")
    first_bytes = path.read_bytes()
    assert write(join(), tmp_path / "again.csv").read_bytes() == first_bytes  # deterministic
    records = read_catalog(path, load_mapping(MAPPINGS / "flipkart_full.yml")).records
    assert len(records) == 20_000
    first = records["c2d766ca982eca8304150849735ffef9"]
    assert first["category"] == "Clothing > Women's Clothing > Lingerie, Sleep & Swimwear > Shorts"
    assert (first["brand"], first["gender"], first["price"]) == ("Alisha", "Women", 379.0)
    assert "Fabric: Cotton Lycra" in first["attributes"]["specifications"]
    assert sum(1 for r in records.values() if r["category"]) > 19_000
