"""Inside the model: every helper checked against an independent computation, then every endpoint
of the tab through gradio_client against a launched app."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from model import SamplingConfig, generate
from model.decoding import DecodingSettings, Loop, Strategy, beam_search, compare_strategies, find_loop, repeated_ngram_share
from model.inspect import UNUSED_TOKENS, ModelProbe, kv_cache_steps, teacher_forcing

from .conftest import random_gpt

IDS = [464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13, 383, 3290]


@pytest.fixture(scope="module")
def model():
    return random_gpt()


@pytest.fixture(scope="module")
def probe(model):
    return ModelProbe(model, IDS)


@torch.no_grad()
def forward(model, ids, **kwargs):
    return model(torch.tensor([list(ids)]), **kwargs)


# --- logit lens -------------------------------------------------------------------------------


def test_logit_lens_at_the_last_layer_is_the_models_own_prediction(model, probe):
    probs = torch.softmax(forward(model, IDS).logits[0], dim=-1)
    expected = probs.topk(5, dim=-1)
    top = probe.show_topk_token(model.config.n_layer - 1, k=5)
    assert torch.equal(top.ids, expected.indices)
    assert torch.allclose(top.probs, expected.values, atol=1e-6)
    lens = probe.logit_lens(k=5)
    assert torch.equal(lens.top_ids[-1], expected.indices)
    assert torch.equal(lens.final_prediction, probs.argmax(-1))
    assert torch.allclose(lens.final_prediction_probs[-1], probs.max(-1).values, atol=1e-6)


def test_logit_lens_matches_transformers_hidden_states(probe, hf_reference):
    """HF's hidden_states[i] (i < n_layer) is the stream entering block i; unembed it with HF's own head."""
    with torch.no_grad():
        hidden = hf_reference(torch.tensor([IDS]), output_hidden_states=True).hidden_states
        for layer in range(len(hidden) - 2):
            logits = hf_reference.lm_head(hf_reference.transformer.ln_f(hidden[layer + 1]))[0]
            expected = torch.softmax(logits, dim=-1).topk(3, dim=-1)
            top = probe.show_topk_token(layer, k=3)
            assert torch.equal(top.ids, expected.indices)
            assert torch.allclose(top.probs, expected.values, atol=1e-5)


def test_logit_lens_embedding_row_is_the_unembedded_token_plus_position(model, probe):
    with torch.no_grad():
        stream = model.wte.weight[IDS] + model.wpe.weight[: len(IDS)]
        normed = torch.nn.functional.layer_norm(stream, (stream.shape[-1],), model.ln_f.weight, model.ln_f.bias,
                                                model.config.layer_norm_epsilon)
        expected = torch.softmax(normed @ model.wte.weight.T, dim=-1).topk(4, dim=-1)
    lens = probe.logit_lens(k=4)
    assert torch.equal(lens.top_ids[0], expected.indices)
    assert torch.allclose(lens.top_probs[0], expected.values, atol=1e-5)


def test_only_the_largest_group_of_shared_rows_is_the_unused_tie():
    """A second, smaller group of identical rows is not the unused ids: listing it with them would
    hide its ids from the lens and count them in the tie's total."""
    model = random_gpt()
    with torch.no_grad():
        model.wte.weight[100:] = model.wte.weight[100].clone()  # the unused ids: one row
        model.wte.weight[10:20] = model.wte.weight[10].clone()  # another group, smaller
    assert model.unused_ids().tolist() == list(range(100, model.config.vocab_size))
    probe = ModelProbe(model, [1, 2, 3])
    assert torch.equal(probe.unused_ids, model.unused_ids())
    lens = probe.logit_lens(k=model.config.vocab_size - len(probe.unused_ids) + 1)
    listed = set(lens.top_ids[-1, -1].tolist())
    assert set(range(10, 20)) <= listed and UNUSED_TOKENS in listed and 150 not in listed
    assert random_gpt().unused_ids() is None


