"""Tab 3: one batch, five padding strategies, each compared token for token with running alone."""

from __future__ import annotations

import html
from typing import Callable

import gradio as gr
import torch

from model import PaddingStrategy, StrategyComparison, compare_strategies, fit_to_context
from model.comparison import ALONE
from viz.common import marked
from viz.attention import prediction_bars
from viz.padding import layout_grids

from .common import MAX_BATCH, NumberSlider, MAX_PROMPT_CHARACTERS, RecentResults, Translated, UserInputError, choice, friendly, hover_words, logit_difference, named_choices, on_gpu, normalise_language, number, t, text_input
from .i18n import plural_s
from .deeplinks import TabLink
from .hub import LoadedModel, ModelHub

STRATEGIES = [s.value for s in PaddingStrategy]
EXAMPLE_PROMPTS = "To be, or not to be, that is the question:\nRomeo:\nWhat light through yonder window"
TOP = 8
COMPARISONS_KEPT = 64  # each holds token ids and a few numbers per row: a few kB


def _prompts(text: str, language: str, loaded, max_new: int) -> tuple[list[list[int]], list[str]]:
    """One prompt per non-empty line, each cut to fit the context; plus notes on what was changed."""
    text = text_input(text, t("pad.prompts", language), MAX_PROMPT_CHARACTERS, language=language)
    all_lines = text.splitlines()
    lines = [line for line in all_lines if line.strip()]
    if not 2 <= len(lines) <= MAX_BATCH:
        raise UserInputError(t("pad.err.count", language).format(n=len(lines), max=MAX_BATCH))
    prompts, truncated = fit_to_context([loaded.tokenizer.encode(line) for line in lines], max_new, loaded.context)
    notes = []
    if len(lines) < len(all_lines):
        notes.append(t("pad.note.blank", language).format(n=len(all_lines) - len(lines), s=plural_s(len(all_lines) - len(lines))))
    if any(truncated):
        rows = ", ".join(f"#{r}" for r, cut in enumerate(truncated) if cut)
        notes.append(t("pad.note.truncated", language).format(rows=rows, room=loaded.context - max_new))
    return prompts, notes


def make_padding_handler(hub: ModelHub) -> Callable[..., tuple]:
    kept = RecentResults(COMPARISONS_KEPT)

    def compared(loaded: LoadedModel, prompts: tuple[tuple[int, ...], ...], max_new: int, pad_id: int) -> StrategyComparison:
        """Greedy runs are a function of their inputs: a class clicking the same example runs it once,
        and choosing another strategy or row to show redraws without running the model again."""
        # On the CPU each op runs on one thread (app.py); two workers put the lab's independent runs
        # on both cores of a small box. A GPU runs them one after another.
        workers = 2 if loaded.model.device.type == "cpu" else 1
        return kept.get((loaded.key, prompts, max_new, pad_id),
                        lambda: compare_strategies(loaded.model, prompts, max_new, pad_id, STRATEGIES, top=TOP, workers=workers))

    @friendly
    @on_gpu
    @torch.no_grad()
    def padding_lab(model_name, prompts_text, max_new_tokens, strategy_shown, row_shown, language):
        """Generate the batch under every strategy and compare each row with the prompt run alone."""
        language = normalise_language(language)
        loaded = hub.get(model_name)
        tokenizer = loaded.tokenizer
        max_new = number(max_new_tokens, t("pad.max_new", language), 1, 32, integer=True, language=language)
        shown = PaddingStrategy(choice(strategy_shown, t("pad.strategy", language), STRATEGIES, language))
        prompts, notes = _prompts(prompts_text, language, loaded, max_new)
        # A row past this batch (a link's row=3 for two prompts, say) shows the last row rather than failing.
        row_shown = min(number(row_shown, t("pad.row", language), 0, MAX_BATCH - 1, integer=True, language=language),
                        len(prompts) - 1)
        comparison = compared(loaded, tuple(map(tuple, prompts)), max_new, tokenizer.eot_id)

        summary = {strategy.value: [{"row": c.row, "matches_alone": c.matches_alone, "same_logits": c.same_logits,
                                     "first_divergence": c.first_divergence, "max_abs_dlogit": c.max_abs_dlogit} for c in rows]
                   for strategy, rows in comparison.rows.items()}
        notes_html = "".join(f'<p class="ntl-note">ⓘ {html.escape(note)}</p>' for note in notes)
        table = notes_html + _results_table(comparison, tokenizer, language)
        layout = comparison.layouts[shown]
        grid_text = [[p.text if real else "⟨pad⟩" for p, real in zip(tokenizer.pieces(row.tolist()), reals.tolist())]
                     for row, reals in zip(layout.input_ids, layout.real_tokens)]
        grids = layout_grids(
            grid_text, layout.attention_mask.numpy(), layout.position_ids.numpy(),
            (t("pad.grid.tokens", language), t("pad.grid.mask_llama" if shown is PaddingStrategy.RIGHT_MASKED else "pad.grid.mask", language),
             t("pad.grid.positions", language)),
            t("pad.fig.layout", language).format(strategy=t(f"pad.name.{shown.value}", language)), t(f"pad.explain.{shown.value}", language),
            first_pass=(layout.first_pass_columns, t("pad.grid.first_pass", language)), words=hover_words(language),
        )
        bar_text = lambda top: ([p.text for p in tokenizer.pieces(top.ids.tolist())], top.probs.tolist())  # noqa: E731
        bars = prediction_bars(
            {t("pad.alone", language): bar_text(comparison.first_step[(ALONE, row_shown)]),
             t(f"pad.name.{shown.value}", language): bar_text(comparison.first_step[(shown.value, row_shown)])},
            t("pad.fig.first", language).format(row=row_shown),
            t("pad.fig.first_summary", language).format(delta=comparison.first_step_dlogit[(shown.value, row_shown)]),
        )
        return grids, table, bars, summary

    return padding_lab


