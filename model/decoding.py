"""Decoding strategies side by side: greedy, beam search, top-k, top-p, min-p, each with the
repetition penalty off and on, and a measure of the repetition loop (复读机) greedy falls into.

Greedy and the samplers go through ``generate`` and the one sampling pipeline
(``model.sampling``); beam search is the one strategy that pipeline cannot express (it keeps
several sequences), so it lives here, scoring with the same ``process_logits``.

Every strategy produces exactly ``max_new_tokens`` tokens (no end-of-text stop), so their
sequence log-probabilities, summed under the raw model at temperature 1, compare directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Sequence

import torch

from .generation import check_room, generate
from .gpt import GPT
from .sampling import SamplingConfig, process_logits, seen_tokens

MAX_BEAM_WIDTH = 5
MIN_LOOP_TOKENS = 6


class Strategy(str, Enum):
    GREEDY = "greedy"
    BEAM = "beam"
    TOP_K = "top_k"
    TOP_P = "top_p"
    MIN_P = "min_p"


@dataclass(frozen=True)
class BeamSearchResult:
    """The best beam: its tokens, their log-probabilities under the raw model, and the search
    score (the sum the beams were ranked by, which includes the repetition penalty when on)."""

    tokens: list[int]
    logprobs: list[float]
    score: float


@torch.no_grad()
def beam_search(
    model: GPT,
    prompt_ids: Sequence[int],
    max_new_tokens: int,
    beam_width: int = 3,
    repetition_penalty: float = 1.0,
) -> BeamSearchResult:
    """Keep the ``beam_width`` most likely partial continuations at every step; return the best.

    The beams are the rows of one batch: after each step ``KVCache.reorder`` copies every
    survivor's cache from its parent row. Width 1 is greedy decoding.
    """
    if isinstance(beam_width, bool) or not isinstance(beam_width, int) or not 1 <= beam_width <= MAX_BEAM_WIDTH:
        raise ValueError(f"beam width must be a whole number from 1 to {MAX_BEAM_WIDTH}, got {beam_width!r}")
    prompt_ids = list(prompt_ids)
    check_room(len(prompt_ids), max_new_tokens, model.config.n_positions)
    total = len(prompt_ids) + max_new_tokens
    penalty_only = SamplingConfig(repetition_penalty=repetition_penalty)
    device = model.device
    cache = model.new_cache(1, total)  # one row until the first step fans it out into the beams
    seen = seen_tokens([prompt_ids], model.config.vocab_size, device)
    scores = torch.zeros(1, dtype=torch.float64, device=device)  # sums in float64: near-ties stay ordered
    sequences = torch.empty(1, 0, dtype=torch.long, device=device)
    raw_logprobs = torch.empty(1, 0, device=device)
    fresh = torch.tensor([prompt_ids], device=device)
    for _ in range(max_new_tokens):
        logits = model(fresh, past_key_values=cache, last_logits_only=True).logits[:, -1].float()
        step_scores = process_logits(logits, penalty_only, seen).probs.double().log()  # [beams, V]
        vocab = step_scores.shape[-1]
        scores, flat = (scores[:, None] + step_scores).flatten().topk(beam_width)
        parents, tokens = flat // vocab, flat % vocab
        model_logprobs = torch.log_softmax(logits, dim=-1)[parents, tokens]
        sequences = torch.cat([sequences[parents], tokens[:, None]], dim=1)
        raw_logprobs = torch.cat([raw_logprobs[parents], model_logprobs[:, None]], dim=1)
        seen = seen[parents]
        seen[torch.arange(beam_width, device=device), tokens] = True
        cache.reorder(parents)
        fresh = tokens[:, None]
    return BeamSearchResult(sequences[0].tolist(), raw_logprobs[0].tolist(), float(scores[0]))


@dataclass(frozen=True)
class Loop:
    """A repeating tail: from token ``start`` on, the output repeats every ``period`` tokens."""

    start: int
    period: int


def find_loop(tokens: Sequence[int]) -> Loop | None:
    """The earliest-starting periodic tail that runs at least two full cycles and
    ``MIN_LOOP_TOKENS`` tokens: the signature of a decoder stuck repeating itself."""
    tokens = list(tokens)
    length = len(tokens)
    best: Loop | None = None
    for period in range(1, length // 2 + 1):
        start = length - period
        while start > 0 and tokens[start - 1] == tokens[start - 1 + period]:
            start -= 1
        covered = length - start
        if covered >= max(2 * period, MIN_LOOP_TOKENS) and (best is None or start < best.start):
            best = Loop(start, period)
    return best


def repeated_ngram_share(tokens: Sequence[int], n: int = 3) -> float:
    """Share of the output's ``n``-grams that already occurred earlier in it (0 = no repeats)."""
    grams = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    seen: set[tuple[int, ...]] = set()
    repeats = 0
    for gram in grams:
        repeats += gram in seen
        seen.add(gram)
    return repeats / len(grams) if grams else 0.0


@dataclass(frozen=True)
class DecodingSettings:
    """One knob per strategy; the repetition penalty is applied to every strategy's "on" run."""

    beam_width: int = 3
    top_k: int = 40
    top_p: float = 0.9
    min_p: float = 0.1
    repetition_penalty: float = 1.3
    seed: int = 0

    def sampling(self, strategy: Strategy, repetition_penalty: float) -> SamplingConfig:
        """The pipeline's settings for a strategy that ``generate`` runs (all but beam search)."""
        knobs = {
            Strategy.GREEDY: {"temperature": 0.0},
            Strategy.TOP_K: {"top_k": self.top_k},
            Strategy.TOP_P: {"top_p": self.top_p},
            Strategy.MIN_P: {"min_p": self.min_p},
        }[strategy]
        return SamplingConfig(repetition_penalty=repetition_penalty, **knobs)


@dataclass(frozen=True)
class DecodedOutput:
    """One strategy's continuation, its per-token log-probabilities under the raw model, and
    how much it repeats itself."""

    strategy: Strategy
    repetition_penalty: float
    tokens: list[int]
    logprobs: list[float]

    @property
    def sequence_logprob(self) -> float:
        return sum(self.logprobs)

    @property
    def loop(self) -> Loop | None:
        return find_loop(self.tokens)

    @property
    def repeated_trigram_share(self) -> float:
        return repeated_ngram_share(self.tokens, 3)


def compare_strategies(
    model: GPT, prompt_ids: Sequence[int], max_new_tokens: int, settings: DecodingSettings = DecodingSettings()
) -> list[DecodedOutput]:
    """Every strategy on one prompt, first without the repetition penalty, then with it."""
    prompt_ids = list(prompt_ids)
    outputs = []
    for penalty in (1.0, settings.repetition_penalty):
        for strategy in Strategy:
            if strategy is Strategy.BEAM:
                best = beam_search(model, prompt_ids, max_new_tokens, settings.beam_width, penalty)
                tokens, logprobs = best.tokens, best.logprobs
            else:
                result = generate(model, [prompt_ids], max_new_tokens, settings.sampling(strategy, penalty),
                                  seed=settings.seed)
                tokens, logprobs = result.new_tokens[0], result.logprobs[0]
            outputs.append(DecodedOutput(strategy, penalty, tokens, logprobs))
    return outputs