def test_the_lens_lists_the_unused_ids_tie_once_and_never_calls_one_of_them_the_guess():
    """The bundled model's 31,320 unused ids share one row, so they tie exactly; an arbitrary one of
    them ("$") used to be shown as layer 1's top guess."""
    from model import get_tokenizer, load_bundled

    model = load_bundled()
    ids = get_tokenizer("gpt2").encode("ROMEO:\nBut soft, what light through yonder window breaks?")
    probe = ModelProbe(model, ids)
    weight = model.wte.weight
    unused = (weight == weight[probe.unused_ids[0]]).all(-1)  # every id whose row is that row, compared in full
    assert len(probe.unused_ids) == int(unused.sum()) == 31_320
    lens = probe.logit_lens(k=5)
    assert not unused[lens.top_ids.clamp(min=0)][lens.top_ids >= 0].any(), "no single unused id is listed"
    assert ((lens.top_ids == UNUSED_TOKENS).sum(-1) <= 1).all(), "the tie is listed at most once per cell"
    ties = 0
    for stream in range(model.config.n_layer + 1):
        probs = probe._stream_probs(stream)
        each_unused, best_real = probs[:, unused].max(-1).values, probs[:, ~unused].max(-1)
        tie_leads = each_unused > best_real.values
        ties += int(tie_leads.sum())
        top = lens.top_ids[stream, :, 0]
        assert torch.equal(top == UNUSED_TOKENS, tie_leads)
        real_ids = (~unused).nonzero()[:, 0]
        assert torch.equal(top[~tie_leads], real_ids[best_real.indices][~tie_leads])
        assert torch.allclose(lens.top_probs[stream, :, 0], torch.maximum(each_unused, best_real.values))
    assert ties >= 10, "the prepared lesson's text shows the tie in early layers"


# --- layer change -----------------------------------------------------------------------------


