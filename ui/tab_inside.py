"""Tab 5: inside the model — logit lens, layer change, A→B attention, the KV cache step by step,
decoding strategies side by side, teacher forcing vs generation, and the bundled model's report."""

from __future__ import annotations

import html
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import gradio as gr
import numpy as np
import torch

from model import fit_to_context, stream_generate
from model.checkpoint import BUNDLED_MODEL_DIR
from model.decoding import MAX_BEAM_WIDTH, DecodingSettings, Strategy, compare_strategies
from model.inspect import UNUSED_TOKENS, ModelProbe, kv_cache_steps, teacher_forcing
from viz.common import quoted
from viz.inside import (
    cache_attention,
    cache_step_html,
    cache_timing,
    curves,
    decoding_bars,
    decoding_table_html,
    generation_html,
    layer_change_heatmap,
    logit_lens_grid,
    message_figure,
    surprisal_bars,
    surprisal_html,
    token_attention_grid,
    value_bars,
)

from .common import (
    MAX_NEW_TOKENS,
    MAX_PROMPT_CHARACTERS,
    NumberBox,
    NumberSlider,
    RecentResults,
    Translated,
    UserInputError,
    friendly,
    logit_difference,
    normalise_language,
    number,
    on_gpu,
    redraw_on_language_switch,
    t,
    text_input,
)
from .i18n import TEXT, plural_s
from .deeplinks import TabLink
from .hub import LoadedModel, ModelHub

MAX_PROBE_TOKENS = 64
MAX_LENS_K = 10
MAX_DECODING_TOKENS = 48
MAX_TEACHER_FORCING_TOKENS = 128
MAX_TF_PROMPT = 32  # teacher forcing: prompt tokens before generation takes over
TIMING_REPEATS = 3  # a measured time is the best of three runs: the machine is shared
REPORT_PATH = BUNDLED_MODEL_DIR / "training_report.json"
PROBE_EXAMPLE = "ROMEO:\nBut soft, what light through yonder window breaks?"
KV_EXAMPLE = "JULIET:\nO Romeo, Romeo, wherefore art thou"
DECODING_EXAMPLE = PROBE_EXAMPLE  # at 48 tokens greedy and beam loop, and the penalty breaks both loops
TEACHER_EXAMPLE = "To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer"


def _encode(loaded, text: str, label: str, limit: int, language: str) -> list[int]:
    ids = loaded.tokenizer.encode(text_input(text, label, MAX_PROMPT_CHARACTERS, language=language))
    limit = min(limit, loaded.context)
    if len(ids) > limit:
        raise UserInputError(t("ins.err.too_long", language).format(label=label, n=len(ids), limit=limit))
    return ids


def _texts(tokenizer, ids) -> list[str]:
    return [piece.text for piece in tokenizer.pieces([int(i) for i in ids])]


def _layer_names(n_layer: int, language: str) -> list[str]:
    return [t("ins.layer_n", language).format(n=layer) for layer in range(n_layer)]


MAX_UNSEEN_EXAMPLES = 5


def unseen_note(loaded, ids: list[int], shared: list[bool], language: str) -> str:
    """A warning when some tokens share the one embedding of every token the model never saw (else "")."""
    unseen = [text for text, is_shared in zip(_texts(loaded.tokenizer, ids), shared) if is_shared]
    if not unseen:
        return ""
    # Escaped: Markdown would take a byte label such as <91> for an HTML tag and drop the rest.
    examples = html.escape(", ".join(quoted(text) for text in list(dict.fromkeys(unseen))[:MAX_UNSEEN_EXAMPLES]))
    return t("ins.unseen", language).format(n=len(unseen), total=len(ids), examples=examples)


