"""What each lesson's figures show, checked on the bundled model through the tabs' own handlers."""

from __future__ import annotations

import pytest
import torch

from ui.hub import ModelHub

ROMEO = "ROMEO:\nBut soft, what light"


@pytest.fixture(scope="module")
def hub() -> ModelHub:
    return ModelHub()


def model_probabilities(hub: ModelHub, prompt: str) -> torch.Tensor:
    loaded = hub.get("bundled")
    ids = torch.tensor([loaded.tokenizer.encode(prompt)])
    with torch.no_grad():
        return torch.softmax(loaded.model(ids).logits[0, -1].float(), -1)


def test_greedy_stage_chart_shows_the_survivor_and_the_tokens_it_beat(hub):
    from ui.tab_sampling import SHOWN, make_handlers

    distribution, draw, _ = make_handlers(hub)
    stages, *_, facts = distribution("bundled", ROMEO, 1.0, 0.0, 0, 1.0, 0.0, "en")
    assert facts["min_p"]["kept"] == 1
    model_panel, final_panel = stages.data[0], stages.data[-1]
    assert sum(p > 0 for p in final_panel.x) == 1
    favourites = model_probabilities(hub, ROMEO).topk(SHOWN).values
    torch.testing.assert_close(torch.tensor(model_panel.x).sort(descending=True).values, favourites, atol=1e-5, rtol=1e-4)

    histogram, draw_facts = draw("bundled", ROMEO, 1.0, 0.0, 0, 1.0, 0.0, 500, 0, "en")
    assert draw_facts["total_variation"] == 0.0
    assert [len(bars.x) for bars in histogram.data] == [1, 1], "one token can be drawn, so one bar"