def test_cos_distances_equal_those_computed_from_the_returned_hidden_states(model, probe):
    hidden = [h[0].numpy().astype(np.float64) for h in forward(model, IDS, output_hidden_states=True).hidden_states]
    for layer in range(model.config.n_layer):
        a, b = hidden[layer], hidden[layer + 1]
        expected = 1 - (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
        assert np.allclose(probe.show_cos_distance(layer).numpy(), expected, atol=1e-5)
    assert probe.cos_distances().shape == (model.config.n_layer, len(IDS))


# --- token-to-token attention -----------------------------------------------------------------


@pytest.mark.parametrize("a, b", [(11, 0), (5, 5), (-1, 3), (7, 2)])
def test_a_to_b_attention_is_the_cell_of_the_full_attention_tensor(model, probe, hf_reference, a, b):
    ours = forward(model, IDS, output_attentions=True).attentions
    with torch.no_grad():
        theirs = hf_reference(torch.tensor([IDS]), output_attentions=True).attentions
    grid = probe.attention_between(a, b)
    for layer in range(model.config.n_layer):
        assert torch.equal(probe.show_attention(layer, a, b), ours[layer][0, :, a, b])
        assert torch.allclose(grid[layer], theirs[layer][0, :, a, b], atol=1e-5)


def test_attention_to_a_later_token_is_zero_and_bad_positions_are_refused(probe):
    assert torch.count_nonzero(probe.attention_between(2, 9)) == 0
    with pytest.raises(ValueError, match="position must be"):
        probe.show_attention(0, len(IDS), 0)
    with pytest.raises(ValueError, match="layer must be"):
        probe.show_attention(99, 1, 0)


# --- decoding ---------------------------------------------------------------------------------


@pytest.mark.parametrize("penalty", [1.0, 1.5])
def test_beam_search_with_width_one_is_greedy(model, penalty):
    greedy = generate(model, [IDS[:5]], 16, SamplingConfig(temperature=0.0, repetition_penalty=penalty))
    beam = beam_search(model, IDS[:5], 16, beam_width=1, repetition_penalty=penalty)
    assert beam.tokens == greedy.new_tokens[0]
    assert np.allclose(beam.logprobs, greedy.logprobs[0], atol=1e-4)


def naive_beam_search(model, prompt, steps, width):
    """Reference: recompute every beam from scratch each step (no cache, no reordering)."""
    beams = [(0.0, [])]
    for _ in range(steps):
        candidates = []
        for score, tokens in beams:
            logprobs = torch.log_softmax(forward(model, prompt + tokens).logits[0, -1].double(), dim=-1)
            top = logprobs.topk(width)
            candidates += [(score + float(v), tokens + [int(i)]) for v, i in zip(top.values, top.indices)]
        beams = sorted(candidates, key=lambda c: -c[0])[:width]
    return beams[0]


@pytest.mark.parametrize("width", [2, 4])
def test_beam_search_equals_a_cache_free_reference(model, width):
    score, tokens = naive_beam_search(model, IDS[:4], 5, width)
    beam = beam_search(model, IDS[:4], 5, beam_width=width)
    assert beam.tokens == tokens
    assert abs(beam.score - score) < 1e-3


def test_each_strategys_log_probability_is_its_text_scored_in_one_pass(model):
    prompt = IDS[:4]
    outputs = compare_strategies(model, prompt, 10, DecodingSettings(beam_width=3, repetition_penalty=1.5, seed=2))
    assert [(o.strategy, o.repetition_penalty) for o in outputs] == [(s, p) for p in (1.0, 1.5) for s in Strategy]
    greedy = generate(model, [prompt], 10, SamplingConfig(temperature=0.0)).new_tokens[0]
    assert outputs[0].tokens == greedy
    for output in outputs:
        assert len(output.tokens) == 10
        logprobs = torch.log_softmax(forward(model, prompt + output.tokens).logits[0].double(), dim=-1)
        expected = sum(float(logprobs[len(prompt) - 1 + i, token]) for i, token in enumerate(output.tokens))
        assert abs(output.sequence_logprob - expected) < 1e-3, output.strategy


def test_the_repetition_loop_is_found_where_the_text_starts_repeating():
    assert find_loop([1, 2, 3, 4, 5, 6, 7, 5, 6, 7, 5, 6, 7]) == Loop(start=4, period=3)
    assert find_loop([9] * 7) == Loop(start=0, period=1)
    assert find_loop([1, 2, 3, 3]) is None  # one repeated token is not a loop
    assert find_loop(list(range(20))) is None
    assert repeated_ngram_share([1, 2, 3, 1, 2, 3, 1, 2, 3], 3) == pytest.approx(4 / 7)
    assert repeated_ngram_share([1, 2], 3) == 0.0


# --- KV cache and teacher forcing -------------------------------------------------------------


def test_cache_and_no_cache_steps_give_identical_tokens_and_grow_the_cache(model):
    prompt = IDS[:6]
    steps = list(kv_cache_steps(model, prompt, 10, repeats=2))  # repeats rewind the cache: tokens must not change
    tokens = [s.token for s in steps]
    assert tokens == [s.token_without_cache for s in steps]
    assert tokens == generate(model, [prompt], 10).new_tokens[0]
    heads, head_dim = model.config.n_head, model.config.head_dim
    for i, step in enumerate(steps):
        assert step.query_shape == (1, heads, len(prompt) if i == 0 else 1, head_dim)
        assert step.cache_shape == (1, heads, len(prompt) + i, head_dim)
        assert step.cache_bytes == 2 * model.config.n_layer * heads * (len(prompt) + i) * head_dim * 4
        assert step.cache_capacity == len(prompt) + 10  # held from step 1: the memory does not grow
        assert step.cache_bytes_allocated == 2 * model.config.n_layer * heads * step.cache_capacity * head_dim * 4
        assert step.max_abs_logit_difference < 1e-4
        assert step.seconds_with_cache > 0 and step.seconds_without_cache > 0
    # What the newest token reads in the cache is the last row of a full pass's attention.
    full = forward(model, prompt + tokens[:-1], output_attentions=True).attentions
    for layer in range(model.config.n_layer):
        assert torch.allclose(steps[-1].attention[layer], full[layer][0, :, -1], atol=1e-5)


def test_teacher_forcing_losses_are_the_cross_entropy_of_the_logits(model, hf_reference):
    scored = teacher_forcing(model, IDS)
    logits = forward(model, IDS).logits[0].double()
    expected = [-float(torch.log_softmax(logits[i], -1)[IDS[i + 1]]) for i in range(len(IDS) - 1)]
    assert np.allclose(scored.losses.numpy(), expected, atol=1e-4)
    assert scored.targets == IDS[1:] and scored.forward_passes == 1
    assert scored.predictions == logits[:-1].argmax(-1).tolist()
    with torch.no_grad():
        hf_loss = hf_reference(torch.tensor([IDS]), labels=torch.tensor([IDS])).loss
    assert abs(float(scored.losses.mean()) - float(hf_loss)) < 1e-4
    with pytest.raises(ValueError, match="at least two tokens"):
        teacher_forcing(model, IDS[:1])


# --- the training report ----------------------------------------------------------------------


REPORT = {  # the layout model/train.py writes, cut down
    "model": {"parameters": 7_000_000, "checkpoint_dtype": "float16"},
    "facts": {"steps": 200, "training_time_s": 512.5, "bf16_autocast": True},
    "final": {"val_loss": 4.2, "val_per_channel": {"comedy": 4.1, "tragedy": 4.3},
              "val_per_channel_shipped_checkpoint": {"comedy": 4.11, "tragedy": 4.31}},
    "curves": {
        "train": [{"step": 100, "loss": 6.0, "lr": 1e-3}, {"step": 200, "loss": 4.5, "lr": 5e-4}],
        "eval": [{"step": 0, "train_loss": 10.8, "val_loss": 10.8, "val_per_channel": {"comedy": 10.7, "tragedy": 10.9}},
                 {"step": 200, "train_loss": 4.4, "val_loss": 4.2, "val_per_channel": {"comedy": 4.1, "tragedy": 4.3}}],
    },
    "corpus": {"channels": ["comedy", "tragedy"], "held_out_works": {"hamlet": {"title": "Hamlet", "tokens": 9}},
               "val_tokens_per_channel": {"comedy": 100, "tragedy": 120}},
}


def test_report_reader_follows_the_trainers_layout(tmp_path):
    from ui.tab_inside import channel_curves, final_channel_losses, loss_curves, read_training_report, report_facts

    path = tmp_path / "training_report.json"
    path.write_text(json.dumps(REPORT))
    report = read_training_report(path)
    assert loss_curves(report) == {"running": ([100, 200], [6.0, 4.5]), "train": ([0, 200], [10.8, 4.4]),
                                   "val": ([0, 200], [10.8, 4.2])}
    assert channel_curves(report) == {"comedy": ([0, 200], [10.7, 4.1]), "tragedy": ([0, 200], [10.9, 4.3])}
    assert final_channel_losses(report) == {"comedy": 4.11, "tragedy": 4.31}  # the shipped checkpoint's
    facts = dict(report_facts(report, "en"))
    assert facts["parameters"] == "7,000,000" and facts["held-out works (validation)"] == "Hamlet"
    assert facts["bf16 autocast"] == "✓" and "optimizer steps" in facts


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", json.dumps({"curves": {"eval": [{"step": "x"}, 3]},
                                                                        "final": [], "model": None})])