def make_probe_handler(hub: ModelHub) -> Callable[..., tuple]:
    @friendly
    @on_gpu
    @torch.no_grad()
    def look_inside(model_name, text, k, token_a, token_b, language):
        """One forward pass → the logit lens, each block's change of the stream, and A→B attention."""
        language = normalise_language(language)
        loaded = hub.get(model_name)
        tokenizer = loaded.tokenizer
        ids = _encode(loaded, text, t("ins.probe_text", language), MAX_PROBE_TOKENS, language)
        k = number(k, t("ins.k", language), 1, MAX_LENS_K, integer=True, language=language)
        probe = ModelProbe(loaded.model, ids)
        try:
            a = probe.position(number(token_a, t("ins.token_a", language), -len(ids), len(ids) - 1, integer=True, language=language))
            b = probe.position(number(token_b, t("ins.token_b", language), -len(ids), len(ids) - 1, integer=True, language=language))
        except ValueError as error:
            raise UserInputError(str(error)) from None
        labels = _texts(tokenizer, ids)
        layers = probe.n_layer
        unused = set() if probe.unused_ids is None else set(probe.unused_ids.tolist())
        shared = [i in unused for i in ids]  # the lens's tie: the ids the model never saw in training

        lens = probe.logit_lens(k)
        rows = [t("ins.embeddings", language)] + _layer_names(layers, language)
        final = _texts(tokenizer, lens.final_prediction.tolist())
        # The unused ids' tie is one entry: its label, and in the hover what each and all of them hold.
        unused_label = t("ins.lens.unused", language)
        unused = lens.top_ids == UNUSED_TOKENS
        top_ids = lens.top_ids.flatten().tolist()
        top_texts = np.array([unused_label if i == UNUSED_TOKENS else text
                              for i, text in zip(top_ids, _texts(tokenizer, [max(i, 0) for i in top_ids]))],
                             dtype=object).reshape(lens.top_ids.shape)
        top_notes = np.full(lens.top_ids.shape, "", dtype=object)
        if bool(unused.any()):
            n_unused = len(probe.unused_ids)
            for cell in unused.nonzero().tolist():
                each = float(lens.top_probs[tuple(cell)])
                top_notes[tuple(cell)] = t("ins.lens.unused_hover", language).format(n=n_unused, each=each, total=each * n_unused)
        final_probs = lens.final_prediction_probs.cpu().numpy()
        leads_from = len(rows) - 1  # the first row from which the final answer stays the top guess
        while leads_from > 0 and lens.top_ids[leads_from - 1, -1, 0] == lens.final_prediction[-1]:
            leads_from -= 1
        lens_fig = logit_lens_grid(
            final_probs, top_texts, lens.top_probs.cpu().numpy(), final, rows, labels,
            t("ins.lens.title", language),
            t("ins.lens.summary", language).format(token=quoted(final[-1]), row=rows[leads_from])
            + (t("ins.lens.unused_note", language).format(label=unused_label, n=len(probe.unused_ids))
               if bool(unused[..., 0].any()) else ""),
            (t("ins.axis.position", language), t("ins.axis.stream", language)), t("ins.lens.colour", language),
            t("ins.lens.hover_final", language), top_notes,
        )

        distances = probe.cos_distances().cpu().numpy()
        per_layer = distances.mean(axis=1)
        change_fig = layer_change_heatmap(
            distances, _layer_names(layers, language), labels, t("ins.change.title", language),
            t("ins.change.summary", language).format(most=int(per_layer.argmax()), least=int(per_layer.argmin())),
            (t("ins.axis.position", language), t("ins.axis.layer", language)), "1 − cos",
        )

        between = probe.attention_between(a, b).cpu().numpy()
        pair = {"a": f"{a} {quoted(labels[a])}", "b": f"{b} {quoted(labels[b])}"}
        if b > a:
            summary = t("ins.ab.future", language).format(**pair)
        else:
            layer, head = np.unravel_index(between.argmax(), between.shape)
            summary = t("ins.ab.summary", language).format(layer=layer, head=head, p=between[layer, head], **pair)
        attention_fig = token_attention_grid(
            between, _layer_names(layers, language),
            [t("ins.head_n", language).format(n=h) for h in range(between.shape[1])],
            t("ins.ab.title", language).format(**pair), summary,
            (t("ins.axis.head", language), t("ins.axis.layer", language)),
        )
        facts = {
            "tokens": len(ids),
            "final_prediction_per_position": final,
            # The probe keeps every attention map (the explicit path); a plain call runs fused attention.
            "lens_last_row_vs_plain_forward_max_abs_logit_diff": float(
                (probe.model.unembed(probe.hidden_states[-1]) - loaded.model(torch.tensor([ids], device=loaded.model.device)).logits[0]).abs().max()
            ),
            "mean_cos_distance_per_layer": [round(float(v), 5) for v in per_layer],
            "token_a": a,
            "token_b": b,
            "attention_a_to_b": [[round(float(v), 5) for v in row] for row in between],
            "tokens_sharing_one_embedding": sum(shared),
        }
        return unseen_note(loaded, ids, shared, language), lens_fig, change_fig, attention_fig, facts

    return look_inside


