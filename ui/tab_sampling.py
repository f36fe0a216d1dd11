"""Tab 4: the model's real next-token distribution through the one sampling pipeline, stage by stage."""

from __future__ import annotations

import math
from typing import Callable, Iterator

import gradio as gr
import numpy as np
import torch

from model import SamplingConfig, fit_to_context, process_logits, stream_generate
from model.sampling import STAGES, entropy, fewest_tokens_reaching, sample_many, sampling_noise, seen_tokens, total_variation
from viz.common import quoted
from viz.sampling import cumulative_curve, draws_vs_distribution, generated_html, stage_bars, temperature_sweep

from .common import NumberBox, NumberSlider, MAX_NEW_TOKENS, MAX_PROMPT_CHARACTERS, Translated, UserInputError, redraw_on_language_switch, friendly, hover_words, on_gpu, normalise_language, number, t, text_input
from .deeplinks import TabLink
from .i18n import plural_s
from .hub import ModelHub

SHOWN = 12
MAX_DRAWS = 50_000
NOISE_RUNS = 40  # exact-sampler runs behind the yardstick for the measured distance
SWEEP = [0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.3, 1.6, 2.0, 3.0]


def _settings(language, penalty, temperature, top_k, top_p, min_p) -> SamplingConfig:
    try:
        return SamplingConfig(
            temperature=number(temperature, t("smp.temperature", language), 0, 10, language=language),
            top_k=number(top_k, t("smp.top_k", language), 0, 1_000_000, integer=True, language=language),
            top_p=number(top_p, t("smp.top_p", language), 0, 1, language=language),
            min_p=number(min_p, t("smp.min_p", language), 0, 1, language=language),
            # Below 1 the penalty would raise seen tokens: the page teaches it as a penalty, so 1 is "off".
            repetition_penalty=number(penalty, t("smp.penalty", language), 1, 10, language=language),
        )
    except ValueError as error:
        raise UserInputError(str(error)) from None


def tokens_worth_showing(*distributions: torch.Tensor) -> list[int]:
    """Up to ``SHOWN`` ids: each distribution's likeliest tokens in turn, skipping tokens it gives p = 0.

    After a cut (temperature 0 keeps one token) the survivors come first, then the model's own
    favourites that were cut, never arbitrary zero-probability ids.
    """
    ids: list[int] = []
    for probs in distributions:
        top = probs.topk(min(SHOWN, probs.numel()))
        ids += [token for token, p in zip(top.indices.tolist(), top.values.tolist()) if p > 0]
    return list(dict.fromkeys(ids))[:SHOWN]


def _next_token_logits(loaded, prompt: str, language: str) -> tuple[torch.Tensor, list[int]]:
    ids = loaded.tokenizer.encode(text_input(prompt, t("smp.prompt", language), MAX_PROMPT_CHARACTERS, language=language))
    (ids,), _ = fit_to_context([ids], 1, loaded.context)
    with torch.no_grad():
        logits = loaded.model(torch.tensor([ids], device=loaded.model.device), last_logits_only=True).logits[0, -1]
    return logits.float().cpu(), ids