def test_report_reader_survives_a_missing_or_strange_report(tmp_path, content):
    from ui.tab_inside import channel_curves, final_channel_losses, loss_curves, read_training_report, report_facts

    assert read_training_report(tmp_path / "missing.json") is None
    path = tmp_path / "training_report.json"
    path.write_text(content)
    report = read_training_report(path)
    if report is not None:
        assert loss_curves(report) == {} and channel_curves(report) == {} and final_channel_losses(report) == {}
        assert report_facts(report, "zh") == []


# --- the endpoints through gradio_client ------------------------------------------------------


@pytest.fixture(scope="module")
def client(app_url):
    gradio_client = pytest.importorskip("gradio_client")
    import app

    return gradio_client.Client(app_url, verbose=False), app.hub.get("bundled")


def test_look_inside_endpoint(client):
    client, loaded = client
    text = "ROMEO:\nBut soft, what light"
    note, *figures, facts = client.predict("bundled", text, 3, -1, 0, "en", api_name="/look_inside")
    assert note == "" and facts["tokens_sharing_one_embedding"] == 0
    ids = loaded.tokenizer.encode(text)
    logits = forward(loaded.model, ids).logits[0]
    assert facts["final_prediction_per_position"] == [p.text for p in loaded.tokenizer.pieces(logits.argmax(-1).tolist())]
    assert 0 <= facts["lens_last_row_vs_plain_forward_max_abs_logit_diff"] < 1e-4  # two attention paths, one model
    attentions = forward(loaded.model, ids, output_attentions=True).attentions
    expected = [[float(v) for v in a[0, :, len(ids) - 1, 0]] for a in attentions]
    assert np.allclose(facts["attention_a_to_b"], expected, atol=1e-4)
    assert all(json.loads(figure["plot"])["layout"]["title"]["text"] for figure in figures)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_lens_figure_names_the_unused_tie_and_says_what_it_holds(client, language):
    from ui.i18n import t

    client, _ = client
    text = "ROMEO:\nBut soft, what light through yonder window breaks?"
    _, lens, *_ = client.predict("bundled", text, 5, -1, 0, language, api_name="/look_inside")
    heatmap = json.loads(lens["plot"])
    label = t("ins.lens.unused", language)
    cells = [cell for row in heatmap["data"][0]["text"] for cell in row]
    assert 10 <= cells.count(label) < len(cells) / 2
    assert "31,320" in heatmap["layout"]["title"]["text"]
    tip = next(tip for row in heatmap["data"][0]["customdata"] for tip in row if tip.startswith(f"“{label}”"))
    assert "31,320" in tip and ("together" if language == "en" else "合计") in tip


