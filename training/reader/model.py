"""The reader network: the bundled MiniLM-L6 encoder with a start/end head (position 0 = no answer)."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ..common import base_model_dir


class Reader(nn.Module):
    """The word-embedding table stays frozen at the bundled model's values, so the shipped ONNX graph takes
    ``inputs_embeds`` and qa looks the rows up in the installed package's weights instead of shipping a copy
    (47 MB of float32). Position/type embeddings, their LayerNorm and all six layers are trained."""

    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        self.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
        self.qa = nn.Linear(encoder.config.hidden_size, 2)

    @classmethod
    def from_base(cls, path: Path | None = None, attn: str = "sdpa") -> Reader:
        from transformers import AutoModel

        return cls(AutoModel.from_pretrained(str(path or base_model_dir()), attn_implementation=attn))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        embeds = self.encoder.embeddings.word_embeddings(input_ids)
        return self.from_embeddings(embeds, attention_mask, token_type_ids)

    def from_embeddings(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor,
                        token_type_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.encoder(inputs_embeds=inputs_embeds, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state
        logits = self.qa(hidden).float()
        pad = attention_mask == 0
        start = logits[..., 0].masked_fill(pad, -1e4)
        end = logits[..., 1].masked_fill(pad, -1e4)
        return start, end