def make_cache_handlers(hub: ModelHub) -> tuple[Callable[..., tuple], Callable[..., tuple], Callable[..., int]]:
    @friendly
    @on_gpu
    def kv_cache_run(model_name, prompt, new_tokens, language):
        """Decode greedily, running every step with and without the cache; keep the steps for the stepper."""
        language = normalise_language(language)
        loaded = hub.get(model_name)
        new_tokens = number(new_tokens, t("ins.kv.new_tokens", language), 1, MAX_NEW_TOKENS, integer=True, language=language)
        given = loaded.tokenizer.encode(text_input(prompt, t("ins.kv.prompt", language), MAX_PROMPT_CHARACTERS, language=language))
        (ids,), _ = fit_to_context([given], new_tokens, loaded.context)
        steps = list(kv_cache_steps(loaded.model, ids, new_tokens, repeats=TIMING_REPEATS))
        sequence = ids + [s.token for s in steps]
        record = {
            "tokens": _texts(loaded.tokenizer, sequence),
            "prompt_tokens": len(ids),
            "prompt_tokens_given": len(given),  # more than kept: the prompt's start was cut to fit the context
            "context": loaded.context,
            "steps": [
                {
                    "token": s.token,
                    "token_without_cache": s.token_without_cache,
                    "query_shape": list(s.query_shape),
                    "cache_shape": list(s.cache_shape),
                    "cache_capacity": s.cache_capacity,
                    "cache_bytes": s.cache_bytes,
                    "cache_bytes_allocated": s.cache_bytes_allocated,
                    "attention": s.attention.mean(dim=1).tolist(),  # mean over heads: [n_layer, S]
                    "ms_with_cache": 1e3 * s.seconds_with_cache,
                    "ms_without_cache": 1e3 * s.seconds_without_cache,
                    "columns_with_cache": s.columns_with_cache,
                    "columns_without_cache": s.columns_without_cache,
                    "max_abs_logit_difference": s.max_abs_logit_difference,
                }
                for s in steps
            ],
        }
        # The step controls wake up with the first run: before it there is nothing to step through.
        return record, gr.update(maximum=new_tokens, value=1, interactive=True), gr.update(interactive=True)

    @friendly
    def kv_cache_step(record, step, language):
        """Render one step of a finished run: shapes, what the newest token read, and the timings.

        Before the first run there is nothing to show, and nothing changes: a click on the disabled
        step box still releases the slider (browsers send pointer events to disabled inputs)."""
        language = normalise_language(language)
        if not record:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        steps = record["steps"]
        step = number(step, t("ins.kv.step", language), 1, len(steps), integer=True, language=language)
        current = steps[step - 1]
        cached = current["cache_shape"][2]  # positions in the cache after this step
        tokens = record["tokens"]
        produced = tokens[record["prompt_tokens"] + step - 1]
        last = t("ins.kv.last", language) if step == len(steps) else ""
        prefill = t("ins.kv.prefill", language) if step == 1 else ""  # the prompt's pass: the same work both ways
        kept, given = record["prompt_tokens"], record["prompt_tokens_given"]
        prompt_row = (t("ins.kv.prompt_cut", language).format(kept=kept, given=given, context=record["context"])
                      if given > kept else f"{kept:,}")
        rows = [
            (t("ins.kv.step", language), f"{step} / {len(steps)}{last}"),
            (t("ins.kv.row.prompt", language), prompt_row),
            (t("ins.kv.row.fed", language), str(current["columns_with_cache"])),
            (t("ins.kv.row.query", language), str(current["query_shape"])),
            (t("ins.kv.row.keys", language), str(current["cache_shape"])),
            (t("ins.kv.row.values", language), str(current["cache_shape"])),
            (t("ins.kv.row.capacity", language), str(current["cache_capacity"])),
            (t("ins.kv.row.bytes", language), f"{current['cache_bytes']:,} / {current['cache_bytes_allocated']:,}"),
            (t("ins.kv.row.token", language), f"{quoted(produced)} (id {current['token']}) · "
             + t("ins.kv.same" if current["token"] == current["token_without_cache"] else "ins.kv.different", language)),
            (t("ins.kv.row.time", language), f"{current['ms_with_cache']:.2f} ms / {current['ms_without_cache']:.2f} ms{prefill}"),
            (t("ins.kv.row.dlogit", language), logit_difference(current["max_abs_logit_difference"])),
        ]
        step_html = cache_step_html(rows, tokens[:cached], produced)
        n_layer = len(current["attention"])
        attention = cache_attention(
            np.array(current["attention"]), _layer_names(n_layer, language), tokens[:cached], cached - 1,
            t("ins.kv.fig.attention", language).format(step=step, token=quoted(tokens[cached - 1])),
            t("ins.kv.fig.attention_summary", language).format(n=cached, s=plural_s(cached)),
            (t("ins.axis.cached", language), t("ins.axis.layer", language)),
        )
        column = lambda key: [s[key] for s in steps]  # noqa: E731
        total_with, total_without = sum(column("ms_with_cache")), sum(column("ms_without_cache"))
        timing = cache_timing(
            column("ms_with_cache"), column("ms_without_cache"), column("columns_with_cache"),
            column("columns_without_cache"), step, (t("ins.kv.with", language), t("ins.kv.without", language)),
            (t("ins.kv.fig.per_step", language), t("ins.kv.fig.cumulative", language), t("ins.kv.fig.columns", language)),
            t("ins.kv.step", language), t("ins.kv.fig.timing", language),
            t("ins.kv.fig.timing_summary", language).format(n=len(steps), s=plural_s(len(steps)), cached=total_with, uncached=total_without),
        )
        facts = {
            "steps": len(steps),
            "prompt_tokens": record["prompt_tokens"],
            "new_tokens": column("token"),
            "identical_tokens": all(s["token"] == s["token_without_cache"] for s in steps),
            "total_ms_with_cache": round(total_with, 3),
            "total_ms_without_cache": round(total_without, 3),
            "ms_with_cache": [round(v, 3) for v in column("ms_with_cache")],
            "ms_without_cache": [round(v, 3) for v in column("ms_without_cache")],
            "max_abs_logit_difference": max(column("max_abs_logit_difference")),
        }
        return step_html, attention, timing, facts

    @friendly
    def next_step(record, step, language):
        """Advance the stepper by one, wrapping to the first step after the last (before a run: nothing)."""
        if not record:
            return gr.skip()
        count = len(record["steps"])
        step = number(step, t("ins.kv.step", normalise_language(language)), 1, count, integer=True, language=normalise_language(language))
        return 1 if step >= count else step + 1

    return kv_cache_run, kv_cache_step, next_step


