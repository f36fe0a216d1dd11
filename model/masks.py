"""Every attention mask the lab talks about, built in one place.

A mask is a boolean tensor ``[B or 1, 1, T, S]``: ``True`` where query ``t`` may read key ``s``.
Queries are the ``T`` newest columns of a sequence of ``S`` columns (``S - T`` of them already in
the KV cache), so row ``t`` sits at column ``S - T + t``. The structural rule (causal, bidirectional,
prefix-LM, sliding window) is combined with the key-padding rule (never read a pad). A prefix is
counted in real tokens: under left padding it begins at the row's first real column, not at column 0.

Attention itself uses the *additive* form: 0 where allowed, the most negative finite number where
not. A query row with no allowed key at all (a left pad under a causal mask) is defined to attend
to nothing: its probabilities are all exactly 0 and its output is the zero vector, never NaN.
"""

from __future__ import annotations

from enum import Enum

import torch


class MaskKind(str, Enum):
    """The structural part of a mask; padding is layered on top by ``attention_mask``."""

    CAUSAL = "causal"
    BIDIRECTIONAL = "bidirectional"
    PREFIX_LM = "prefix_lm"
    SLIDING_WINDOW = "sliding_window"


def structural_mask(
    kind: MaskKind | str,
    query_length: int,
    key_length: int,
    *,
    prefix_length: int = 0,
    prefix_start: int | torch.Tensor = 0,
    window: int | None = None,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Boolean ``[T, S]`` matrix of the structural rule alone (no padding).

    ``prefix_length`` (prefix-LM) is how many columns from ``prefix_start`` see each other fully;
    a ``[B]`` tensor of starts (one per left-padded row) makes the result ``[B, T, S]``.
    ``window`` (sliding window) is how many keys, the query's own column included, each query sees.
    """
    kind = MaskKind(kind)
    if query_length > key_length:
        raise ValueError(f"query_length {query_length} exceeds key_length {key_length}")
    query_columns = torch.arange(key_length - query_length, key_length, device=device)[:, None]
    key_columns = torch.arange(key_length, device=device)[None, :]
    causal = key_columns <= query_columns
    if kind is MaskKind.CAUSAL:
        return causal
    if kind is MaskKind.BIDIRECTIONAL:
        return torch.ones(query_length, key_length, dtype=torch.bool, device=device)
    if kind is MaskKind.PREFIX_LM:
        if prefix_length < 0:
            raise ValueError("prefix_length must be >= 0")
        start = torch.as_tensor(prefix_start, device=device)[..., None, None]
        end = start + prefix_length
        query_in_prefix = (query_columns >= start) & (query_columns < end)
        key_in_prefix = (key_columns >= start) & (key_columns < end)
        both_in_prefix = query_in_prefix & key_in_prefix
        return causal | both_in_prefix
    if window is None or window < 1:
        raise ValueError("a sliding-window mask needs window >= 1")
    return causal & (key_columns > query_columns - window)


def key_padding_mask(attention_mask: torch.Tensor) -> torch.Tensor:
    """``[B, S]`` 1/0 (or bool) padding mask → boolean ``[B, 1, 1, S]``: which keys are real tokens."""
    return attention_mask.bool()[:, None, None, :]


def build_attention_mask(
    kind: MaskKind | str,
    query_length: int,
    key_length: int,
    attention_mask: torch.Tensor | None = None,
    *,
    prefix_length: int = 0,
    window: int | None = None,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """The mask attention applies: structure AND key padding, as boolean ``[B or 1, 1, T, S]``."""
    prefix_start: int | torch.Tensor = 0
    if attention_mask is not None:
        if attention_mask.shape[-1] != key_length:
            raise ValueError(
                f"attention_mask covers {attention_mask.shape[-1]} columns, expected {key_length}"
            )
        if MaskKind(kind) is MaskKind.PREFIX_LM:
            prefix_start = first_real_column(attention_mask)
    structure = structural_mask(
        kind, query_length, key_length,
        prefix_length=prefix_length, prefix_start=prefix_start, window=window, device=device,
    )
    mask = structure[:, None] if structure.dim() == 3 else structure[None, None]
    if attention_mask is not None:
        mask = mask & key_padding_mask(attention_mask.to(mask.device))
    return mask


def first_real_column(attention_mask: torch.Tensor) -> torch.Tensor:
    """``[B]`` index of each row's first real token (the number of left pads; 0 for right padding)."""
    return attention_mask.long().argmax(-1)


def additive_mask(mask: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """0 where allowed, the dtype's most negative finite value where masked (never ``-inf``)."""
    zero = torch.zeros((), dtype=dtype, device=mask.device)
    blocked = torch.full((), torch.finfo(dtype).min, dtype=dtype, device=mask.device)
    return torch.where(mask, zero, blocked)


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Softmax over keys in float32 with the additive mask; masked cells come out exactly 0.

    A row with no allowed key would be uniform over blocked cells; zeroing blocked cells turns it
    into an all-zero row, which is the defined result for "attends to nothing".
    """
    probs = torch.softmax(scores.float() + additive_mask(mask, torch.float32), dim=-1)
    return probs.masked_fill(~mask, 0.0).to(scores.dtype)
