"""Word-piece encoding with the exported ``tokenizer.json`` (tokenizers + stdlib only).

Why shared: training and the ONNX runtime must produce identical piece ids and piece -> word
maps, so both call :func:`encode_words` on the same ``tokenizers.Tokenizer``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tokenizers import Tokenizer


def load_tokenizer(path: Path) -> Tokenizer:
    """The fast tokenizer with padding and truncation switched off (we do both ourselves)."""
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def encode_words(tokenizer: Tokenizer, words: Sequence[str], max_len: int) -> tuple[list[int], list[int | None]]:
    """Piece ids ``[CLS] ... [SEP]`` and the word index of each piece, cut to ``max_len``."""
    encoding = tokenizer.encode(list(words), is_pretokenized=True)
    ids = list(encoding.ids)
    word_ids: list[int | None] = list(encoding.word_ids)
    if len(ids) > max_len:  # keep [CLS] + the first pieces, then close with [SEP]
        ids = ids[: max_len - 1] + ids[-1:]
        word_ids = word_ids[: max_len - 1] + [None]
    return ids, word_ids