def make_decoding_handler(hub: ModelHub) -> Callable[..., tuple]:
    outputs_for = RecentResults()  # every strategy is deterministic (samplers are seeded): reuse is exact

    @friendly
    @on_gpu
    def decoding(model_name, prompt, new_tokens, beam_width, top_k, top_p, min_p, penalty, seed, language):
        """Every strategy on one prompt, penalty off then on: outputs, loops, sequence log-probabilities."""
        language = normalise_language(language)
        loaded = hub.get(model_name)
        new_tokens = number(new_tokens, t("ins.dec.new_tokens", language), 1, MAX_DECODING_TOKENS, integer=True, language=language)
        settings = DecodingSettings(
            beam_width=number(beam_width, t("ins.dec.beam_width", language), 1, MAX_BEAM_WIDTH, integer=True, language=language),
            top_k=number(top_k, t("smp.top_k", language), 1, 1000, integer=True, language=language),
            top_p=number(top_p, t("smp.top_p", language), 0.01, 1, language=language),
            min_p=number(min_p, t("smp.min_p", language), 0, 0.99, language=language),
            repetition_penalty=number(penalty, t("smp.penalty", language), 1, 3, language=language),
            seed=number(seed, t("smp.seed", language), 0, 2**31 - 1, integer=True, language=language),
        )
        ids = loaded.tokenizer.encode(text_input(prompt, t("ins.dec.prompt", language), MAX_PROMPT_CHARACTERS, language=language))
        (ids,), _ = fit_to_context([ids], new_tokens, loaded.context)
        outputs = outputs_for.get((loaded.key, tuple(ids), new_tokens, settings),
                                  lambda: compare_strategies(loaded.model, ids, new_tokens, settings))

        names = {s: t(f"ins.dec.strategy.{s.value}", language).format(width=settings.beam_width, k=settings.top_k,
                                                                        p=settings.top_p, min_p=settings.min_p)
                 for s in Strategy}
        off, on = t("ins.dec.penalty_off", language), t("ins.dec.penalty_on", language).format(penalty=settings.repetition_penalty)
        half = len(Strategy)  # compare_strategies runs every strategy penalty-off, then penalty-on
        rows, facts = [], []
        for index, output in enumerate(outputs):
            loop = output.loop
            rows.append({
                "strategy": names[output.strategy], "penalty": off if index < half else on,
                "pieces": _texts(loaded.tokenizer, output.tokens),
                "loop": (loop.start, loop.period) if loop else None,
                "logprob": output.sequence_logprob, "repeated": output.repeated_trigram_share,
            })
            facts.append({
                "strategy": output.strategy.value, "repetition_penalty": output.repetition_penalty,
                "text": loaded.tokenizer.decode(output.tokens), "sequence_logprob": round(output.sequence_logprob, 4),
                "repeated_trigram_share": round(output.repeated_trigram_share, 4),
                "loop": {"start": loop.start, "period": loop.period} if loop else None,
            })
        headers = [t(f"ins.dec.h.{key}", language) for key in ("strategy", "penalty", "output", "logprob", "repeated", "loop")]
        table = decoding_table_html(rows, headers, t("ins.dec.loop", language), t("ins.dec.no_loop", language))
        legend = (t("ins.dec.legend_off", language),
                  t("ins.dec.legend_on", language).format(penalty=settings.repetition_penalty))
        series = {
            legend[0]: ([r["logprob"] for r in rows[:half]], [r["repeated"] for r in rows[:half]]),
            legend[1]: ([r["logprob"] for r in rows[half:]], [r["repeated"] for r in rows[half:]]),
        }
        greedy = outputs[0]
        summary = (t("ins.dec.summary_loop", language).format(start=greedy.loop.start + 1, period=greedy.loop.period,
                                                                  s=plural_s(greedy.loop.period))
                   if greedy.loop else t("ins.dec.summary_no_loop", language).format(repeated=greedy.repeated_trigram_share))
        best = max(range(len(rows)), key=lambda i: rows[i]["logprob"])
        summary += t("ins.dec.summary_best", language).format(strategy=rows[best]["strategy"], penalty=rows[best]["penalty"],
                                                             logprob=rows[best]["logprob"])
        bars = decoding_bars([names[s] for s in Strategy], series,
                             (t("ins.dec.fig.logprob", language), t("ins.dec.fig.repeated", language)),
                             t("ins.dec.fig.title", language), summary)
        return table, bars, facts

    return decoding


@dataclass(frozen=True)
class TimedRun:
    """One teacher-forcing measurement in plain numbers, kept in the person's session.

    A language redraw then shows the run on screen instead of a new one (whose times would differ
    for no reason a student could see), and nothing server-wide keeps another visitor's run or a
    vocabulary-sized tensor.
    """

    inputs: tuple[str, tuple[int, ...], int]  # (model key, text ids, prompt tokens): the run is valid for these
    losses: list[float]
    predictions: list[int]
    targets: list[int]
    forward_passes: int
    seconds: float
    generated: list[int]
    generation_seconds: float


def _score_and_generate(loaded: LoadedModel, ids: list[int], prompt_tokens: int) -> TimedRun:
    """Teacher forcing on the whole text, then generation from its first ``prompt_tokens``: both
    timed as the best of TIMING_REPEATS runs, so the two times compare fairly."""
    scored = teacher_forcing(loaded.model, ids, repeats=TIMING_REPEATS)
    generation_seconds = math.inf
    for _ in range(TIMING_REPEATS):
        start = time.perf_counter()
        steps = list(stream_generate(loaded.model, [ids[:prompt_tokens]], len(ids) - prompt_tokens))
        generation_seconds = min(generation_seconds, time.perf_counter() - start)
    return TimedRun((loaded.key, tuple(ids), prompt_tokens), scored.losses.tolist(), scored.predictions, scored.targets,
                    scored.forward_passes, scored.seconds, [step.tokens[0] for step in steps], generation_seconds)


