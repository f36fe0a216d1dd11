"""The one sampling pipeline: repetition penalty → temperature → top-k → top-p → min-p → renormalise.

Generation, the Sampling lab and the decoding comparisons all call ``process_logits`` and
``sample``; each stage's distribution can be kept so the UI shows exactly what was sampled from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

STAGES = ("model", "repetition_penalty", "temperature", "top_k", "top_p", "min_p")
MAX_TEMPERATURE = 10.0
MAX_REPETITION_PENALTY = 10.0


@dataclass(frozen=True)
class SamplingConfig:
    """Knobs of the pipeline; each default leaves its stage switched off.

    ``temperature=0`` means greedy (the argmax); ``top_k=0``, ``top_p=1``, ``min_p=0`` and
    ``repetition_penalty=1`` are "off". Out-of-range values raise ``ValueError`` with a message
    meant for a person.
    """

    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    min_p: float = 0.0
    repetition_penalty: float = 1.0

    def __post_init__(self) -> None:
        _check_range("temperature", self.temperature, 0.0, MAX_TEMPERATURE)
        _check_range("top-p", self.top_p, 0.0, 1.0)
        _check_range("min-p", self.min_p, 0.0, 1.0)
        _check_range("repetition penalty", self.repetition_penalty, 1e-3, MAX_REPETITION_PENALTY)
        if isinstance(self.top_k, bool) or not isinstance(self.top_k, int) or self.top_k < 0:
            raise ValueError(f"top-k must be a whole number ≥ 0 (0 = off), got {self.top_k!r}")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}, got {value:g}")


@dataclass
class Distribution:
    """The pipeline's result for a batch: final ``probs`` ``[B, V]`` and, on request, every stage's
    probabilities (``stages``) and how many tokens each stage keeps (``kept``, ``[B]``).

    A token is kept while its logit is finite, i.e. no filter has removed it. That is not the
    same as ``p > 0``: at a low temperature softmax rounds many kept tokens to 0.0 in float32.
    ``argmax`` ``[B]`` is set for greedy decoding: the distribution is then one-hot on it, and
    ``sample`` returns it without drawing.
    """

    probs: torch.Tensor
    stages: dict[str, torch.Tensor] | None = None
    kept: dict[str, torch.Tensor] | None = None
    argmax: torch.Tensor | None = None


def seen_tokens(token_lists: list[list[int]], vocab_size: int, device=None) -> torch.Tensor:
    """Boolean ``[B, V]``: which tokens each row has already seen (for the repetition penalty)."""
    seen = torch.zeros(len(token_lists), vocab_size, dtype=torch.bool, device=device)
    for row, tokens in enumerate(token_lists):
        if tokens:
            seen[row, torch.tensor(tokens, device=device)] = True
    return seen


def _in_nucleus(sorted_probs: torch.Tensor, top_p: float) -> torch.Tensor:
    """The nucleus over probabilities sorted high to low: every token whose preceding mass is
    still short of ``top_p``, and the top token always."""
    mass_before = sorted_probs.double().cumsum(-1) - sorted_probs.double()
    in_nucleus = mass_before < top_p
    in_nucleus[..., 0] = True
    return in_nucleus


def fewest_tokens_reaching(probs: torch.Tensor, top_p: float) -> int:
    """How many of the likeliest tokens of ``probs`` ``[V]`` it takes for their mass to reach ``top_p``.

    Top-p keeps this many and also every token tied with the last of them, which can be many
    more: tokens that share one embedding row have exactly equal logits.
    """
    return int(_in_nucleus(probs.sort(descending=True).values, top_p).sum())


def process_logits(
    logits: torch.Tensor,
    config: SamplingConfig,
    seen: torch.Tensor | None = None,
    keep_stages: bool = False,
) -> Distribution:
    """Raw next-token logits ``[B, V]`` → the distribution to sample from.

    Every filter keeps ties with its last kept token, so the result never depends on sort order.
    """
    logits = logits.float()
    stages: dict[str, torch.Tensor] = {}
    kept: dict[str, torch.Tensor] = {}

    def record(name: str, current: torch.Tensor) -> None:
        if keep_stages:
            stages[name] = torch.softmax(current, dim=-1)
            kept[name] = torch.isfinite(current).sum(dim=-1)

    record("model", logits)

    if config.repetition_penalty != 1.0 and seen is not None:
        # CTRL's penalty: a seen token's logit moves towards "less likely" whatever its sign.
        penalised = torch.where(logits > 0, logits / config.repetition_penalty, logits * config.repetition_penalty)
        logits = torch.where(seen, penalised, logits)
    record("repetition_penalty", logits)

    if config.greedy:
        # Temperature 0: all mass on the argmax, and no later filter can change a one-hot.
        best = logits.argmax(dim=-1)
        one_hot = torch.zeros_like(logits).scatter_(-1, best[:, None], 1.0)
        for stage in STAGES[STAGES.index("temperature"):] if keep_stages else ():
            stages[stage], kept[stage] = one_hot, torch.ones_like(best)
        return Distribution(one_hot, stages if keep_stages else None, kept if keep_stages else None, argmax=best)
    # Shifted so the top logit is 0 first (softmax does not change): a tiny temperature then sends
    # the others to -inf instead of overflowing every logit to inf, which would give NaNs. The top
    # stays 0 even where the temperature is below float32's smallest number and becomes 0 (0 / 0).
    shifted = logits - logits.amax(dim=-1, keepdim=True)
    logits = torch.where(shifted == 0, shifted, shifted / config.temperature)
    record("temperature", logits)

    if 0 < config.top_k < logits.shape[-1]:
        kth_best = torch.topk(logits, config.top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth_best, -math.inf)
    record("top_k", logits)

    if config.top_p < 1.0:
        probs = torch.softmax(logits, dim=-1)
        sorted_probs, _ = torch.sort(probs, dim=-1, descending=True)
        in_nucleus = _in_nucleus(sorted_probs, config.top_p)
        smallest_kept = sorted_probs.masked_fill(~in_nucleus, math.inf).min(dim=-1, keepdim=True).values
        logits = logits.masked_fill(probs < smallest_kept, -math.inf)
    record("top_p", logits)

    if config.min_p > 0.0:
        probs = torch.softmax(logits, dim=-1)
        threshold = config.min_p * probs.max(dim=-1, keepdim=True).values
        logits = logits.masked_fill(probs < threshold, -math.inf)
    record("min_p", logits)

    return Distribution(torch.softmax(logits, dim=-1), stages if keep_stages else None, kept if keep_stages else None)


def _invert_cdf(probs: torch.Tensor, uniforms: torch.Tensor) -> torch.Tensor:
    """Row ``b``'s uniforms ``[B, N]`` → token ids ``[B, N]`` through that row's CDF.

    In float64: a float32 CDF over 50,257 tokens stops growing once it passes ~0.5 (its steps are
    6e-8), so tens of thousands of tokens with p > 0 would get no interval and could never be drawn.
    """
    cdf = probs.double().cumsum(dim=-1)
    targets = uniforms.to(cdf.device, torch.float64) * cdf[:, -1:]
    # right=True skips zero-probability tokens: their CDF equals their predecessor's, so any index
    # found below the end has a positive probability.
    choice = torch.searchsorted(cdf, targets, right=True)
    if bool((choice == probs.shape[-1]).any()):
        # Rounding pushed a target onto the CDF's end: fall back to the last possible token.
        last_possible = probs.shape[-1] - 1 - (probs > 0).flip(-1).int().argmax(dim=-1, keepdim=True)
        choice = torch.minimum(choice, last_possible)
    return choice


def sample(
    distribution: Distribution | torch.Tensor,
    generators: list[torch.Generator],
    active: list[bool] | None = None,
) -> torch.Tensor:
    """Draw one token per row by inverting its CDF with a uniform from that row's own generator.

    A row draws only when ``active`` (its generator is untouched otherwise), so a prompt's
    samples depend on its seed alone, never on the rows batched with it. Inactive rows get 0.
    A greedy ``Distribution`` gives its argmax and draws nothing.
    """
    probs = distribution.probs if isinstance(distribution, Distribution) else distribution
    active = active if active is not None else [True] * probs.shape[0]
    inactive = ~torch.tensor(active, device=probs.device)
    if isinstance(distribution, Distribution) and distribution.argmax is not None:
        return distribution.argmax.masked_fill(inactive, 0)
    uniforms = torch.tensor(
        [[float(torch.rand((), generator=g, dtype=torch.float64)) if on else 0.0] for g, on in zip(generators, active)],
        dtype=torch.float64,
    )
    return _invert_cdf(probs, uniforms)[:, 0].masked_fill(inactive, 0)


def sample_many(probs: torch.Tensor, count: int, generator: torch.Generator) -> torch.Tensor:
    """``count`` independent draws from one distribution ``[V]`` (the Sampling lab's histogram)."""
    return _invert_cdf(probs[None], torch.rand(1, count, generator=generator, dtype=torch.float64))[0]


def total_variation(counts: torch.Tensor, probs: torch.Tensor) -> float:
    """Half the L1 distance between drawn frequencies and the distribution drawn from."""
    return 0.5 * float((counts - probs).abs().sum())


def sampling_noise(probs: torch.Tensor, count: int, runs: int = 50, seed: int = 0) -> np.ndarray:
    """Total variation distances that an exact sampler would show with ``count`` draws, ``runs`` times.

    Finite draws never match the distribution exactly; these distances (NumPy's multinomial, so
    not our sampler) are the yardstick a measured distance is judged against. Only tokens with
    probability > 0 can be drawn, so the rest are left out.
    """
    support = probs[probs > 0].double().cpu().numpy()
    support = support / support.sum()
    counts = np.random.default_rng(seed).multinomial(count, support, size=runs) / count
    return 0.5 * np.abs(counts - support).sum(axis=1)


def entropy(probs: torch.Tensor) -> torch.Tensor:
    """Shannon entropy in nats along the last axis (0·log 0 = 0)."""
    logs = torch.where(probs > 0, probs.log(), torch.zeros_like(probs))
    # Rounding can leave a one-hot distribution at -0.0 or -1e-8 nats, shown as "-0.000": never below 0.
    return (-(probs * logs).sum(dim=-1)).clamp_min(0.0).abs()