def make_handlers(hub: ModelHub) -> tuple[Callable[..., tuple], Callable[..., tuple], Callable[..., Iterator]]:
    @friendly
    @on_gpu
    def distribution(model_name, prompt, penalty, temperature, top_k, top_p, min_p, language):
        """Every stage of the pipeline on the real next-token distribution, with its statistics."""
        language = normalise_language(language)
        loaded = hub.get(model_name)
        config = _settings(language, penalty, temperature, top_k, top_p, min_p)
        logits, ids = _next_token_logits(loaded, prompt, language)
        seen = seen_tokens([ids], logits.shape[-1])
        result = process_logits(logits[None], config, seen, keep_stages=True)
        stages = {name: probs[0] for name, probs in result.stages.items()}
        shown = tokens_worth_showing(stages["min_p"], stages["model"])
        labels = [p.text for p in loaded.tokenizer.pieces(shown)]
        panels, facts = {}, {}
        for name in STAGES:
            probs = stages[name]
            kept = int(result.kept[name][0])  # not removed by a filter (float32 may round its p to 0.0)
            h = float(entropy(probs))
            panels[t(f"stage.{name}", language)] = (labels, probs[shown].tolist(), kept)
            facts[name] = {"kept": kept, "mass": float(probs.sum()), "entropy_nats": h, "effective_choices": math.exp(h)}
        stage_fig = stage_bars(panels, t("smp.fig.stages", language),
                               t("smp.fig.stages_summary", language).format(kept=facts["min_p"]["kept"]), t("smp.kept", language))
        before_top_p = stages["top_k"]
        sorted_probs = before_top_p.sort(descending=True).values
        in_nucleus = facts["top_p"]["kept"]
        needed = fewest_tokens_reaching(before_top_p, config.top_p) if config.top_p < 1 else in_nucleus  # p = 1: off
        cumulative_summary = t("smp.fig.cumulative_summary" if config.top_p < 1 else "smp.fig.cumulative_off",
                               language).format(p=config.top_p, n=needed, s=plural_s(needed))
        if in_nucleus > needed:
            cumulative_summary += t("smp.fig.cumulative_ties", language).format(kept=in_nucleus, tied=in_nucleus - needed)
        curve = cumulative_curve(
            sorted_probs[: facts["top_k"]["kept"]].numpy(), config.top_p, in_nucleus,  # every token top-p chooses from
            t("smp.fig.cumulative", language), cumulative_summary,
            (t("smp.axis.rank", language), t("smp.axis.cumulative", language)), hover_words(language), needed,
        )
        sweep_rows = [process_logits(logits[None], SamplingConfig(temperature=T, repetition_penalty=config.repetition_penalty), seen).probs[0]
                      for T in SWEEP]
        top_tokens = stages["repetition_penalty"].topk(3).indices.tolist()
        entropies = (t("smp.entropy", language), [float(entropy(p)) for p in sweep_rows])
        probabilities = {f"p({piece.text!r})": [float(p[token]) for p in sweep_rows]
                         for token, piece in zip(top_tokens, loaded.tokenizer.pieces(top_tokens))}
        # The sweep keeps the penalty (it is what temperature acts on), and says so when it is on.
        sweep_summary = (t("smp.fig.sweep_summary_penalty", language).format(penalty=config.repetition_penalty)
                         if config.repetition_penalty != 1 else t("smp.fig.sweep_summary", language))
        sweep = temperature_sweep(SWEEP, entropies, probabilities, t("smp.fig.sweep", language), sweep_summary,
                                  (t("smp.temperature", language), t("smp.probability", language)),
                                  (config.temperature, t("smp.sweep_now", language).format(T=config.temperature)))
        table = "".join(
            f"<tr><td>{t(f'stage.{name}', language)}</td><td>{f['kept']:,}</td><td>{f['entropy_nats']:.3f}</td>"
            f"<td>{f['effective_choices']:,.1f}</td></tr>" for name, f in facts.items()
        )
        header = "".join(f"<th>{t(k, language)}</th>" for k in ("smp.h.stage", "smp.h.kept", "smp.h.entropy", "smp.h.effective"))
        return stage_fig, curve, sweep, f'<table class="ntl-table"><thead><tr>{header}</tr></thead><tbody>{table}</tbody></table>', facts

    @friendly
    @on_gpu
    def draw(model_name, prompt, penalty, temperature, top_k, top_p, min_p, draws, seed, language):
        """Seeded draws from the processed distribution, counted against that distribution."""
        language = normalise_language(language)
        loaded = hub.get(model_name)
        config = _settings(language, penalty, temperature, top_k, top_p, min_p)
        draws = number(draws, t("smp.draws", language), 1, MAX_DRAWS, integer=True, language=language)
        seed = number(seed, t("smp.seed", language), 0, 2**31 - 1, integer=True, language=language)
        logits, ids = _next_token_logits(loaded, prompt, language)
        probs = process_logits(logits[None], config, seen_tokens([ids], logits.shape[-1])).probs
        generator = torch.Generator().manual_seed(seed)
        drawn = sample_many(probs[0], draws, generator)
        counts = torch.bincount(drawn, minlength=probs.shape[-1]).float() / draws
        shown = tokens_worth_showing(probs[0], counts)
        labels = [p.text for p in loaded.tokenizer.pieces(shown)]
        tv = total_variation(counts, probs[0])
        noise = sampling_noise(probs[0], draws, NOISE_RUNS, seed)
        low, high = np.quantile(noise, [0.05, 0.95])
        if int((probs[0] > 0).sum()) == 1:  # greedy, or filters that leave one token: no chance to measure
            summary = t("smp.fig.draws_one", language).format(token=quoted(labels[0]), n=draws)
        else:
            verdict = "below" if tv < low else "above" if tv > high else "inside"
            summary = t("smp.fig.draws_summary", language).format(tv=tv, mean=float(noise.mean()), low=low, high=high,
                                                                  runs=NOISE_RUNS, n=draws) + t(f"smp.fig.draws.{verdict}", language)
        fig = draws_vs_distribution(labels, probs[0, shown].tolist(), counts[shown].tolist(),
                                    (t("smp.expected", language), t("smp.observed", language)),
                                    t("smp.fig.draws", language).format(n=draws, seed=seed), summary)
        return fig, {"draws": draws, "seed": seed, "total_variation": round(tv, 6),
                     "exact_sampler_total_variation": {"runs": NOISE_RUNS, "mean": round(float(noise.mean()), 6),
                                                       "p05": round(float(low), 6), "p95": round(float(high), 6)}}

    @friendly
    @on_gpu
    def generate_text(model_name, prompt, penalty, temperature, top_k, top_p, min_p, max_new_tokens, seed, language):
        """Stream a continuation; each token is shaded by the probability it was sampled with."""
        language = normalise_language(language)
        loaded = hub.get(model_name)
        config = _settings(language, penalty, temperature, top_k, top_p, min_p)
        max_new = number(max_new_tokens, t("smp.max_new", language), 1, MAX_NEW_TOKENS, integer=True, language=language)
        seed = number(seed, t("smp.seed", language), 0, 2**31 - 1, integer=True, language=language)
        ids = loaded.tokenizer.encode(text_input(prompt, t("smp.prompt", language), MAX_PROMPT_CHARACTERS, language=language))
        (ids,), truncated = fit_to_context([ids], max_new, loaded.context)
        shown_prompt = ("…" if truncated[0] else "") + loaded.tokenizer.decode(ids)
        tokens = []
        for step in stream_generate(loaded.model, [ids], max_new, config, seed=seed, eos_id=loaded.tokenizer.eot_id):
            token = step.tokens[0]
            top = step.distribution.probs[0].topk(5)
            alternatives = [(p.text, float(v)) for p, v in zip(loaded.tokenizer.pieces(top.indices.tolist()), top.values)]
            tokens.append((loaded.tokenizer.pieces([token])[0].text, step.sampled_probs[0], math.exp(step.logprobs[0]),
                           alternatives))
            yield generated_html(shown_prompt, tokens, t("smp.gen_legend", language), t("smp.gen_model_p", language))

    return distribution, draw, generate_text


