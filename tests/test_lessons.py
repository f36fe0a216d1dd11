"""What each lesson's figures show, checked on the bundled model through the tabs' own handlers."""

from __future__ import annotations

import re

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
    assert "nothing is left to chance" in histogram.layout.title.text and "Total variation" not in histogram.layout.title.text


def test_padding_table_gives_one_verdict_for_float_rounding_and_explains_an_exact_zero(hub):
    """Whether a row comes out bit-identical depends on the kernels and the threads (1 here, 1.1e-5
    with 2), so an exact 0 is explained under the table, not given a verdict of its own."""
    from ui.tab_padding import make_padding_handler

    grids, table, _, summary = make_padding_handler(hub)("bundled", "ROMEO:\nJULIET:\nWherefore art thou", 5, "right-masked", 1, "en")
    rows = [row for rows in summary.values() for row in rows]
    exact = sum(row["max_abs_dlogit"] == 0 for row in rows)
    rounding = sum(row["same_logits"] and row["max_abs_dlogit"] > 0 for row in rows)
    assert rounding > 0, "batched float sums differ in the last bits somewhere"
    assert table.count("same up to float rounding") == exact + rounding
    assert (table.count("bit-for-bit equal on this machine") == 1) is (exact > 0)
    # right-masked's first pass stops at the shortest prompt: the grids mark that column in all three panels.
    assert [shape.x0 for shape in grids.layout.shapes] == [2.5] * 3  # "ROMEO:" is 3 tokens, the shortest
    left_grids, *_ = make_padding_handler(hub)("bundled", "ROMEO:\nJULIET:\nWherefore art thou", 5, "left", 1, "en")
    assert not left_grids.layout.shapes, "every other strategy's first pass takes the whole grid"


@pytest.mark.parametrize("delta,explained", [(0.0, True), (1.1e-5, False)])
def test_an_exact_zero_gets_the_rounding_verdict_and_a_note(delta, explained):
    from model import get_tokenizer
    from model.comparison import RowComparison, StrategyComparison
    from model.generation import PaddingStrategy
    from ui.tab_padding import _results_table

    row = RowComparison(PaddingStrategy.RIGHT_MASKED, 0, [11, 13], None, delta)
    comparison = StrategyComparison([[11, 13]], {PaddingStrategy.RIGHT_MASKED: [row]}, {}, {}, {})
    for language, rounding, note in (("en", "same up to float rounding", "bit-for-bit equal on this machine"),
                                     ("zh", "相同（仅差浮点舍入）", "逐位完全相同")):
        table = _results_table(comparison, get_tokenizer("gpt2"), language)
        assert rounding in table and (note in table) is explained


def test_padding_row_slider_offers_only_rows_the_batch_has():
    from ui.tab_padding import row_range

    assert row_range("a\n\nb\nc")["maximum"] == 2
    assert row_range("only one")["maximum"] == 1 and row_range("")["maximum"] == 1
    assert row_range("\n".join("abcdefgh"))["maximum"] == 3  # MAX_BATCH rows at most


def test_decoding_summary_names_the_likeliest_output_whichever_strategy_found_it(hub):
    from ui.tab_inside import DECODING_EXAMPLE, make_decoding_handler

    _, bars, facts = make_decoding_handler(hub)("bundled", DECODING_EXAMPLE, 16, 2, 40, 0.9, 0.1, 1.3, 0, "en")
    best = max(facts, key=lambda f: f["sequence_logprob"])
    summary = bars.layout.meta["summary"]
    assert f"({best['sequence_logprob']:.1f} nats)" in summary
    greedy = facts[0]
    assert greedy["loop"] is not None or f"{greedy['repeated_trigram_share']:.0%} of its 3-grams" in summary