def test_look_inside_warns_about_tokens_the_model_never_saw(client):
    client, loaded = client
    text = "ROMEO 你好"
    ids = loaded.tokenizer.encode(text)
    unused = set(loaded.model.unused_ids().tolist())
    unseen = [i in unused for i in ids]
    assert unseen[0] is False and sum(unseen) >= 2  # the Chinese byte pieces never occur in Shakespeare
    note, *_, facts = client.predict("bundled", text, 3, -1, 0, "zh", api_name="/look_inside")
    assert facts["tokens_sharing_one_embedding"] == sum(unseen)
    assert f"{len(ids)} 个词元中有 {sum(unseen)} 个" in note and "同一个嵌入向量" in note
    assert "&lt;E4 BD&gt;" in note and "<E4" not in note  # byte labels escaped, or Markdown eats them as tags


def test_the_kv_stepper_says_when_it_cut_a_long_prompt():
    from ui.hub import ModelHub
    from ui.tab_inside import make_cache_handlers

    run, step, _ = make_cache_handlers(ModelHub())
    record, *_ = run("bundled", "1 " * 300, 2, "en")  # 301 tokens; 2 new must fit in 256 positions
    assert record["prompt_tokens"] == 254 and record["prompt_tokens_given"] == 301
    html, *_ = step(record, 1, "en")
    assert "254 of 301: only the last 254 were kept" in html and "context of 256" in html
    html, *_ = step(record, 1, "zh")
    assert "301 个中的 254 个" in html
    short, *_ = run("bundled", "JULIET:", 2, "en")
    html, *_ = step(short, 1, "en")
    assert "were kept" not in html and f"<td><code>{short['prompt_tokens']}</code></td>" in html


def test_the_kv_stepper_before_any_run_changes_nothing():
    """A click on the disabled step box still releases the slider: no error, no drawing."""
    import gradio as gr

    from ui.hub import ModelHub
    from ui.tab_inside import make_cache_handlers

    _, step, next_step = make_cache_handlers(ModelHub())
    skipped = gr.skip()
    assert all(part == skipped for part in step(None, 1, "en")) and next_step(None, 1, "en") == skipped


def test_kv_cache_endpoints_share_one_run(client):
    client, loaded = client
    update = client.predict("bundled", "JULIET:\nO Romeo", 6, "zh", api_name="/kv_cache_run")
    assert update["maximum"] == 6 and update["interactive"], "the step slider wakes up"  # (the button is not an API output)
    html, _, _, facts = client.predict(2, "zh", api_name="/kv_cache_step")
    assert facts["identical_tokens"] and facts["steps"] == 6 and "缓存" in html
    assert facts["new_tokens"] == generate(loaded.model, [loaded.tokenizer.encode("JULIET:\nO Romeo")], 6).new_tokens[0]
    assert client.predict(6, "en", api_name="/kv_cache_next") == 1  # wraps after the last step
    first, *_ = client.predict(1, "en", api_name="/kv_cache_step")
    last, *_ = client.predict(6, "en", api_name="/kv_cache_step")
    assert "1 / 6" in first and "the same work with or without the cache" in first, "step 1 is the prompt's own pass"
    assert "6 / 6 (the last" in last and "starts over" in last and "the same work" not in last
    assert client.predict(2, "en", api_name="/kv_cache_next") == 3


