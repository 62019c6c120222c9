"""The joint intent + slot network: one BERT encoder, two linear heads.

Why joint: intent and slots share the encoder, so one forward pass serves both and each task
regularises the other. The intent head reads a sentence vector (mean of the piece vectors by
default, since MiniLM was trained with mean pooling), the slot head reads every piece vector.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import AutoModel

from nlu.config import ModelConfig
from nlu.data import IGNORE_INDEX


class JointBert(nn.Module):
    """Encoder + intent head + slot head; ``forward`` returns logits only (ONNX-friendly)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        if config.pooling not in {"mean", "cls", "pooled"}:
            raise ValueError(f"pooling must be 'mean', 'cls' or 'pooled', got {config.pooling!r}")
        self.config = config
        self.encoder = AutoModel.from_pretrained(config.encoder_dir, add_pooling_layer=config.pooling == "pooled")
        hidden = int(self.encoder.config.hidden_size)
        self.dropout = nn.Dropout(config.dropout)
        self.intent_head = nn.Linear(hidden, len(config.intent_labels))
        self.slot_head = nn.Linear(hidden, len(config.slot_labels))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Intent logits ``[batch, intents]`` and slot logits ``[batch, pieces, slots]``."""
        out = self.encoder(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=torch.zeros_like(input_ids),
        )
        tokens = out.last_hidden_state
        if self.config.pooling == "cls":
            sentence = tokens[:, 0]
        elif self.config.pooling == "pooled":
            sentence = out.pooler_output
        else:
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            sentence = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.intent_head(self.dropout(sentence)), self.slot_head(self.dropout(tokens))

    def loss(
        self,
        intent_logits: torch.Tensor,
        slot_logits: torch.Tensor,
        intent_ids: torch.Tensor,
        slot_ids: torch.Tensor,
    ) -> torch.Tensor:
        """``intent CE + slot_loss_coef * slot CE``; slot CE skips IGNORE_INDEX pieces."""
        intent_loss = nn.functional.cross_entropy(intent_logits, intent_ids)
        slot_loss = nn.functional.cross_entropy(slot_logits.reshape(-1, slot_logits.size(-1)), slot_ids.reshape(-1), ignore_index=IGNORE_INDEX)
        return intent_loss + self.config.slot_loss_coef * slot_loss
