"""Batched, streaming generation with the padding strategies the Padding lab compares.

Strategies (``PaddingStrategy``):

- ``left``: pads on the left, masked, positions counted over real tokens only. Each row gets
  exactly the tokens it would get alone.
- ``left-no-position-ids``: the same pads and mask, but positions 0..T-1 count the pads: the
  classic GPT-2 batching bug, every padded row sees shifted absolute positions.
- ``right-naive``: pads on the right, attended like text; the next token is read from the last
  column, which for a short row is a pad.
- ``right-naive-pad-mask``: as above with the pads masked and positions from the mask (what
  ``transformers.generate`` does when handed right padding): still reads a pad's logits.
- ``right-masked``: LLaMA's ``generate``: right-aligned buffer, start at the shortest prompt and,
  wherever ``input_text_mask`` says a prompt token is there, keep it instead of the sample. No
  pad is ever read, so each row again equals its run alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Iterator, Sequence

import torch

from .gpt import GPT
from .padding import PaddingSide, pad_batch, positions_from_mask
from .sampling import Distribution, SamplingConfig, process_logits, sample, seen_tokens

GREEDY = SamplingConfig(temperature=0.0)


class PaddingStrategy(str, Enum):
    LEFT = "left"
    LEFT_NO_POSITION_IDS = "left-no-position-ids"
    RIGHT_NAIVE = "right-naive"
    RIGHT_NAIVE_PAD_MASK = "right-naive-pad-mask"
    RIGHT_MASKED = "right-masked"


@dataclass(frozen=True)
class _Rules:
    side: PaddingSide
    mask_pads: bool
    positions_count_pads: bool


_RULES = {
    PaddingStrategy.LEFT: _Rules(PaddingSide.LEFT, mask_pads=True, positions_count_pads=False),
    PaddingStrategy.LEFT_NO_POSITION_IDS: _Rules(PaddingSide.LEFT, mask_pads=True, positions_count_pads=True),
    PaddingStrategy.RIGHT_NAIVE: _Rules(PaddingSide.RIGHT, mask_pads=False, positions_count_pads=True),
    PaddingStrategy.RIGHT_NAIVE_PAD_MASK: _Rules(PaddingSide.RIGHT, mask_pads=True, positions_count_pads=False),
    PaddingStrategy.RIGHT_MASKED: _Rules(PaddingSide.RIGHT, mask_pads=False, positions_count_pads=True),
}


@dataclass(frozen=True)
class PromptLayout:
    """What the first forward pass is given: the padded grid, its mask and position ids ``[B, T]``.

    For ``right-masked``, ``attention_mask`` is LLaMA's ``input_text_mask`` (which cells hold a
    prompt token) and only the first ``first_pass_columns`` columns go through the first pass.
    """

    strategy: PaddingStrategy
    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    position_ids: torch.Tensor
    first_pass_columns: int
    real_tokens: torch.Tensor  # 1 where the grid holds a prompt token, 0 on padding


def prompt_layout(prompts: Sequence[Sequence[int]], strategy: PaddingStrategy | str, pad_id: int) -> PromptLayout:
    strategy = PaddingStrategy(strategy)
    rules = _RULES[strategy]
    batch = pad_batch(prompts, pad_id, rules.side)
    real = batch.attention_mask
    if strategy is PaddingStrategy.RIGHT_MASKED:
        width = batch.input_ids.shape[1]
        positions = torch.arange(width).expand(len(prompts), -1)
        return PromptLayout(strategy, batch.input_ids, real, positions, min(batch.lengths), real)
    mask = real if rules.mask_pads else torch.ones_like(real)
    positions = (
        torch.arange(real.shape[1]).expand(len(prompts), -1)
        if rules.positions_count_pads
        else positions_from_mask(mask)
    )
    return PromptLayout(strategy, batch.input_ids, mask, positions, batch.input_ids.shape[1], real)


def check_room(prompt_length: int, max_new_tokens: int, context: int) -> None:
    """Refuse a run that cannot fit: an empty prompt, no new token, or more positions than the context."""
    if prompt_length < 1:
        raise ValueError("the prompt needs at least one token")
    if max_new_tokens < 1:
        raise ValueError("generate at least one new token")
    if prompt_length + max_new_tokens > context:
        raise ValueError(
            f"prompt ({prompt_length} tokens) + {max_new_tokens} new tokens exceed the context of {context} tokens; "
            "truncate with fit_to_context first"
        )


def fit_to_context(
    prompts: Sequence[Sequence[int]], max_new_tokens: int, context: int
) -> tuple[list[list[int]], list[bool]]:
    """Keep each prompt's last tokens so prompt + new tokens fit the context (left truncation)."""
    if max_new_tokens < 1:
        raise ValueError("max new tokens must be at least 1")
    if max_new_tokens >= context:
        raise ValueError(f"max new tokens must be below the model's context of {context} tokens")
    room = context - max_new_tokens
    return [list(p)[-room:] for p in prompts], [len(p) > room for p in prompts]