def test_decoding_and_teacher_forcing_endpoints(client):
    client, loaded = client
    prompt = "KING HENRY:\nOnce more"
    table, _, facts = client.predict("bundled", prompt, 12, 1, 40, 0.9, 0.1, 1.3, 0, "en", api_name="/decoding_strategies")
    assert len(facts) == 10 and "<table" in table
    greedy, beam_one = facts[0], facts[1]
    assert greedy["strategy"] == "greedy" and beam_one["strategy"] == "beam"
    assert greedy["text"] == beam_one["text"]  # width 1 is greedy
    expected = generate(loaded.model, [loaded.tokenizer.encode(prompt)], 12).new_tokens[0]
    assert greedy["text"] == loaded.tokenizer.decode(expected)

    text = "To be, or not to be, that is the question"
    *_, facts = client.predict("bundled", text, 3, "en", api_name="/teacher_forcing")
    ids = loaded.tokenizer.encode(text)
    logits = forward(loaded.model, ids).logits[0].double()
    expected = [-float(torch.log_softmax(logits[i], -1)[ids[i + 1]]) for i in range(len(ids) - 1)]
    assert np.allclose(facts["teacher_forcing"]["losses"], expected, atol=1e-3)
    assert facts["teacher_forcing"]["forward_passes"] == 1
    assert facts["generation"]["forward_passes"] == facts["generation"]["tokens_generated"] == len(ids) - 3


def test_about_endpoint_reports_the_model_and_its_report_state(client):
    from ui.tab_inside import REPORT_PATH, read_training_report

    client, loaded = client
    text, *_, report = client.predict("zh", api_name="/about_model")
    assert f"{loaded.model.num_parameters():,}" in text
    if read_training_report(REPORT_PATH) is None:
        assert "还没有训练报告" in text and not report
    else:
        assert report == read_training_report(REPORT_PATH)


@pytest.mark.parametrize(
    "call",
    [
        ("bundled", "hi there", 3, 40, 0, "en", "/look_inside"),
        ("bundled", "word " * 200, 3, -1, 0, "en", "/look_inside"),
        ("bundled", "hi there", 0, -1, 0, "en", "/look_inside"),
        ("bundled", "", 4, "en", "/kv_cache_run"),
        ("bundled", "hi", 3, 9, 40, 0.9, 0.1, 1.3, 0, "en", "/decoding_strategies"),
        ("bundled", "hi", 3, "en", "/teacher_forcing"),
        ("bundled", "to be or not", 99, "en", "/teacher_forcing"),  # past the slider (a short text just clamps)
    ],
)
def test_bad_input_is_a_clear_message(client, call):
    from gradio_client.exceptions import AppError

    client, _ = client
    *args, endpoint = call
    with pytest.raises(AppError) as error:
        client.predict(*args, api_name=endpoint)
    message = str(error.value)
    assert "Traceback" not in message and 0 < len(message.strip()) < 300


def test_the_forward_passes_the_page_reports_are_the_ones_the_model_runs(monkeypatch):
    """Teacher forcing: one pass scores every position. Generation: one pass per new token (the
    prompt's pass yields the first). Counted on the model itself, not taken from the code's word."""
    from model import stream_generate
    from ui.hub import ModelHub
    from ui.tab_inside import TIMING_REPEATS, make_teacher_forcing_handler

    hub = ModelHub()
    loaded = hub.get("bundled")
    calls = []
    real = type(loaded.model).forward
    monkeypatch.setattr(type(loaded.model), "forward", lambda self, *a, **k: calls.append(1) or real(self, *a, **k))
    ids = loaded.tokenizer.encode("To be, or not to be, that is the question")
    teacher_forcing(loaded.model, ids)
    assert len(calls) == 1
    calls.clear()
    list(stream_generate(loaded.model, [ids[:3]], len(ids) - 3))
    assert len(calls) == len(ids) - 3
    calls.clear()
    *_, facts, _ = make_teacher_forcing_handler(hub)("bundled", "To be, or not to be, that is the question", 3, "en")
    reported = facts["teacher_forcing"]["forward_passes"] + facts["generation"]["forward_passes"]
    assert len(calls) == TIMING_REPEATS * reported == TIMING_REPEATS * (1 + len(ids) - 3)