def build(translated: Translated, hub: ModelHub, model_choice, language, link: TabLink) -> None:
    translated(gr.Markdown(t("smp.intro")), value="smp.intro")
    prompt = translated(gr.Textbox("ROMEO:\nBut soft, what light through yonder window", lines=2, label=t("smp.prompt"), elem_id="smp-prompt"),
                        label="smp.prompt")
    with gr.Row():
        penalty = translated(NumberSlider(1.0, 3.0, value=1.0, step=0.05, label=t("smp.penalty")), label="smp.penalty", info="smp.off_one")
        temperature = translated(NumberSlider(0.0, 3.0, value=1.0, step=0.05, label=t("smp.temperature")),
                                 label="smp.temperature", info="smp.temperature_info")
        top_k = translated(NumberSlider(0, 200, value=0, step=1, label=t("smp.top_k")), label="smp.top_k", info="smp.off_zero")
        top_p = translated(NumberSlider(0.0, 1.0, value=0.9, step=0.01, label=t("smp.top_p")), label="smp.top_p", info="smp.off_one")
        min_p = translated(NumberSlider(0.0, 1.0, value=0.0, step=0.01, label=t("smp.min_p")), label="smp.min_p", info="smp.off_zero")
    show = translated(gr.Button(t("smp.show"), variant="primary", elem_id="smp-run"), value="smp.show")
    stages = gr.Plot(show_label=False, elem_id="smp-stages")
    stats = gr.HTML()
    with gr.Row():
        curve = gr.Plot(show_label=False, elem_id="smp-curve")
        sweep = gr.Plot(show_label=False, elem_id="smp-sweep")
    with translated(gr.Accordion(t("smp.facts"), open=False), label="smp.facts"):
        facts = gr.JSON()
    with gr.Row():
        draws = translated(NumberSlider(100, MAX_DRAWS, value=5000, step=100, label=t("smp.draws")), label="smp.draws")
        seed = translated(NumberBox(0, precision=0, label=t("smp.seed"), elem_id="smp-seed"), label="smp.seed")
        draw_button = translated(gr.Button(t("smp.draw")), value="smp.draw")
    histogram = gr.Plot(show_label=False, elem_id="smp-histogram")
    with translated(gr.Accordion(t("smp.draw_facts"), open=False), label="smp.draw_facts"):
        draw_facts = gr.JSON()
    with gr.Row():
        max_new = translated(NumberSlider(1, MAX_NEW_TOKENS, value=30, step=1, label=t("smp.max_new")), label="smp.max_new")
        generate_button = translated(gr.Button(t("smp.generate"), elem_id="smp-generate"), value="smp.generate")
    generated = gr.HTML(elem_id="smp-generated")

    distribution, draw, generate_text = make_handlers(hub)
    knobs = [model_choice, prompt, penalty, temperature, top_k, top_p, min_p]
    outputs = [stages, curve, sweep, stats, facts]
    shown = show.click(distribution, knobs + [language], outputs, api_name="distribution")
    # Letting go of a knob redraws at once (tens of ms): the lesson is watching the distribution move.
    released = gr.on([knob.release for knob in (penalty, temperature, top_k, top_p, min_p)], distribution, knobs + [language],
                     outputs, trigger_mode="always_last", api_name="distribution_on_release", api_visibility="private")
    link.fields.update(prompt=prompt, penalty=penalty, temperature=temperature, top_k=top_k, top_p=top_p, min_p=min_p,
                       draws=draws, seed=seed, new=max_new)
    link.handler, link.inputs, link.outputs, link.drawn_by = distribution, knobs + [language], outputs, [shown, released]
    drawn = draw_button.click(draw, knobs + [draws, seed, language], [histogram, draw_facts], api_name="draw_samples")
    generated_by = generate_button.click(generate_text, knobs + [max_new, seed, language], [generated], api_name="generate")
    redraw_on_language_switch(link, [drawn], draw, knobs + [draws, seed, language], [histogram, draw_facts],
                              "draw_samples_in_language", language)
    redraw_on_language_switch(link, [generated_by], generate_text, knobs + [max_new, seed, language], [generated],
                              "generate_in_language", language)
