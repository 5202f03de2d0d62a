"""The entailment network: the bundled MiniLM-L6 encoder (word-embedding table frozen), mean pooling over the
pair's tokens (the pooling the base model was trained with), dropout and a 3-way linear head."""
from __future__ import annotations

import torch
from torch import nn

from ..common import load_encoder


class NLI(nn.Module):
    def __init__(self, encoder: nn.Module, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.config.hidden_size, 3)

    @classmethod
    def from_base(cls, attn: str = "sdpa") -> NLI:
        return cls(load_encoder(attn))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        return self.from_embeddings(self.encoder.embeddings.word_embeddings(input_ids), attention_mask, token_type_ids)

    def from_embeddings(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor,
                        token_type_ids: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(inputs_embeds=inputs_embeds, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.head(self.dropout(pooled)).float()
