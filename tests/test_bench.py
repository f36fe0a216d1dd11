"""The decode benchmark runs end to end on a tiny model (its figures are measured elsewhere)."""

import pytest
import torch

from bench.decode import one_step_products, run
from model.gpt import Projection
from tests.conftest import random_gpt


def test_one_step_products_read_every_weight_once():
    model = random_gpt()
    step, read = one_step_products(model)
    projections = [m.weight for m in model.modules() if isinstance(m, Projection)]
    assert read == 4 * (sum(w.numel() for w in projections) + model.wte.weight.numel())
    with torch.no_grad():
        assert len(step()) == len(projections) + 1


def test_decode_bench_row_on_a_tiny_model():
    row = run("tiny", random_gpt(), batch=1, new_tokens=4, repeats=1, data=torch.ones(2**20))
    assert row["ours_tok_s"] > 0 and row["hf_tok_s"] > 0 and row["bandwidth"] > 0
    # One repeat: each median is that repeat's own figure, so the ratios follow from the speeds.
    assert row["ratio"] == pytest.approx(row["ours_tok_s"] / row["hf_tok_s"])
    assert row["of_bound"] == pytest.approx(row["ours_tok_s"] * row["weight_bytes"] / row["bandwidth"])
    assert row["products_read"] > 0
