"""The decode benchmark runs end to end on a tiny model (its figures are measured elsewhere)."""

import pytest
import torch

from bench import decode
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
    assert row["of_bound"] > 0 and row["products_read"] > 0


def test_decode_bench_pairs_each_repeat(monkeypatch):
    # Scripted timings, per repeat: transformers, 3 bandwidth reads, ours, 3 reads, products. The box
    # "slows down" in the second repeat; pairing gives the median of each repeat's own ratio (2),
    # where a ratio of separate medians would give 4/3. One slow read (5) in the first repeat does
    # not move that repeat's bandwidth, the median of its six reads.
    seconds = iter([2.0, 1.0, 5.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0,
                    9.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0,
                    4.0, 1.0, 1.0, 1.0, 4.0, 1.0, 1.0, 1.0, 1.0])
    data = torch.ones(2**10)

    def scripted(fn, device):
        assert device == data.device, "every timing is synchronised on the device the models run on"
        return next(seconds)

    monkeypatch.setattr(decode, "_seconds", scripted)
    row = run("tiny", random_gpt(), batch=1, new_tokens=4, repeats=3, data=data)
    assert row["ratio"] == 2.0
    assert row["ours_tok_s"] == 4 / 3.0 and row["hf_tok_s"] == 4 / 4.0
    # Steps per second × bytes per step ÷ that repeat's bandwidth (bytes ÷ read time): 4, 4 and 1 × bytes/data.
    assert row["of_bound"] == pytest.approx(4.0 * row["weight_bytes"] / data.nbytes)
    assert row["bandwidth"] == data.nbytes / 1.0