@dataclass
class GenerationStep:
    """One step of a batch: each row's new token (``None`` if the row did not emit one)."""

    tokens: list[int | None]
    logprobs: list[float | None]  # log-probability under the raw model (temperature 1)
    sampled_probs: list[float | None]  # probability under the processed distribution sampled from
    logits: torch.Tensor  # raw logits of the column read this step, [B, V]
    distribution: Distribution  # the processed distribution (with stages when asked for)


@dataclass
class GenerationResult:
    layout: PromptLayout
    new_tokens: list[list[int]]
    logprobs: list[list[float]]
    step_logits: list[torch.Tensor] = field(default_factory=list)  # per row, [n_new, V]
    stopped_by_eos: list[bool] = field(default_factory=list)


def stream_generate(
    model: GPT,
    prompts: Sequence[Sequence[int]],
    max_new_tokens: int,
    sampling: SamplingConfig = GREEDY,
    strategy: PaddingStrategy | str = PaddingStrategy.LEFT,
    seed: int = 0,
    pad_id: int = 50256,
    eos_id: int | None = None,
    use_cache: bool = True,
    keep_stages: bool = False,
) -> Iterator[GenerationStep]:
    """Yield one ``GenerationStep`` per decoding step until every row is done.

    Every row samples from its own ``torch.Generator`` seeded with ``seed``, so a prompt's tokens
    depend only on the prompt, the settings and the seed, not on its batchmates.
    """
    layout = prompt_layout(prompts, strategy, pad_id)
    return _decode(model, [layout], [list(p) for p in prompts], max_new_tokens, sampling, seed, pad_id, eos_id,
                   use_cache, keep_stages)


@torch.no_grad()
def _decode(
    model: GPT,
    layouts: Sequence[PromptLayout],
    prompts: list[list[int]],
    max_new_tokens: int,
    sampling: SamplingConfig,
    seed: int,
    pad_id: int,
    eos_id: int | None,
    use_cache: bool,
    keep_stages: bool,
) -> Iterator[GenerationStep]:
    """The decoding loop over the rows of ``layouts`` stacked into one batch (``prompts``: one per row).

    The layouts share their grid width and either all or none is ``right-masked``; each row keeps
    its own strategy's position rule. Rows never attend to each other, so stacking changes no row.
    """
    right_masked = layouts[0].strategy is PaddingStrategy.RIGHT_MASKED
    device = model.device
    input_ids = torch.cat([layout.input_ids for layout in layouts])
    rows, width = input_ids.shape
    check_room(width, max_new_tokens, model.config.n_positions)
    total = width + max_new_tokens
    count_pads = torch.cat([
        torch.full((len(layout.input_ids),), _RULES[layout.strategy].positions_count_pads) for layout in layouts
    ]).to(device)[:, None]

    tokens = torch.full((rows, total), pad_id, dtype=torch.long, device=device)
    tokens[:, :width] = input_ids.to(device)
    mask = torch.ones((rows, total), dtype=torch.long, device=device)
    mask[:, :width] = torch.cat([layout.attention_mask for layout in layouts]).to(device)
    prompt_cells = torch.zeros((rows, total), dtype=torch.bool, device=device)
    prompt_cells[:, :width] = mask[:, :width].bool()

    generators = [torch.Generator().manual_seed(seed) for _ in range(rows)]
    seen = seen_tokens(prompts, model.config.vocab_size, device)
    cache = model.new_cache(rows, total) if use_cache else None
    emitted = [0] * rows
    done = [False] * rows

    start = layouts[0].first_pass_columns
    previous = 0
    for current in range(start, total):
        if all(done):
            return
        begin = previous if use_cache else 0
        if right_masked:
            positions = torch.arange(begin, current, device=device)[None].expand(rows, -1)
            attention_mask = None  # nothing but real tokens lies before ``current``
        else:
            attention_mask = mask[:, :current]
            counted = torch.arange(current, device=device)[None].expand(rows, -1)
            positions = torch.where(count_pads, counted, positions_from_mask(attention_mask))[:, begin:]
        logits = model(
            tokens[:, begin:current],
            attention_mask=attention_mask,
            position_ids=positions,
            past_key_values=cache,
            last_logits_only=True,
        ).logits[:, -1].float()
        previous = current

        forced = prompt_cells[:, current] if right_masked else torch.zeros(rows, dtype=torch.bool, device=device)
        active = [not done[r] and not bool(forced[r]) for r in range(rows)]
        distribution = process_logits(logits, sampling, seen, keep_stages=keep_stages)
        choice = sample(distribution, generators, active)
        next_tokens = torch.where(forced, tokens[:, current], choice)
        tokens[:, current] = next_tokens
        seen[torch.arange(rows, device=device), next_tokens] = True

        picked = torch.arange(rows, device=device), choice
        model_logprobs = torch.log_softmax(logits, dim=-1)[picked].tolist()  # one fused pass
        sampled_probs = distribution.probs[picked].tolist()
        new: list[int | None] = [None] * rows
        logprobs: list[float | None] = [None] * rows
        sampled: list[float | None] = [None] * rows
        for r, token in enumerate(choice.tolist()):
            if not active[r]:
                continue
            new[r] = token
            logprobs[r] = model_logprobs[r]
            sampled[r] = sampled_probs[r]
            emitted[r] += 1
            done[r] = emitted[r] >= max_new_tokens or token == eos_id
        yield GenerationStep(new, logprobs, sampled, logits, distribution)


