"""The sampling pipeline against distributions computed directly, and draws against their source."""

import math

import numpy as np
import pytest
import torch

from model import SamplingConfig, process_logits, sample
from model.sampling import STAGES, entropy, seen_tokens


def probs_of(logits):
    return torch.softmax(torch.tensor(logits, dtype=torch.float32), -1)[None]


def kept(distribution):
    return set(torch.nonzero(distribution.probs[0] > 0).flatten().tolist())


def test_top_p_keeps_exactly_the_nucleus():
    p = np.array([0.4, 0.25, 0.15, 0.1, 0.06, 0.04])
    logits = np.log(p)
    for top_p in [0.05, 0.4, 0.41, 0.65, 0.8, 0.9, 0.95, 0.999]:
        mass_before = np.concatenate([[0.0], np.cumsum(p)[:-1]])
        expected = {i for i in range(len(p)) if mass_before[i] < top_p}
        assert kept(process_logits(torch.tensor(logits)[None], SamplingConfig(top_p=top_p))) == expected, top_p


def test_top_p_keeps_ties_and_always_the_top_token():
    logits = torch.log(torch.tensor([[0.3, 0.2, 0.2, 0.2, 0.1]]))
    # p=0.4 is reached inside the tie at 0.2: all three tied tokens stay
    assert kept(process_logits(logits, SamplingConfig(top_p=0.4))) == {0, 1, 2, 3}
    assert kept(process_logits(logits, SamplingConfig(top_p=0.0))) == {0}


def test_top_k_keeps_ties():
    logits = torch.tensor([[5.0, 4.0, 4.0, 1.0]])
    assert kept(process_logits(logits, SamplingConfig(top_k=2))) == {0, 1, 2}
    assert kept(process_logits(logits, SamplingConfig(top_k=1))) == {0}
    assert kept(process_logits(logits, SamplingConfig(top_k=10))) == {0, 1, 2, 3}


def test_min_p_threshold_is_exact():
    p = torch.tensor([[0.5, 0.25, 0.125, 0.125 - 1e-4, 1e-4]])
    result = process_logits(p.log(), SamplingConfig(min_p=0.25))
    assert kept(result) == {0, 1, 2}  # 0.125 == 0.25 * 0.5 exactly: kept; just below: dropped


def test_temperature_to_zero_is_argmax():
    logits = torch.randn(4, 1000, generator=torch.Generator().manual_seed(0))
    greedy = process_logits(logits, SamplingConfig(temperature=0.0)).probs
    assert torch.equal(greedy.argmax(-1), logits.argmax(-1)) and torch.equal(greedy.max(-1).values, torch.ones(4))
    cold = process_logits(logits, SamplingConfig(temperature=1e-3)).probs
    assert torch.equal(cold.argmax(-1), logits.argmax(-1)) and (cold.max(-1).values > 0.999).all()
    hot = process_logits(logits, SamplingConfig(temperature=5.0)).probs
    assert (entropy(hot) > entropy(torch.softmax(logits, -1))).all()
    assert f"{float(entropy(greedy[0])):.3f}" == "0.000"  # one-hot: zero, never "-0.000"
    assert torch.allclose(entropy(torch.full((2, 8), 1 / 8)), torch.tensor(math.log(8)))


def test_temperature_scales_logits():
    logits = torch.tensor([[2.0, 1.0, 0.0]])
    result = process_logits(logits, SamplingConfig(temperature=0.5))
    assert torch.allclose(result.probs, torch.softmax(logits / 0.5, -1))


def test_repetition_penalty_is_ctrl_style():
    logits = torch.tensor([[2.0, -2.0, 1.0]])
    seen = seen_tokens([[0, 1]], 3)
    result = process_logits(logits, SamplingConfig(repetition_penalty=2.0), seen, keep_stages=True)
    assert torch.allclose(result.stages["repetition_penalty"], torch.softmax(torch.tensor([[1.0, -4.0, 1.0]]), -1))


def test_stages_are_distributions_in_order():
    logits = torch.randn(2, 500, generator=torch.Generator().manual_seed(1)) * 3
    config = SamplingConfig(temperature=0.7, top_k=40, top_p=0.9, min_p=0.05, repetition_penalty=1.3)
    result = process_logits(logits, config, seen_tokens([[1, 2], [3]], 500), keep_stages=True)
    assert tuple(result.stages) == STAGES
    for probs in result.stages.values():
        assert torch.allclose(probs.sum(-1), torch.ones(2), atol=1e-5)
    assert torch.equal(result.stages["min_p"], result.probs)
    support = [int((p > 0).sum()) for p in (result.stages[s][0] for s in ("temperature", "top_k", "top_p", "min_p"))]
    assert support == sorted(support, reverse=True) and support[1] <= 40


def test_histogram_matches_the_processed_distribution():
    logits = torch.randn(1, 200, generator=torch.Generator().manual_seed(2)) * 2
    distribution = process_logits(logits, SamplingConfig(temperature=0.9, top_p=0.95))
    generator = torch.Generator().manual_seed(123)
    draws = 20_000
    counts = torch.zeros(200)
    for _ in range(draws):
        counts[sample(distribution.probs, [generator])[0]] += 1
    total_variation = 0.5 * (counts / draws - distribution.probs[0]).abs().sum()
    assert total_variation < 0.02
    assert counts[distribution.probs[0] == 0].sum() == 0  # filtered tokens are never drawn