def _results_table(comparison: StrategyComparison, tokenizer, language: str) -> str:
    header = "".join(f"<th>{t(k, language)}</th>" for k in ("pad.h.strategy", "pad.h.row", "pad.h.continuation", "pad.h.alone", "pad.h.dlogit"))
    rows, agree_by_luck, exact = [], False, False
    for strategy, compared_rows in comparison.rows.items():
        for c in compared_rows:
            pieces = [html.escape(marked(p.text)) for p in tokenizer.pieces(c.tokens)]
            if c.first_divergence is not None and c.first_divergence < len(pieces):
                pieces[c.first_divergence] = (f'<span class="ntl-diverge" title="{t("pad.first_diverge", language)}">'
                                              f'{pieces[c.first_divergence]}</span>')
            if c.same_logits:  # an exact 0 is this machine's kernels agreeing, not a property of the strategy
                verdict = f'<span class="ntl-match">✓ {t("pad.match", language)}</span>'
                exact = exact or c.max_abs_dlogit == 0
            elif c.matches_alone:
                verdict = f'<span class="ntl-near">≈ {t("pad.same_tokens", language)}</span>'
                agree_by_luck = True
            else:
                verdict = f'✗ {t("pad.differs_at", language).format(i=c.first_divergence + 1)}'
            rows.append(f"<tr><td>{t(f'pad.name.{strategy.value}', language)}</td><td>#{c.row}</td><td>{''.join(pieces)}</td><td>{verdict}</td>"
                        f"<td>{logit_difference(c.max_abs_dlogit)}</td></tr>")
    note = f'<p>≈ {t("pad.same_tokens_why", language)}</p>' if agree_by_luck else ""
    note += f'<p>{t("pad.exact_zero", language)}</p>' if exact else ""
    return f'<table class="ntl-table"><thead><tr>{header}</tr></thead><tbody>{"".join(rows)}</tbody></table>{note}'


def row_range(prompts_text: str):
    """The row slider offers only rows the batch has (one per non-empty line, at least two)."""
    count = sum(1 for line in str(prompts_text or "").splitlines() if line.strip())
    return gr.update(maximum=max(1, min(count, MAX_BATCH) - 1))


def build(translated: Translated, hub: ModelHub, model_choice, language, link: TabLink) -> None:
    translated(gr.Markdown(t("pad.intro")), value="pad.intro")
    with gr.Row():
        prompts = translated(gr.Textbox(EXAMPLE_PROMPTS, lines=4, label=t("pad.prompts"), elem_id="pad-prompts"),
                             label="pad.prompts", info="pad.prompts_info")
        with gr.Column():
            names = named_choices("pad.name", STRATEGIES)
            strategy = translated(gr.Dropdown(names(), value="right-naive", label=t("pad.strategy"), elem_id="pad-strategy"), label="pad.strategy",
                                  choices=names)
            row = translated(NumberSlider(0, MAX_BATCH - 1, value=1, step=1, label=t("pad.row")), label="pad.row")
            max_new = translated(NumberSlider(1, 32, value=10, step=1, label=t("pad.max_new")), label="pad.max_new")
    run = translated(gr.Button(t("pad.run"), variant="primary", elem_id="pad-run"), value="pad.run")
    grids = gr.Plot(show_label=False, elem_id="pad-grids")
    table = gr.HTML(elem_id="pad-table")
    bars = gr.Plot(show_label=False)
    with translated(gr.Accordion(t("pad.facts"), open=False), label="pad.facts"):
        summary = gr.JSON()
    inputs, outputs = [model_choice, prompts, max_new, strategy, row, language], [grids, table, bars, summary]
    handler = make_padding_handler(hub)
    clicked = run.click(handler, inputs, outputs, api_name="padding_lab")
    # Another strategy or row of the same batch redraws at once (the comparison is cached).
    changed = gr.on([strategy.input, row.release], handler, inputs, outputs, trigger_mode="always_last",
                    api_name="padding_on_change", api_visibility="private")
    # On load and on every edit (a link's prompts included); links may still name any row up to MAX_BATCH - 1.
    gr.on(None, row_range, [prompts], row, queue=False, api_name="padding_rows", api_visibility="private")
    link.fields.update(prompts=prompts, new=max_new, strategy=strategy, row=row)
    link.handler, link.inputs, link.outputs, link.drawn_by = handler, inputs, outputs, [clicked, changed]