def make_teacher_forcing_handler(hub: ModelHub) -> Callable[..., tuple]:
    @friendly
    @on_gpu
    def teacher_vs_generation(model_name, text, prompt_tokens, language, shown: TimedRun | None = None):
        """One pass scores every position of the text; generation needs one pass per new token.

        The button measures afresh. A language redraw passes the run on screen (``shown``) and
        reuses it while the inputs are still the ones it measured.
        """
        language = normalise_language(language)
        loaded = hub.get(model_name)
        tokenizer = loaded.tokenizer
        ids = _encode(loaded, text, t("ins.tf.text", language), MAX_TEACHER_FORCING_TOKENS, language)
        if len(ids) < 2:
            raise UserInputError(t("ins.tf.err.short", language))
        # The slider's default (4) may exceed a short text: keep at least one token to predict.
        asked = number(prompt_tokens, t("ins.tf.prompt_tokens", language), 1, MAX_TF_PROMPT, integer=True, language=language)
        prompt_tokens = min(asked, len(ids) - 1)
        inputs = (loaded.key, tuple(ids), prompt_tokens)
        run = shown if isinstance(shown, TimedRun) and shown.inputs == inputs else _score_and_generate(loaded, ids, prompt_tokens)
        labels = _texts(tokenizer, ids)
        guesses = _texts(tokenizer, run.predictions)
        losses = run.losses
        tips = [
            t("ins.tf.tip", language).format(token=quoted(labels[i + 1]), loss=loss, p=math.exp(-loss), guess=quoted(guesses[i]))
            for i, loss in enumerate(losses)
        ]
        text_html = surprisal_html(labels[0], labels[1:], losses, tips, t("ins.tf.legend", language))

        generated = run.generated
        matches = [token == ids[prompt_tokens + i] for i, token in enumerate(generated)]
        generated_texts = _texts(tokenizer, generated)
        generated_tips = [t("ins.tf.gen_tip", language).format(i=i + 1, truth=quoted(labels[prompt_tokens + i]))
                          for i in range(len(generated))]
        generation = generation_html(tokenizer.decode(ids[:prompt_tokens]), generated_texts, matches, generated_tips)

        mean = float(np.mean(losses))
        accuracy = float(np.mean([g == target for g, target in zip(run.predictions, run.targets)]))
        bars = surprisal_bars(labels[1:], losses, t("ins.tf.fig.title", language),
                              t("ins.tf.fig.summary", language).format(mean=mean, ppl=math.exp(mean), n=len(losses), s=plural_s(len(losses))),
                              (t("ins.tf.axis.target", language), t("ins.tf.axis.loss", language)))
        facts = {
            "teacher_forcing": {
                "forward_passes": run.forward_passes, "positions_scored": len(losses),
                f"ms_best_of_{TIMING_REPEATS}": round(1e3 * run.seconds, 3), "mean_loss_nats": round(mean, 4),
                "perplexity": round(math.exp(mean), 3), "top_guess_accuracy": round(accuracy, 4),
                "losses": [round(v, 4) for v in losses],
            },
            "generation": {
                "forward_passes": len(generated), "tokens_generated": len(generated),
                "ms": round(1e3 * run.generation_seconds, 3), "prompt_tokens": prompt_tokens,
                "matches_text": sum(matches), "text": tokenizer.decode(generated),
            },
        }
        summary = t("ins.tf.summary", language).format(
            tf_ms=1e3 * run.seconds, n=len(losses), passes=len(generated), gen_ms=1e3 * run.generation_seconds,
            matches=sum(matches), generated=len(generated),
            n_s=plural_s(len(losses)), generated_s=plural_s(len(generated)), passes_es="" if len(generated) == 1 else "es",
        )
        if False in matches:  # where generation leaves the text; a match after that is a coincidence
            first_difference = matches.index(False)
            summary += t("ins.tf.diverged", language).format(first=first_difference + 1)
            if any(matches[first_difference:]):
                summary += t("ins.tf.coincidence", language)
        if asked > prompt_tokens:
            summary += t("ins.tf.shortened", language).format(asked=asked, tokens=len(ids), start=prompt_tokens)
        return text_html, generation, f"<p>{summary}</p>", bars, facts, run

    return teacher_vs_generation


def read_training_report(path: Path) -> dict | None:
    """The bundled model's training report, or ``None`` while there is none (or it is unreadable)."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return report if isinstance(report, dict) else None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _at(report: Any, *keys: str) -> Any:
    """``report[k1][k2]…``, or ``None`` where a level is missing or not a dict: the report's shape
    is another program's output, so nothing here may assume it."""
    for key in keys:
        if not isinstance(report, dict) or key not in report:
            return None
        report = report[key]
    return report


def _records(report: Any, *keys: str) -> list[dict]:
    value = _at(report, *keys)
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []


def _series(records: list[dict], y_key: str) -> tuple[list[float], list[float]]:
    pairs = [(r["step"], r[y_key]) for r in records if _is_number(r.get("step")) and _is_number(r.get(y_key))]
    return [x for x, _ in pairs], [y for _, y in pairs]


def loss_curves(report: dict) -> dict[str, tuple[list[float], list[float]]]:
    """``model/train.py``'s curves over steps: the running training loss (``curves.train[].loss``)
    and each evaluation's training and validation loss (``curves.eval[]``). Missing ones are left out."""
    train, evaluations = _records(report, "curves", "train"), _records(report, "curves", "eval")
    found = {"running": _series(train, "loss"), "train": _series(evaluations, "train_loss"),
             "val": _series(evaluations, "val_loss")}
    return {name: xy for name, xy in found.items() if xy[0]}


