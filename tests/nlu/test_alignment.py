"""Word -> word-piece label alignment and the readers of Rasa YAML and ATIS/SNIPS files."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.data import (
    IGNORE_INDEX,
    Span,
    align,
    label_sets,
    load_examples,
    parse_annotated,
    read_jsonl,
    read_seq_dataset,
    spans_to_tags,
)
from nlu.pieces import encode_words, load_tokenizer
from nlu.text import split_words


def test_label_goes_on_first_piece_only(encoder_dir: Path) -> None:
    tokenizer = load_tokenizer(encoder_dir / "tokenizer.json")
    words = ("show", "me", "skechers", "sneakers")
    tags = ("O", "O", "B-brand", "B-product_type")
    ids, word_ids = encode_words(tokenizer, words, max_len=32)
    index = {"O": 0, "B-brand": 1, "B-product_type": 2}
    labels = align(word_ids, tags, index)
    assert len(labels) == len(ids)
    assert labels[0] == labels[-1] == IGNORE_INDEX  # [CLS] and [SEP]
    pieces_of_brand = [i for i, w in enumerate(word_ids) if w == 2]
    assert len(pieces_of_brand) > 1, "the test needs a word that splits into several pieces"
    assert labels[pieces_of_brand[0]] == 1
    assert all(labels[i] == IGNORE_INDEX for i in pieces_of_brand[1:])
    assert [label for label in labels if label != IGNORE_INDEX] == [0, 0, 1, 2]  # one label per word


def test_truncation_keeps_sep_and_drops_tail_words(encoder_dir: Path) -> None:
    tokenizer = load_tokenizer(encoder_dir / "tokenizer.json")
    ids, word_ids = encode_words(tokenizer, ["word"] * 50, max_len=10)
    assert len(ids) == 10 and ids[-1] == 102 and word_ids[-1] is None
    assert align(word_ids, tuple(["O"] * 50), {"O": 0}).count(0) == 8


def test_unknown_tag_maps_to_outside() -> None:
    assert align([None, 0, None], ("B-unseen",), {"O": 0, "B-color": 1}) == [IGNORE_INDEX, 0, IGNORE_INDEX]


def test_parse_annotated_with_roles_and_values() -> None:
    text, spans = parse_annotated('show [red](color) [t-shirts](product_type) not [Nike]{"entity": "brand", "role": "exclude"} under [$40](price_max:40)')
    assert text == "show red t-shirts not Nike under $40"
    assert [(text[s.start : s.end], s.label) for s in spans] == [
        ("red", "color"),
        ("t-shirts", "product_type"),
        ("Nike", "brand.exclude"),
        ("$40", "price_max"),
    ]


def test_bad_json_annotation_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="bad entity annotation"):
        parse_annotated('[x]{"entity": color}')


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("between 20-40 dollars", ["between", "20", "-", "40", "dollars"]),
        ("men's t-shirts, $19.99", ["men's", "t-shirts", ",", "$", "19.99"]),
        ("  spaced   out ", ["spaced", "out"]),
    ],
)
def test_split_words(text: str, words: list[str]) -> None:
    found = split_words(text)
    assert [w.text for w in found] == words
    assert all(text[w.start : w.end] == w.text for w in found)


def test_multi_word_span_gets_b_then_i() -> None:
    words, tags = spans_to_tags("black running shoes", [Span(6, 19, "product_type")])
    assert tags == ("O", "B-product_type", "I-product_type")


def test_rasa_yaml_and_jsonl_readers(tmp_path: Path) -> None:
    yml = tmp_path / "a.yml"
    yml.write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n- synonym: x\n  examples: |\n    - y\n')
    jsonl = tmp_path / "b.jsonl"
    jsonl.write_text('{"text": "no black", "intent": "add_constraint", "entities": [{"start": 3, "end": 8, "entity": "color", "role": "exclude"}]}\n')
    examples = load_examples([yml, jsonl])
    assert [(e.intent, e.tags) for e in examples] == [("greet", ("O",)), ("add_constraint", ("O", "B-color.exclude"))]
    assert label_sets(examples) == (["add_constraint", "greet"], ["O", "B-color.exclude"])
    jsonl.write_text('{"text": "x"}\n')
    with pytest.raises(ValueError, match="b.jsonl:1"):
        read_jsonl(jsonl)


def test_seq_dataset_reader(tmp_path: Path) -> None:
    (tmp_path / "seq.in").write_text("fly to boston\nhi\n")
    (tmp_path / "seq.out").write_text("O O B-toloc.city_name\nO\n")
    (tmp_path / "label").write_text("atis_flight\natis_greet\n")
    examples = read_seq_dataset(tmp_path)
    assert examples[0].words == ("fly", "to", "boston") and examples[0].tags[-1] == "B-toloc.city_name"
    (tmp_path / "label").write_text("atis_flight\n")
    with pytest.raises(ValueError, match="different line counts"):
        read_seq_dataset(tmp_path)
