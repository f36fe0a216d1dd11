"""Looking inside one forward pass: logit lens, layer change, token-to-token attention,
teacher forcing, and the KV cache step by step.

``ModelProbe`` carries the three debugging helpers that the "modeling file" checklist suggests
(``show_topk_token``, ``show_cos_distance``, ``show_attention``) as methods over one forward
pass that kept every hidden state and attention map. ``layer`` always names a block,
``0 … n_layer - 1``; the residual stream *entering* block 0 (the embeddings) is only used by the
full ``logit_lens`` grid, as its first row.

Everything here reads ``GPT.forward``'s outputs; nothing re-implements a part of the model.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import torch
import torch.nn.functional as F

from .generation import check_room
from .gpt import GPT, GPTOutput


@dataclass(frozen=True)
class TopTokens:
    """The ``k`` most likely next tokens, most likely first: ``ids`` and ``probs`` are ``[..., k]``."""

    ids: torch.Tensor
    probs: torch.Tensor


def top_tokens(logits: torch.Tensor, k: int) -> TopTokens:
    """The ``k`` most likely next tokens under ``softmax(logits)`` along the last axis."""
    top = torch.softmax(logits.float(), dim=-1).topk(k, dim=-1)
    return TopTokens(top.indices, top.values)


@dataclass(frozen=True)
class LogitLens:
    """Every layer's guess at every position, read through the final norm and the unembedding.

    Row 0 is the embeddings, row ``i`` the output of block ``i - 1``, so the last row is the
    model's own prediction. ``top_ids``/``top_probs`` are ``[n_layer + 1, T, k]``;
    ``final_prediction`` ``[T]`` is the model's own top token at each position and
    ``final_prediction_probs`` ``[n_layer + 1, T]`` the probability each row gives it.
    """

    top_ids: torch.Tensor
    top_probs: torch.Tensor
    final_prediction: torch.Tensor
    final_prediction_probs: torch.Tensor


# In a probe's top tokens: the ids that share one embedding row (one score), listed once.
UNUSED_TOKENS = -1


class ModelProbe:
    """One forward pass over ``token_ids`` with every hidden state and attention map kept.

    A model whose unused ids share one embedding row (the bundled one: 31 320 ids it never saw in
    training) gives them one identical score, so whenever that score leads, the "top guess" would be
    whichever of them a sort put first. The probe's top tokens list that tie once, as
    ``UNUSED_TOKENS`` with the probability each of them has (``len(unused_ids)`` times it together).
    """

    @torch.no_grad()
    def __init__(self, model: GPT, token_ids: Sequence[int]) -> None:
        token_ids = list(token_ids)
        if not token_ids:
            raise ValueError("the probe needs at least one token")
        out = model(
            torch.tensor([token_ids], device=model.device), output_attentions=True, output_hidden_states=True
        )
        self.model = model
        self.token_ids = token_ids
        self.logits = out.logits[0]  # [T, V]
        self.hidden_states = [h[0] for h in out.hidden_states]  # n_layer + 1 of [T, C]
        self.attentions = [a[0] for a in out.attentions]  # n_layer of [H, T, T]
        self.unused_ids = model.unused_ids()  # one tie, listed once

    @property
    def n_layer(self) -> int:
        return len(self.attentions)

    def _layer(self, layer: int) -> int:
        if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < self.n_layer:
            raise ValueError(f"layer must be a whole number from 0 to {self.n_layer - 1}, got {layer!r}")
        return layer

    def position(self, position: int) -> int:
        """A position in the sequence; negative counts from the end, as in Python."""
        length = len(self.token_ids)
        if isinstance(position, bool) or not isinstance(position, int) or not -length <= position < length:
            raise ValueError(f"position must be from {-length} to {length - 1} for {length} tokens, got {position!r}")
        return position % length

    @torch.no_grad()
    def _stream_probs(self, stream: int) -> torch.Tensor:
        """Next-token probabilities ``[T, V]`` read from residual stream ``stream`` (0 = embeddings)."""
        return torch.softmax(self.model.unembed(self.hidden_states[stream]).float(), dim=-1)

    @staticmethod
    def _check_k(k: int, vocab: int) -> int:
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= vocab:
            raise ValueError(f"k must be a whole number from 1 to {vocab}, got {k!r}")
        return k

    def _stream_top(self, stream: int, k: int) -> tuple[torch.Tensor, TopTokens]:
        """Stream ``stream``'s next-token probabilities ``[T, V]`` and their top ``k``, the tie of the
        unused ids listed once (``UNUSED_TOKENS``)."""
        probs = self._stream_probs(stream)
        k = self._check_k(k, probs.shape[-1])
        if self.unused_ids is None:
            top = probs.topk(k, dim=-1)
            return probs, TopTokens(top.indices, top.values)
        # The tie's first id stands for all of them (with its own probability, each one's); the rest leave the race.
        representative = self.unused_ids[0]
        candidates = probs.clone()
        candidates[:, self.unused_ids[1:]] = -1.0
        top = candidates.topk(min(k, probs.shape[-1] - len(self.unused_ids) + 1), dim=-1)
        ids = torch.where(top.indices == representative, torch.full_like(top.indices, UNUSED_TOKENS), top.indices)
        return probs, TopTokens(ids, top.values)

    def show_topk_token(self, layer: int, k: int = 10) -> TopTokens:
        """The top ``k`` next tokens if block ``layer``'s output were the last hidden state (the
        unused ids' tie listed once, ``UNUSED_TOKENS``)."""
        return self._stream_top(self._layer(layer) + 1, k)[1]

    def logit_lens(self, k: int = 5) -> LogitLens:
        """``show_topk_token`` for the embeddings and every block at once, plus how sure each row
        is of the model's final answer (one unembedding per row, never all rows' vocab at once)."""
        final_prediction = self.logits.argmax(dim=-1)
        top_ids, top_probs, final_probs = [], [], []
        for stream in range(self.n_layer + 1):
            probs, top = self._stream_top(stream, k)
            top_ids.append(top.ids)
            top_probs.append(top.probs)
            final_probs.append(probs.gather(-1, final_prediction[:, None])[:, 0])
        return LogitLens(torch.stack(top_ids), torch.stack(top_probs), final_prediction, torch.stack(final_probs))

    def show_cos_distance(self, layer: int) -> torch.Tensor:
        """``1 - cos`` between block ``layer``'s input and output at every position ``[T]``:
        near 0 where the block barely turned the residual stream, larger where it rewrote it."""
        layer = self._layer(layer)
        block_in, block_out = self.hidden_states[layer].float(), self.hidden_states[layer + 1].float()
        return 1.0 - F.cosine_similarity(block_in, block_out, dim=-1)

    def cos_distances(self) -> torch.Tensor:
        """``show_cos_distance`` for every block: ``[n_layer, T]``."""
        return torch.stack([self.show_cos_distance(layer) for layer in range(self.n_layer)])

    def show_attention(self, layer: int, token_a: int, token_b: int) -> torch.Tensor:
        """How much position ``token_a`` (the query) reads position ``token_b`` in every head ``[H]``.

        Under the causal mask a token cannot read a later one, so ``token_b > token_a`` gives zeros.
        """
        return self.attentions[self._layer(layer)][:, self.position(token_a), self.position(token_b)].float()

    def attention_between(self, token_a: int, token_b: int) -> torch.Tensor:
        """``show_attention`` for every layer: ``[n_layer, H]``."""
        return torch.stack([self.show_attention(layer, token_a, token_b) for layer in range(self.n_layer)])