def test_decoding_default_shows_a_loop_that_the_penalty_breaks(hub):
    from ui.tab_inside import DECODING_EXAMPLE, MAX_DECODING_TOKENS, make_decoding_handler

    _, bars, facts = make_decoding_handler(hub)("bundled", DECODING_EXAMPLE, MAX_DECODING_TOKENS, 3, 40, 0.9, 0.1, 1.3, 0, "en")
    greedy_off, greedy_on = facts[0], facts[len(facts) // 2]
    assert greedy_off["strategy"] == greedy_on["strategy"] == "greedy"
    assert greedy_off["loop"] is not None and greedy_on["loop"] is None
    assert "loop" in bars.layout.meta["summary"]


def test_chinese_page_names_strategies_genres_and_the_stopping_reason_in_chinese(hub):
    from ui.tab_inside import make_about_handler
    from ui.tab_padding import make_padding_handler

    text, _, channels, _ = make_about_handler(hub)("zh")
    assert "喜剧" in text and "时间预算用完" in text and "time_budget" not in text
    assert {trace.name for trace in channels.data} == {"喜剧", "悲剧", "历史剧", "诗"}
    _, table, _, _ = make_padding_handler(hub)("bundled", "ROMEO:\nJULIET:", 3, "left", 1, "zh")
    assert "right-masked：右填充" in table


def test_a_language_redraw_changes_the_words_but_neither_recomputes_nor_remeasures(hub, monkeypatch):
    """Decoding is deterministic, so its outputs are reused; teacher forcing's times are measured
    again only when the button asks, never because the page switched language."""
    import dataclasses
    import json

    import ui.tab_inside as tab_inside

    calls = {"decode": 0, "measure": 0}
    compare, measure = tab_inside.compare_strategies, tab_inside._score_and_generate

    def counted(name, function):
        def call(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)
        return call

    monkeypatch.setattr(tab_inside, "compare_strategies", counted("decode", compare))
    monkeypatch.setattr(tab_inside, "_score_and_generate", counted("measure", measure))
    decoding = tab_inside.make_decoding_handler(hub)
    english_table, _, english_facts = decoding("bundled", ROMEO, 8, 2, 40, 0.9, 0.1, 1.3, 0, "en")
    chinese_table, _, chinese_facts = decoding("bundled", ROMEO, 8, 2, 40, 0.9, 0.1, 1.3, 0, "zh")
    assert calls["decode"] == 1 and chinese_facts == english_facts and chinese_table != english_table
    decoding("bundled", ROMEO, 9, 2, 40, 0.9, 0.1, 1.3, 0, "zh")
    assert calls["decode"] == 2, "other inputs are computed"

    teacher = tab_inside.make_teacher_forcing_handler(hub)
    *_, english_summary, _, first, shown = teacher("bundled", ROMEO, 3, "en")
    *_, chinese_summary, _, redrawn, kept = teacher("bundled", ROMEO, 3, "zh", shown)
    assert calls["measure"] == 1 and redrawn == first and kept is shown and chinese_summary != english_summary
    teacher("bundled", ROMEO, 3, "en")  # another visitor presses the button
    assert calls["measure"] == 2, "the button measures afresh"
    *_, again, _ = teacher("bundled", ROMEO, 3, "zh", shown)
    assert calls["measure"] == 2 and again == first, "another session's run does not replace the one on screen"
    *_, changed, _ = teacher("bundled", ROMEO, 4, "zh", shown)
    assert calls["measure"] == 3 and changed["generation"]["prompt_tokens"] == 4, "changed inputs are measured"
    assert len(json.dumps(dataclasses.asdict(shown))) < 10_000, "a session keeps plain numbers, not tensors"


def test_padding_table_writes_large_differences_plainly_and_rounding_sized_ones_in_e_notation():
    from ui.common import logit_difference

    assert [logit_difference(v) for v in (0.0, 1.34e-05, 0.0312, 4.07, 11.4)] == ["0", "1.34e-05", "0.0312", "4.07", "11.4"]


def test_top_p_off_says_so_instead_of_counting_tokens_needed(hub):
    from ui.tab_sampling import make_handlers

    distribution, _, _ = make_handlers(hub)
    _, curve, *_ = distribution("bundled", ROMEO, 1.0, 1.0, 40, 1.0, 0.0, "en")
    def summary(figure) -> str:
        return re.sub(r"</?sup>", "", figure.layout.title.text.replace("<br>", " "))

    assert "Top-p is off (p = 1): it keeps what the earlier stages kept (40 tokens)." in summary(curve)
    _, curve, *_ = distribution("bundled", ROMEO, 1.0, 0.0, 40, 1.0, 0.0, "en")  # T = 0: one token left
    assert "kept (1 token)." in summary(curve)


def test_a_low_temperature_removes_no_token_from_the_kept_counts(hub):
    """At T = 0.05 float32 rounds most probabilities to 0.0, but temperature is not a filter."""
    from ui.tab_sampling import make_handlers

    distribution, _, _ = make_handlers(hub)
    *_, table, facts = distribution("bundled", ROMEO, 1.0, 0.05, 0, 1.0, 0.0, "en")
    vocabulary = hub.get("bundled").model.config.vocab_size
    assert {name: stage["kept"] for name, stage in facts.items()} == dict.fromkeys(facts, vocabulary)
    assert f"<td>{vocabulary:,}</td>" in table


@pytest.mark.parametrize("temperature, top_p", [(1.0, 0.99), (3.0, 0.95), (0.7, 0.9)])
def test_the_nucleus_curve_reaches_p_at_its_marker_and_the_summary_counts_ties(hub, temperature, top_p):
    """The curve is drawn over every token top-p chooses from (not the first 2,000), so it crosses
    the p line by the marked rank; tied tokens kept beyond the fewest needed are said aloud."""
    import torch

    from model.sampling import SamplingConfig, process_logits
    from ui.tab_sampling import _next_token_logits, make_handlers

    distribution, _, _ = make_handlers(hub)
    _, curve, _, _, facts = distribution("bundled", ROMEO, 1.0, temperature, 0, top_p, 0.0, "en")
    kept = facts["top_p"]["kept"]
    ranks, cumulative = list(curve.data[0].x), list(curve.data[0].y)
    assert ranks[-1] == facts["top_k"]["kept"] and cumulative[-1] == pytest.approx(1.0, abs=1e-4)
    assert kept in ranks and cumulative[ranks.index(kept)] >= top_p - 1e-6
    # The fewest tokens reaching p, counted independently of the pipeline.
    logits, _ = _next_token_logits(hub.get("bundled"), ROMEO, "en")
    probs = process_logits(logits[None], SamplingConfig(temperature=temperature)).probs[0].double()
    fewest = int((probs.sort(descending=True).values.cumsum(0) < top_p).sum()) + 1
    summary = curve.layout.title.text
    assert f"{fewest:,}." in summary
    assert ("tied" in summary) == (kept > fewest), summary
    marked = [note.text for note in curve.layout.annotations if not note.text.startswith("p =")]
    assert marked == ([f"{kept:,}", f"{fewest:,}"] if kept > fewest else [f"{kept:,}"]), "both edges drawn when ties part them"
    if kept > fewest:
        assert f"keeps {kept:,}" in summary and bool(torch.isclose(probs.sort(descending=True).values[fewest - 1],
                                                                    probs.sort(descending=True).values[kept - 1]))


def test_teacher_forcing_says_when_the_text_is_shorter_than_the_slider_asks(hub):
    from ui.tab_inside import make_teacher_forcing_handler

    teacher = make_teacher_forcing_handler(hub)
    tokens = len(hub.get("bundled").tokenizer.encode("To be, or not"))
    *_, summary, _, facts, _ = teacher("bundled", "To be, or not", 20, "en")
    assert f"asks for 20 prompt tokens, but the text has only {tokens}" in summary
    assert facts["generation"]["prompt_tokens"] == tokens - 1 and facts["generation"]["tokens_generated"] == 1
    *_, summary, _, _, _ = teacher("bundled", "To be, or not", 2, "zh")
    assert "滑块" not in summary, "nothing to say when the slider fits"


def test_attention_says_which_positions_the_model_generated(hub):
    from ui.tab_attention import make_attention_handler

    attention = make_attention_handler(hub)
    import re

    heatmap, *_ = attention("bundled", "The cat sat on the mat", "", "left", "causal", 2, 3, 0, 0, 0, 4, "en")
    summary = " ".join(re.sub("<[^>]+>", " ", heatmap.layout.title.text).split())  # the summary wraps over lines
    prompt_tokens = len(hub.get("bundled").tokenizer.encode("The cat sat on the mat"))
    assert f"Generated by the model (greedy) after the prompt: positions {prompt_tokens}–{prompt_tokens + 3} (4 tokens)." in summary
    # Right padding, row B: the generated tokens sit before the pads, not at the end of the row.
    heatmap, *_ = attention("bundled", "The cat sat on the mat", "Hi", "right", "causal", 2, 3, 0, 0, 1, 4, "en")
    summary = " ".join(re.sub("<[^>]+>", " ", heatmap.layout.title.text).split())
    short = len(hub.get("bundled").tokenizer.encode("Hi"))
    assert f"positions {short}–{short + 3} (4 tokens)" in summary
    assert len(heatmap.data[0].z) == len(hub.get("bundled").tokenizer.encode("The cat sat on the mat")) + 4
    heatmap, *_ = attention("bundled", "The cat sat on the mat", "", "left", "causal", 2, 3, 0, 0, 0, 0, "en")
    assert "Generated" not in heatmap.layout.title.text


def test_greedy_generation_hover_shows_the_models_own_probability_beside_the_one(hub):
    """At T = 0 every drawn token has p = 1 after the knobs; the hover also says what the model gave it."""
    import math
    import re

    from model import generate
    from ui.tab_sampling import make_handlers

    _, _, generate_text = make_handlers(hub)
    *_, page = generate_text("bundled", ROMEO, 1.0, 0.0, 0, 1.0, 0.0, 5, 0, "en")
    tips = re.findall(r'title="p=([^ ]+) \(model alone: ([^)]+)\)', page)
    loaded = hub.get("bundled")
    expected = generate(loaded.model, [loaded.tokenizer.encode(ROMEO)], 5).logprobs[0]
    assert [p for p, _ in tips] == ["1.000"] * 5
    assert [float(q) for _, q in tips] == pytest.approx([math.exp(v) for v in expected], abs=6e-4)


@pytest.mark.parametrize("text", ["To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer",
                                  "ROMEO:\nBut soft, what light through yonder window breaks?"])
def test_teacher_forcing_calls_a_match_after_the_first_difference_a_coincidence(hub, text):
    from model import generate
    from ui.tab_inside import make_teacher_forcing_handler

    loaded = hub.get("bundled")
    ids = loaded.tokenizer.encode(text)
    generated = generate(loaded.model, [ids[:4]], len(ids) - 4).new_tokens[0]
    matches = [g == truth for g, truth in zip(generated, ids[4:])]
    later_match = False in matches and any(matches[matches.index(False):])
    *_, summary, _, _, _ = make_teacher_forcing_handler(hub)("bundled", text, 4, "en")
    assert ("A later match is a coincidence" in summary) == later_match
    assert (f"differs from the text at new token {matches.index(False) + 1};" in summary) == (False in matches)


def test_the_prediction_panel_goes_where_the_chosen_mask_changes_the_logits_most(hub):
    """At the last position a bidirectional mask has nothing more to show: the panel moves to where it does."""
    import torch

    from ui.tab_attention import make_attention_handler

    attention = make_attention_handler(hub)
    text = "The cat sat on the mat"
    *_, predictions, facts = attention("bundled", text, "", "left", "bidirectional", 2, 3, 0, 0, 0, 0, "en")
    model, ids = hub.get("bundled").model, hub.get("bundled").tokenizer.encode(text)
    with torch.no_grad():
        causal = model(torch.tensor([ids])).logits[0]
        both_ways = model(torch.tensor([ids]), mask_kind="bidirectional").logits[0]
    change = (both_ways - causal).abs().amax(-1)
    assert facts["prediction_position"] == int(change.argmax()) < len(ids) - 1
    assert len(predictions.data) == 2 and f"position {facts['prediction_position']})" in predictions.layout.title.text
    *_, predictions, facts = attention("bundled", text, "", "left", "causal", 2, 3, 0, 0, 0, 0, "en")
    assert len(predictions.data) == 1 and facts["prediction_position"] == len(ids) - 1, "the causal mask: one run, one panel"


def test_the_prediction_panel_names_the_texts_next_token_and_whether_the_mask_lets_it_be_read(hub):
    """The "model sees the future" lesson: the top token need not change, but p(the real next token) does."""
    import torch

    from ui.tab_attention import make_attention_handler

    attention = make_attention_handler(hub)
    text = "ROMEO:\nBut soft, what light"
    model, ids = hub.get("bundled").model, hub.get("bundled").tokenizer.encode(text)
    for mask, window, reads_ahead in (("bidirectional", 2, True), ("sliding_window", 2, False)):
        *_, predictions, facts = attention("bundled", text, "", "left", mask, 0, window, 0, 0, 0, 0, "en")
        at = facts["prediction_position"]
        with torch.no_grad():
            p_causal = torch.softmax(model(torch.tensor([ids])).logits[0, at], -1)[ids[at + 1]]
            p_chosen = torch.softmax(model(torch.tensor([ids]), mask_kind=mask, window=window).logits[0, at], -1)[ids[at + 1]]
        summary = re.sub(r"</?sup>|<br>", " ", predictions.layout.title.text)
        assert f"p = {p_causal:.3f} under the causal mask, {p_chosen:.3f} under this one" in re.sub(r"\s+", " ", summary)
        assert ("lets the position read that very token" in re.sub(r"\s+", " ", summary)) is reads_ahead


@pytest.mark.parametrize("temperature, top_p, seed", [(1.0, 0.9, 0), (3.0, 0.95, 0), (0.7, 1.0, 3)])
def test_the_draws_summary_judges_our_distance_by_where_it_falls_in_the_exact_samplers_range(hub, temperature, top_p, seed):
    import re

    from ui.i18n import t
    from ui.tab_sampling import make_handlers

    _, draw, _ = make_handlers(hub)
    histogram, facts = draw("bundled", ROMEO, 1.0, temperature, 0, top_p, 0.0, 5000, seed, "en")
    summary = " ".join(re.sub("<[^>]+>", " ", histogram.layout.title.text).split())
    tv, band = facts["total_variation"], facts["exact_sampler_total_variation"]
    verdict = "below" if tv < band["p05"] else "above" if tv > band["p95"] else "inside"
    assert summary.endswith(t(f"smp.fig.draws.{verdict}", "en")), (tv, band, summary)