def generate(
    model: GPT,
    prompts: Sequence[Sequence[int]],
    max_new_tokens: int,
    sampling: SamplingConfig = GREEDY,
    strategy: PaddingStrategy | str = PaddingStrategy.LEFT,
    seed: int = 0,
    pad_id: int = 50256,
    eos_id: int | None = None,
    use_cache: bool = True,
    keep_logits: bool = False,
) -> GenerationResult:
    """Run the decoding loop (what ``stream_generate`` yields) to the end; collect each row's new tokens (and logits)."""
    layout = prompt_layout(prompts, strategy, pad_id)
    steps = _decode(model, [layout], [list(p) for p in prompts], max_new_tokens, sampling, seed, pad_id, eos_id,
                    use_cache, keep_stages=False)
    return _collect(steps, [layout], eos_id, keep_logits)[0]


def generate_each_strategy(
    model: GPT,
    prompts: Sequence[Sequence[int]],
    max_new_tokens: int,
    strategies: Sequence[PaddingStrategy | str] = tuple(PaddingStrategy),
    sampling: SamplingConfig = GREEDY,
    seed: int = 0,
    pad_id: int = 50256,
    keep_logits: bool = False,
) -> dict[PaddingStrategy, GenerationResult]:
    """The same batch under each strategy, in as few forward passes as the strategies allow.

    Every strategy but ``right-masked`` prefills the whole padded grid and then decodes one column
    per step, so their batches are stacked into one (rows never see each other: each strategy's
    rows are what its own run gives). ``right-masked`` starts at the shortest prompt and runs alone.
    """
    results: dict[PaddingStrategy, GenerationResult] = {}
    for batch in shared_batches(strategies):
        layouts = [prompt_layout(prompts, s, pad_id) for s in batch]
        steps = _decode(model, layouts, [list(p) for p in prompts] * len(layouts), max_new_tokens, sampling, seed,
                        pad_id, None, use_cache=True, keep_stages=False)
        results.update(zip(batch, _collect(steps, layouts, None, keep_logits)))
    return {s: results[s] for s in dict.fromkeys(PaddingStrategy(s) for s in strategies)}


def shared_batches(strategies: Sequence[PaddingStrategy | str]) -> list[list[PaddingStrategy]]:
    """The strategies grouped into the batches ``generate_each_strategy`` runs, each group one batch."""
    unique = list(dict.fromkeys(PaddingStrategy(s) for s in strategies))
    groups = [[s for s in unique if s is not PaddingStrategy.RIGHT_MASKED],
              [s for s in unique if s is PaddingStrategy.RIGHT_MASKED]]
    return [group for group in groups if group]


def _collect(
    steps: Iterator[GenerationStep], layouts: Sequence[PromptLayout], eos_id: int | None, keep_logits: bool
) -> list[GenerationResult]:
    """Gather a stacked run's steps into one ``GenerationResult`` per layout."""
    rows = sum(len(layout.input_ids) for layout in layouts)
    new_tokens: list[list[int]] = [[] for _ in range(rows)]
    logprobs: list[list[float]] = [[] for _ in range(rows)]
    logits: list[list[torch.Tensor]] = [[] for _ in range(rows)]
    for step in steps:
        for r, token in enumerate(step.tokens):
            if token is None:
                continue
            new_tokens[r].append(token)
            logprobs[r].append(step.logprobs[r])
            if keep_logits:
                logits[r].append(step.logits[r].cpu())
    results, first = [], 0
    for layout in layouts:
        part = slice(first, first + len(layout.input_ids))
        first = part.stop
        results.append(GenerationResult(
            layout=layout,
            new_tokens=new_tokens[part],
            logprobs=logprobs[part],
            step_logits=[torch.stack(row) if row else torch.empty(0) for row in logits[part]] if keep_logits else [],
            stopped_by_eos=[eos_id is not None and bool(row) and row[-1] == eos_id for row in new_tokens[part]],
        ))
    return results