@dataclass(frozen=True)
class TeacherForcing:
    """The training objective on one text: target ``t`` is token ``t + 1``, all from ONE pass.

    ``losses`` ``[T - 1]`` is each position's cross-entropy in nats (its surprisal);
    ``predictions`` the model's top guess there, given the true prefix.
    """

    targets: list[int]
    losses: torch.Tensor
    predictions: list[int]
    seconds: float
    forward_passes: int = 1


def synchronize(device: torch.device) -> None:
    """Wait for queued GPU work so a wall-clock measurement covers it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _best_times(
    calls: Sequence[Callable[[], GPTOutput]], device: torch.device, repeats: int = 1,
    before: Callable[[], None] | None = None,
) -> list[tuple[float, GPTOutput]]:
    """Each call's fastest time over ``repeats`` rounds, with its result. The calls take turns within
    a round, so a burst of load from whatever else the machine runs hits them alike."""
    if repeats < 1:
        raise ValueError("time every call at least once")
    best, results = [math.inf] * len(calls), [None] * len(calls)
    for _ in range(repeats):
        if before is not None:
            before()
        for i, call in enumerate(calls):
            synchronize(device)
            start = time.perf_counter()
            results[i] = call()
            synchronize(device)
            best[i] = min(best[i], time.perf_counter() - start)
    return list(zip(best, results))


@torch.no_grad()
def teacher_forcing(model: GPT, token_ids: Sequence[int], repeats: int = 1) -> TeacherForcing:
    """Every position's next-token loss from one forward pass, as training computes it
    (``seconds`` is the fastest of ``repeats`` identical passes)."""
    token_ids = list(token_ids)
    if len(token_ids) < 2:
        raise ValueError("teacher forcing needs at least two tokens: the first one is only context")
    if len(token_ids) > model.config.n_positions:
        raise ValueError(f"{len(token_ids)} tokens exceed this model's context of {model.config.n_positions}")
    ids = torch.tensor([token_ids], device=model.device)
    [(seconds, out)] = _best_times([lambda: model(ids)], model.device, repeats)
    logits = out.logits[0, :-1].float()
    targets = ids[0, 1:]
    losses = F.cross_entropy(logits, targets, reduction="none")
    return TeacherForcing(targets.tolist(), losses.cpu(), logits.argmax(-1).tolist(), seconds)


@dataclass(frozen=True)
class CacheStep:
    """One decoding step run twice, with the KV cache and without it.

    ``query_shape`` is ``[B, H, new columns, head_dim]`` (the whole prompt on step 0, then one
    column); ``cache_shape`` the keys (values have the same shape) each layer holds after the step,
    ``[B, H, S, head_dim]``, out of ``cache_capacity`` preallocated columns: ``cache_bytes`` are
    filled (keys and values, all layers), ``cache_bytes_allocated`` held from the start. ``attention``
    ``[n_layer, H, S]`` is what the newest position reads in the cache. Without the cache every
    step recomputes all ``S`` columns.
    """

    index: int
    token: int
    token_without_cache: int
    query_shape: tuple[int, ...]
    cache_shape: tuple[int, ...]
    cache_capacity: int
    cache_bytes: int
    cache_bytes_allocated: int
    attention: torch.Tensor
    seconds_with_cache: float
    seconds_without_cache: float
    max_abs_logit_difference: float

    @property
    def columns_with_cache(self) -> int:
        return self.query_shape[2]

    @property
    def columns_without_cache(self) -> int:
        return self.cache_shape[2]


@torch.no_grad()
def kv_cache_steps(model: GPT, prompt_ids: Sequence[int], new_tokens: int, repeats: int = 1) -> Iterator[CacheStep]:
    """Greedy decoding, one ``CacheStep`` per new token, timing each step with and without the cache.

    Both runs take the same explicit-attention path (``output_attentions=True``), so the cache is
    the only difference between the two timings; each is the best of ``repeats`` interleaved runs (a
    cached step is repeated by rewinding the cache, which rewrites the same columns). The cached
    run's token is fed to both runs next.
    """
    prompt_ids = list(prompt_ids)
    check_room(len(prompt_ids), new_tokens, model.config.n_positions)
    total = len(prompt_ids) + new_tokens
    device = model.device
    sequence = torch.tensor([prompt_ids], device=device)
    cache = model.new_cache(1, total)
    fresh = sequence
    for index in range(new_tokens):
        filled = cache.length

        def rewind() -> None:
            cache.length = filled

        (seconds_with, cached), (seconds_without, full) = _best_times(
            [lambda: model(fresh, past_key_values=cache, output_attentions=True, last_logits_only=True),
             lambda: model(sequence, output_attentions=True, last_logits_only=True)],
            device, repeats, before=rewind,
        )
        cached_logits, full_logits = cached.logits[0, -1].float(), full.logits[0, -1].float()
        token = int(cached_logits.argmax())
        keys = cache.keys[0][:, :, : cache.length]
        yield CacheStep(
            index=index,
            token=token,
            token_without_cache=int(full_logits.argmax()),
            query_shape=(1, model.config.n_head, fresh.shape[1], model.config.head_dim),
            cache_shape=tuple(keys.shape),
            cache_capacity=cache.max_length,
            cache_bytes=2 * len(cache.keys) * keys.numel() * keys.element_size(),
            cache_bytes_allocated=2 * len(cache.keys) * cache.keys[0].numel() * cache.keys[0].element_size(),
            attention=torch.stack([a[0, :, -1] for a in cached.attentions]).float().cpu(),
            seconds_with_cache=seconds_with,
            seconds_without_cache=seconds_without,
            max_abs_logit_difference=float((cached_logits - full_logits).abs().max()),
        )
        fresh = torch.tensor([[token]], device=device)
        sequence = torch.cat([sequence, fresh], dim=1)