def channel_curves(report: dict) -> dict[str, tuple[list[float], list[float]]]:
    """Validation loss per channel (genre) at every evaluation (``curves.eval[].val_per_channel``)."""
    curves_by_channel: dict[str, tuple[list[float], list[float]]] = {}
    for record in _records(report, "curves", "eval"):
        per_channel = record.get("val_per_channel")
        if not _is_number(record.get("step")) or not isinstance(per_channel, dict):
            continue
        for channel, loss in per_channel.items():
            if _is_number(loss):
                steps, losses = curves_by_channel.setdefault(str(channel), ([], []))
                steps.append(record["step"])
                losses.append(loss)
    return curves_by_channel


def final_channel_losses(report: dict) -> dict[str, float]:
    """The final validation loss per channel, measured on the shipped checkpoint when the report has it."""
    for key in ("val_per_channel_shipped_checkpoint", "val_per_channel"):
        values = _at(report, "final", key)
        if isinstance(values, dict):
            return {str(k): float(v) for k, v in values.items() if _is_number(v)}
    return {}


# (text key, path in the report): the facts the tab shows; anything absent is skipped.
REPORT_FACTS = (
    ("ins.about.fact.parameters", ("model", "parameters")),
    ("ins.about.fact.checkpoint", ("model", "checkpoint_dtype")),
    ("ins.about.fact.checkpoint_bytes", ("model", "checkpoint_bytes")),
    ("ins.about.fact.data", ("corpus", "source")),
    ("ins.about.fact.channels", ("corpus", "channels")),
    ("ins.about.fact.held_out", ("corpus", "held_out_works")),
    ("ins.about.fact.train_tokens", ("facts", "train_tokens")),
    ("ins.about.fact.val_tokens", ("facts", "val_tokens")),
    ("ins.about.fact.tokens_seen", ("facts", "tokens_seen")),
    ("ins.about.fact.epochs", ("facts", "epochs")),
    ("ins.about.fact.steps", ("facts", "steps")),
    ("ins.about.fact.stopped_by", ("facts", "stopped_by")),
    ("ins.about.fact.training_time", ("facts", "training_time_s")),
    ("ins.about.fact.wall_time", ("wall_time_s",)),
    ("ins.about.fact.cpu", ("hardware", "cpu")),
    ("ins.about.fact.threads", ("hardware", "torch_threads")),
    ("ins.about.fact.device", ("facts", "device")),
    ("ins.about.fact.bf16", ("facts", "bf16_autocast")),
    ("ins.about.fact.train_loss", ("final", "train_loss")),
    ("ins.about.fact.val_loss", ("final", "val_loss")),
    ("ins.about.fact.val_loss_shipped", ("final", "val_loss_shipped_checkpoint")),
    ("ins.about.fact.command", ("command",)),
)