def test_sample_is_seeded_and_per_row():
    probs = torch.softmax(torch.randn(3, 50), -1)
    first = sample(probs, [torch.Generator().manual_seed(s) for s in (1, 2, 3)])
    again = sample(probs, [torch.Generator().manual_seed(s) for s in (1, 2, 3)])
    assert torch.equal(first, again)
    inactive = sample(probs, [torch.Generator().manual_seed(1)] * 3, active=[False, True, False])
    assert inactive[0] == 0 and inactive[2] == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"temperature": -1}, {"temperature": math.nan}, {"temperature": 1e9}, {"top_p": 1.5},
        {"top_p": math.nan}, {"top_k": -3}, {"top_k": 2.5}, {"min_p": -0.1}, {"min_p": 2},
        {"repetition_penalty": 0}, {"temperature": "hot"},
    ],
)
def test_out_of_range_settings_raise_clear_errors(kwargs):
    with pytest.raises(ValueError, match="must"):
        SamplingConfig(**kwargs)


def test_a_target_on_the_cdf_end_falls_back_to_the_last_possible_token():
    from model.sampling import _invert_cdf

    probs = torch.tensor([[0.2, 0.0, 0.8, 0.0, 0.0], [0.5, 0.5, 0.0, 0.0, 0.0]])
    # u = 1 puts the target exactly on the CDF's end, as float rounding can; zero-probability tail ids must not win
    assert _invert_cdf(probs, torch.tensor([[1.0], [1.0]]))[:, 0].tolist() == [2, 1]
    assert _invert_cdf(probs, torch.tensor([[0.0], [0.7]]))[:, 0].tolist() == [0, 1]


@pytest.mark.parametrize("temperature", [1e-300, 1e-46, 1e-45, 1e-30, 1e-6])
def test_a_tiny_temperature_is_argmax_not_nan(temperature):
    """Dividing logits of ~6 by 1e-39 overflows float32 to inf (and inf - inf is NaN), and below
    float32's smallest number (1.4e-45) the temperature itself becomes 0 (0 / 0 is NaN): the
    pipeline must give the argmax's one-hot instead."""
    logits = torch.tensor([[3.0, 5.9, -2.0, 5.8]])
    result = process_logits(logits, SamplingConfig(temperature=temperature), keep_stages=True)
    assert result.probs.tolist() == [[0.0, 1.0, 0.0, 0.0]]
    assert all(not stage.isnan().any() for stage in result.stages.values())
    assert sample(result.probs, [torch.Generator().manual_seed(0)]).tolist() == [1]


def test_at_a_tiny_temperature_tokens_tied_at_the_top_share_the_mass():
    logits = torch.tensor([[5.9, 1.0, 5.9, -2.0]])
    for temperature in (1e-300, 1e-6):
        assert process_logits(logits, SamplingConfig(temperature=temperature)).probs.tolist() == [[0.5, 0.0, 0.5, 0.0]]


def test_kept_counts_what_the_filters_keep_not_what_float32_rounds_to_zero():
    logits = torch.linspace(0, -60, 1000)[None]  # at T = 0.05 most of these underflow to p = 0.0
    result = process_logits(logits, SamplingConfig(temperature=0.05), keep_stages=True)
    assert int((result.stages["temperature"] > 0).sum()) < 1000, "the premise: float32 rounds them to zero"
    assert {stage: int(n) for stage, n in result.kept.items()} == dict.fromkeys(STAGES, 1000), "temperature removes nothing"
    filtered = process_logits(logits, SamplingConfig(top_k=10, top_p=0.5), keep_stages=True)
    assert [int(filtered.kept[s]) for s in STAGES] == [1000, 1000, 1000, 10, int((filtered.stages["top_p"] > 0).sum()), int(filtered.kept["top_p"])]


def test_tokens_late_in_a_vocabulary_sized_cdf_can_still_be_drawn():
    """A float32 CDF stops growing past ~0.5 (its steps are 6e-8): the small tokens after that
    point would get no interval at all. Each must be drawn by a uniform inside its own interval."""
    from model.sampling import _invert_cdf

    probs = torch.softmax(torch.randn(1, 50_257, generator=torch.Generator().manual_seed(3)) * 2.5, -1)
    edges = torch.cat([torch.zeros(1, dtype=torch.float64), probs[0].double().cumsum(0)])
    late = torch.nonzero(edges[:-1] > 0.9).flatten()
    smallest_late = late[probs[0, late].argsort()[:50]]  # the 50 smallest tokens after the CDF passes 0.9
    inside = (edges[smallest_late] + probs[0, smallest_late].double() / 2) / edges[-1]
    assert _invert_cdf(probs, inside[None]).tolist() == [smallest_late.tolist()]


def test_sampling_noise_is_the_distance_an_exact_sampler_shows_by_chance():
    from model.sampling import sampling_noise

    # A fair coin: E|X/n − 1/2| ≈ √(1 / (2πn)) (normal approximation), here 0.00399 for n = 10 000.
    noise = sampling_noise(torch.tensor([0.5, 0.5, 0.0]), 10_000, runs=4000, seed=1)
    assert abs(noise.mean() - math.sqrt(1 / (2 * math.pi * 10_000))) < 2e-4
    # n = 100 exactly: E|X − 50| / 100 = 50·C(100, 50) / 2¹⁰⁰ / 100 = 0.0398; the mean of 4000 runs is within 0.002.
    wider = sampling_noise(torch.tensor([0.5, 0.5]), 100, runs=4000, seed=1)
    assert abs(wider.mean() - 50 * math.comb(100, 50) / 2**100 / 100) < 2e-3
