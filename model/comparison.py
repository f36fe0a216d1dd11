"""One batch under every padding strategy, each row compared with its prompt run alone.

These are the Padding lab's facts. They are kept small (token ids, a few numbers per row, the
top of each first-step distribution) so a page can keep many of them and redraw its figures
without running the model again.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Sequence


from .generation import GenerationResult, PaddingStrategy, PromptLayout, generate, generate_each_strategy, shared_batches
from .gpt import GPT
from .inspect import TopTokens, top_tokens

ALONE = "alone"
# Largest |Δlogit| put down to arithmetic: fp32 runs of the same row in batches of different shapes
# differ by about 1e-5 (measured); a row above this computed something else, even with equal tokens.
FLOAT_NOISE = 1e-3


@dataclass(frozen=True)
class RowComparison:
    """One row of one strategy's batch against the same prompt generated alone (batch of one)."""

    strategy: PaddingStrategy
    row: int
    tokens: list[int]
    first_divergence: int | None  # index of the first new token that differs; None if all match
    max_abs_dlogit: float  # largest logit difference over the steps whose histories agree

    @property
    def matches_alone(self) -> bool:
        """The same tokens as the prompt alone (greedy decoding can hide a changed distribution)."""
        return self.first_divergence is None

    @property
    def same_logits(self) -> bool:
        """The same tokens and the same logits, up to ``FLOAT_NOISE``: what running alone computes."""
        return self.matches_alone and self.max_abs_dlogit <= FLOAT_NOISE


@dataclass(frozen=True)
class StrategyComparison:
    alone: list[list[int]]  # each prompt's greedy continuation, generated alone
    rows: dict[PaddingStrategy, list[RowComparison]]
    layouts: dict[PaddingStrategy, PromptLayout]
    first_step: dict[tuple[str, int], TopTokens]  # (strategy value or ALONE, row) → top of step 1
    first_step_dlogit: dict[tuple[str, int], float]  # (strategy value, row) → max |Δ logit| at step 1


def first_divergence(tokens: Sequence[int], reference: Sequence[int]) -> int | None:
    """Index of the first position where the two differ (a shorter list differs where it ends)."""
    different = next((i for i, (a, b) in enumerate(zip(tokens, reference)) if a != b), None)
    if different is None and len(tokens) != len(reference):
        return min(len(tokens), len(reference))
    return different


def compare_strategies(
    model: GPT,
    prompts: Sequence[Sequence[int]],
    max_new_tokens: int,
    pad_id: int,
    strategies: Sequence[PaddingStrategy | str] = tuple(PaddingStrategy),
    top: int = 8,
    workers: int = 1,
) -> StrategyComparison:
    """Greedy generation of the batch under each strategy and of each prompt alone, compared.

    The runs are independent, so ``workers`` > 1 runs them on that many threads: on a CPU whose
    ops each use one thread, a second core otherwise idle takes part of the work (two workers,
    bundled model, 2-core box: 174–182 → 143–146 ms, measured). The gain is small because the
    cores share memory and cache, not because of the GIL: the products, 70 % of a step, release
    it, yet a batch job beside a loop of pure torch products slowed from 44 to 68–74 ms.
    """
    strategies = list(dict.fromkeys(PaddingStrategy(s) for s in strategies))
    # The batched runs first (the longest jobs), so the single-row runs fill in around them.
    jobs = [partial(generate_each_strategy, model, prompts, max_new_tokens, batch, pad_id=pad_id, keep_logits=True)
            for batch in shared_batches(strategies)]
    jobs += [partial(generate, model, [p], max_new_tokens, pad_id=pad_id, keep_logits=True) for p in prompts]
    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            done = [future.result() for future in [pool.submit(job) for job in jobs]]
    else:
        done = [job() for job in jobs]
    alone: list[GenerationResult] = done[-len(prompts):]
    batched = {s: result for part in done[:-len(prompts)] for s, result in part.items()}
    batched = {s: batched[s] for s in strategies}
    rows: dict[PaddingStrategy, list[RowComparison]] = {}
    first_step = {(ALONE, r): top_tokens(result.step_logits[0][0], top) for r, result in enumerate(alone)}
    first_step_dlogit = {}
    for strategy, result in batched.items():
        rows[strategy] = []
        for r, (tokens, logits) in enumerate(zip(result.new_tokens, result.step_logits)):
            reference = alone[r]
            diverge = first_divergence(tokens, reference.new_tokens[0])
            same_history = len(tokens) if diverge is None else diverge + 1
            delta = float((logits[:same_history] - reference.step_logits[0][:same_history]).abs().max())
            rows[strategy].append(RowComparison(strategy, r, tokens, diverge, delta))
            first_step[(strategy.value, r)] = top_tokens(logits[0], top)
            first_step_dlogit[(strategy.value, r)] = float((logits[0] - reference.step_logits[0][0]).abs().max())
    return StrategyComparison(
        alone=[result.new_tokens[0] for result in alone],
        rows=rows,
        layouts={strategy: result.layout for strategy, result in batched.items()},
        first_step=first_step,
        first_step_dlogit=first_step_dlogit,
    )
