"""Padding a batch of prompts, and the position ids that padding must not disturb."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Sequence

import torch


class PaddingSide(str, Enum):
    LEFT = "left"
    RIGHT = "right"


@dataclass(frozen=True)
class PaddedBatch:
    """Prompts laid out as one rectangle: ``input_ids`` and ``attention_mask`` are ``[B, T]``."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    lengths: tuple[int, ...]


def pad_batch(
    prompts: Sequence[Sequence[int]],
    pad_id: int,
    side: PaddingSide | str = PaddingSide.LEFT,
    device: torch.device | str | None = None,
) -> PaddedBatch:
    """Pad token-id lists to the longest one; the mask is 1 on real tokens and 0 on pads."""
    side = PaddingSide(side)
    if not prompts or any(len(p) == 0 for p in prompts):
        raise ValueError("every prompt needs at least one token")
    width = max(len(p) for p in prompts)
    input_ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for row, prompt in enumerate(prompts):
        columns = slice(width - len(prompt), width) if side is PaddingSide.LEFT else slice(0, len(prompt))
        input_ids[row, columns] = torch.tensor(list(prompt), dtype=torch.long)
        attention_mask[row, columns] = 1
    return PaddedBatch(input_ids.to(device), attention_mask.to(device), tuple(len(p) for p in prompts))


def positions_from_mask(attention_mask: torch.Tensor) -> torch.Tensor:
    """Position of each column = number of real tokens before it; pads clamped to 0.

    Counting only real tokens is what keeps a left-padded row's positions identical to the
    same prompt run alone: its first real token is position 0, however many pads precede it.
    """
    return (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