def _shown(value: Any) -> str:
    """A report value as one table cell."""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, dict):  # e.g. held-out works: show their titles where they have one
        return ", ".join(str(v.get("title", k)) if isinstance(v, dict) else str(k) for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    return str(value)


# Report values that are words, not numbers: shown in the page's language where the text has them.
WORD_VALUES = {("corpus", "channels"): "genre", ("facts", "stopped_by"): "ins.about.stopped"}


def report_word(prefix: str, value: Any, language: str) -> str:
    """``value`` translated through ``prefix.value`` when that key exists, else as written."""
    key = f"{prefix}.{value}"
    return t(key, language) if key in TEXT["en"] else str(value)


def report_facts(report: dict, language: str) -> list[tuple[str, str]]:
    facts = []
    for key, path in REPORT_FACTS:
        value = _at(report, *path)
        if value is None or value == "":
            continue
        if path in WORD_VALUES:
            words = value if isinstance(value, list) else [value]
            value = [report_word(WORD_VALUES[path], word, language) for word in words]
        facts.append((t(key, language), _shown(value)))
    return facts


def make_about_handler(hub: ModelHub) -> Callable[[str], tuple]:
    @friendly
    def about(language):
        """The bundled model's facts and, when its training report exists, its curves."""
        language = normalise_language(language)
        loaded = hub.get("bundled")
        lines = [t("ins.about.facts", language).format(**loaded.describe())]
        if loaded.random_weights:
            lines.append(t("ins.about.random", language))
        report = read_training_report(REPORT_PATH)
        title_curves, title_channels = t("ins.about.fig.curves", language), t("ins.about.fig.channels", language)
        step_axis = t("ins.about.axis.step", language)
        if report is None:
            lines.append(t("ins.about.no_report", language).format(path=REPORT_PATH.relative_to(REPORT_PATH.parents[2])))
            empty = t("ins.about.no_report_short", language)
            return "\n\n".join(lines), message_figure(empty, title_curves), message_figure(empty, title_channels), {}
        facts = report_facts(report, language)
        final = {report_word("genre", name, language): loss for name, loss in final_channel_losses(report).items()}
        if final:
            facts.append((t("ins.about.fact.val_per_channel", language),
                          ", ".join(f"{name} {loss:.3f}" for name, loss in final.items())))
        if facts:
            rows = "\n".join(f"| {name} | {value.replace('|', '/')} |" for name, value in facts)
            lines.append(f"| {t('ins.about.h.key', language)} | {t('ins.about.h.value', language)} |\n|---|---|\n{rows}")
        losses = {t(f"ins.about.series.{name}", language): xy for name, xy in loss_curves(report).items()}
        curve_fig = (curves(losses, title_curves, t("ins.about.fig.curves_summary", language),
                            (step_axis, t("ins.about.axis.loss", language)))
                     if losses else message_figure(t("ins.about.no_curves", language), title_curves))
        summary = t("ins.about.fig.channels_summary", language)
        val_axis = t("ins.about.axis.val_loss", language)
        per_channel = {report_word("genre", name, language): xy for name, xy in channel_curves(report).items()}
        if per_channel:
            channel_fig = curves(per_channel, title_channels, summary, (step_axis, val_axis))
        elif final:
            channel_fig = value_bars(final, title_channels, summary, val_axis)
        else:
            channel_fig = message_figure(t("ins.about.no_channels", language), title_channels)
        return "\n\n".join(lines), curve_fig, channel_fig, report

    return about


def build(translated: Translated, hub: ModelHub, model_choice, language, link: TabLink) -> None:
    translated(gr.Markdown(t("ins.intro")), value="ins.intro")

    translated(gr.Markdown(t("ins.probe.heading")), value="ins.probe.heading")
    probe_text = translated(gr.Textbox(PROBE_EXAMPLE, lines=2, label=t("ins.probe_text"), elem_id="ins-probe-text"),
                            label="ins.probe_text")
    with gr.Row():
        k = translated(NumberSlider(1, MAX_LENS_K, value=5, step=1, label=t("ins.k")), label="ins.k")
        token_a = translated(NumberBox(-1, precision=0, label=t("ins.token_a")), label="ins.token_a", info="ins.token_info")
        token_b = translated(NumberBox(0, precision=0, label=t("ins.token_b")), label="ins.token_b", info="ins.token_info")
        probe_button = translated(gr.Button(t("ins.probe.run"), variant="primary", elem_id="ins-probe-run"), value="ins.probe.run")
    probe_note = gr.Markdown(elem_id="ins-probe-note")
    lens = gr.Plot(show_label=False, elem_id="ins-lens")
    change = gr.Plot(show_label=False, elem_id="ins-change")
    between = gr.Plot(show_label=False, elem_id="ins-between")
    with translated(gr.Accordion(t("ins.facts"), open=False), label="ins.facts"):
        probe_facts = gr.JSON()

    translated(gr.Markdown(t("ins.kv.heading")), value="ins.kv.heading")
    with gr.Row():
        kv_prompt = translated(gr.Textbox(KV_EXAMPLE, lines=2, label=t("ins.kv.prompt"), scale=3), label="ins.kv.prompt")
        kv_new = translated(NumberSlider(1, MAX_NEW_TOKENS, value=32, step=1, label=t("ins.kv.new_tokens")), label="ins.kv.new_tokens")
        kv_button = translated(gr.Button(t("ins.kv.run"), variant="primary", elem_id="ins-kv-run"), value="ins.kv.run")
    with gr.Row():
        kv_step = translated(NumberSlider(1, 32, value=1, step=1, label=t("ins.kv.step"), interactive=False, elem_id="ins-kv-step-number"),
                             label="ins.kv.step")
        kv_next = translated(gr.Button(t("ins.kv.next"), elem_id="ins-kv-next", interactive=False), value="ins.kv.next")
    kv_record = gr.State(None)
    kv_html = gr.HTML(elem_id="ins-kv-step")
    with gr.Row():
        kv_attention = gr.Plot(show_label=False, elem_id="ins-kv-attention")
    kv_timing = gr.Plot(show_label=False, elem_id="ins-kv-timing")
    with translated(gr.Accordion(t("ins.facts"), open=False), label="ins.facts"):
        kv_facts = gr.JSON()

    translated(gr.Markdown(t("ins.dec.heading")), value="ins.dec.heading")
    dec_prompt = translated(gr.Textbox(DECODING_EXAMPLE, lines=2, label=t("ins.dec.prompt")), label="ins.dec.prompt")
    with gr.Row():
        dec_new = translated(NumberSlider(1, MAX_DECODING_TOKENS, value=MAX_DECODING_TOKENS, step=1, label=t("ins.dec.new_tokens")),
                             label="ins.dec.new_tokens")
        beam_width = translated(NumberSlider(1, MAX_BEAM_WIDTH, value=3, step=1, label=t("ins.dec.beam_width")),
                                label="ins.dec.beam_width")
        seed = translated(NumberBox(0, precision=0, label=t("smp.seed")), label="smp.seed")
    with gr.Row():
        top_k = translated(NumberSlider(1, 200, value=40, step=1, label=t("smp.top_k")), label="smp.top_k")
        top_p = translated(NumberSlider(0.05, 1.0, value=0.9, step=0.01, label=t("smp.top_p")), label="smp.top_p")
        min_p = translated(NumberSlider(0.0, 0.5, value=0.1, step=0.01, label=t("smp.min_p")), label="smp.min_p")
        penalty = translated(NumberSlider(1.0, 3.0, value=1.3, step=0.05, label=t("smp.penalty")), label="smp.penalty",
                             info="ins.dec.penalty_info")
    dec_button = translated(gr.Button(t("ins.dec.run"), variant="primary", elem_id="ins-dec-run"), value="ins.dec.run")
    dec_table = gr.HTML(elem_id="ins-dec-table")
    dec_bars = gr.Plot(show_label=False, elem_id="ins-dec-bars")
    with translated(gr.Accordion(t("ins.facts"), open=False), label="ins.facts"):
        dec_facts = gr.JSON()

    translated(gr.Markdown(t("ins.tf.heading")), value="ins.tf.heading")
    with gr.Row():
        tf_text = translated(gr.Textbox(TEACHER_EXAMPLE, lines=2, label=t("ins.tf.text"), scale=3, elem_id="ins-tf-input"),
                             label="ins.tf.text")
        tf_prompt = translated(NumberSlider(1, MAX_TF_PROMPT, value=4, step=1, label=t("ins.tf.prompt_tokens")),
                               label="ins.tf.prompt_tokens", info="ins.tf.prompt_info")
        tf_button = translated(gr.Button(t("ins.tf.run"), variant="primary", elem_id="ins-tf-run"), value="ins.tf.run")
    tf_summary = gr.HTML()
    with gr.Row():
        with gr.Column():
            translated(gr.Markdown(t("ins.tf.left")), value="ins.tf.left")
            tf_html = gr.HTML(elem_id="ins-tf-text")
        with gr.Column():
            translated(gr.Markdown(t("ins.tf.right")), value="ins.tf.right")
            gen_html = gr.HTML(elem_id="ins-tf-generation")
    tf_bars = gr.Plot(show_label=False, elem_id="ins-tf-bars")
    with translated(gr.Accordion(t("ins.facts"), open=False), label="ins.facts"):
        tf_facts = gr.JSON()

    translated(gr.Markdown(t("ins.about.heading")), value="ins.about.heading")
    about_button = translated(gr.Button(t("ins.about.run"), elem_id="ins-about-run"), value="ins.about.run")
    about_text = gr.Markdown(elem_id="ins-about")
    with gr.Row():
        about_curves = gr.Plot(show_label=False, elem_id="ins-about-curves")
        about_channels = gr.Plot(show_label=False, elem_id="ins-about-channels")
    with translated(gr.Accordion(t("ins.about.raw"), open=False), label="ins.about.raw"):
        about_report = gr.JSON()

    probe_inputs, probe_outputs = [model_choice, probe_text, k, token_a, token_b, language], [probe_note, lens, change, between, probe_facts]
    probe_handler = make_probe_handler(hub)
    probed = probe_button.click(probe_handler, probe_inputs, probe_outputs, api_name="look_inside")
    # A link fills the probe (and runs it) and may also prefill the decoding and teacher-forcing texts.
    link.fields.update(text=probe_text, k=k, a=token_a, b=token_b, decoding=dec_prompt, teacher=tf_text)
    link.section_buttons.update(kv="ins-kv-run", decoding="ins-dec-run", teacher="ins-tf-run", about="ins-about-run")
    link.handler, link.inputs, link.outputs, link.drawn_by = probe_handler, probe_inputs, probe_outputs, [probed]
    kv_cache_run, kv_cache_step, next_step = make_cache_handlers(hub)
    shown = [kv_html, kv_attention, kv_timing, kv_facts]
    kv_shown = kv_button.click(kv_cache_run, [model_choice, kv_prompt, kv_new, language], [kv_record, kv_step, kv_next],
                               api_name="kv_cache_run").then(kv_cache_step, [kv_record, kv_step, language], shown,
                                                             api_name="kv_cache_show")
    # "always_last": a keyboard releases the slider once per key press; the step shown must be the last one.
    kv_stepped = kv_step.release(kv_cache_step, [kv_record, kv_step, language], shown, api_name="kv_cache_step",
                                 trigger_mode="always_last")
    kv_next_shown = kv_next.click(next_step, [kv_record, kv_step, language], kv_step, api_name="kv_cache_next",
                                  trigger_mode="always_last").then(
        kv_cache_step, [kv_record, kv_step, language], shown, api_name="kv_cache_next_show")
    dec_inputs = [model_choice, dec_prompt, dec_new, beam_width, top_k, top_p, min_p, penalty, seed, language]
    dec_outputs = [dec_table, dec_bars, dec_facts]
    dec_handler = make_decoding_handler(hub)
    decoded = dec_button.click(dec_handler, dec_inputs, dec_outputs, api_name="decoding_strategies")
    tf_run = gr.State()  # the run on screen, so that a language redraw does not measure again
    tf_inputs = [model_choice, tf_text, tf_prompt, language]
    tf_outputs = [tf_html, gen_html, tf_summary, tf_bars, tf_facts, tf_run]
    tf_handler = make_teacher_forcing_handler(hub)
    measured = tf_button.click(tf_handler, tf_inputs, tf_outputs, api_name="teacher_forcing")
    about_outputs = [about_text, about_curves, about_channels, about_report]
    about_handler = make_about_handler(hub)
    about_shown = about_button.click(about_handler, [language], about_outputs, api_name="about_model")
    # The probe redraws with the tab (the link handler); these sections redraw only if they were drawn.
    redraw_on_language_switch(link, [kv_shown, kv_stepped, kv_next_shown], kv_cache_step, [kv_record, kv_step, language],
                              shown, "kv_cache_in_language", language)
    redraw_on_language_switch(link, [decoded], dec_handler, dec_inputs, dec_outputs, "decoding_in_language", language)
    redraw_on_language_switch(link, [measured], tf_handler, [*tf_inputs, tf_run], tf_outputs, "teacher_forcing_in_language",
                              language)
    redraw_on_language_switch(link, [about_shown], about_handler, [language], about_outputs, "about_model_in_language", language)
