"""Tab 3: one batch, five padding strategies, each compared token for token with running alone."""

from __future__ import annotations

import html

import gradio as gr
import torch

from model import PaddingStrategy, fit_to_context, generate, generate_each_strategy
from viz.attention import prediction_bars
from viz.padding import layout_grids

from .common import MAX_BATCH, NumberSlider, MAX_PROMPT_CHARACTERS, Translated, UserInputError, choice, friendly, on_gpu, normalise_language, number, t, text_input
from .deeplinks import TabLink
from .hub import ModelHub

STRATEGIES = [s.value for s in PaddingStrategy]
EXAMPLE_PROMPTS = "To be, or not to be, that is the question:\nRomeo:\nWhat light through yonder window"
TOP = 8


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
        notes.append(t("pad.note.blank", language).format(n=len(all_lines) - len(lines)))
    if any(truncated):
        rows = ", ".join(f"#{r}" for r, cut in enumerate(truncated) if cut)
        notes.append(t("pad.note.truncated", language).format(rows=rows, room=loaded.context - max_new))
    return prompts, notes


def _first_divergence(a: list[int], b: list[int]) -> int | None:
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), None if len(a) == len(b) else min(len(a), len(b)))


def make_padding_handler(hub: ModelHub):
    @friendly
    @on_gpu
    @torch.no_grad()
    def padding_lab(model_name, prompts_text, max_new_tokens, strategy_shown, row_shown, language):
        """Generate the batch under every strategy and compare each row with the prompt run alone."""
        language = normalise_language(language)
        loaded = hub.get(model_name)
        model, tokenizer, pad_id = loaded.model, loaded.tokenizer, loaded.tokenizer.eot_id
        max_new = number(max_new_tokens, t("pad.max_new", language), 1, 32, integer=True, language=language)
        choice(strategy_shown, t("pad.strategy", language), STRATEGIES, language)
        prompts, notes = _prompts(prompts_text, language, loaded, max_new)
        row_shown = number(row_shown, t("pad.row", language), 0, len(prompts) - 1, integer=True, language=language)

        alone = [generate(model, [p], max_new, pad_id=pad_id, keep_logits=True) for p in prompts]
        results = {s.value: r for s, r in generate_each_strategy(model, prompts, max_new, STRATEGIES, pad_id=pad_id, keep_logits=True).items()}

        summary: dict[str, list[dict]] = {}
        cells = []
        for strategy, result in results.items():
            summary[strategy] = []
            for r, (tokens, reference) in enumerate(zip(result.new_tokens, alone)):
                diverge = _first_divergence(tokens, reference.new_tokens[0])
                compared = len(tokens) if diverge is None else diverge + 1  # same history up to here
                delta = float((result.step_logits[r][:compared] - reference.step_logits[0][:compared]).abs().max())
                summary[strategy].append({"row": r, "matches_alone": diverge is None, "first_divergence": diverge,
                                          "max_abs_dlogit": delta})
                cells.append((strategy, r, tokens, diverge, delta))

        table = "".join(f'<p class="ntl-note">ⓘ {html.escape(note)}</p>' for note in notes) + _results_table(cells, tokenizer, language)
        layout = results[strategy_shown].layout
        grid_text = [[p.text if real else "⟨pad⟩" for p, real in zip(tokenizer.pieces(row.tolist()), reals.tolist())]
                     for row, reals in zip(layout.input_ids, layout.real_tokens)]
        grids = layout_grids(
            grid_text, layout.attention_mask.numpy(), layout.position_ids.numpy(),
            (t("pad.grid.tokens", language), t("pad.grid.mask_llama" if strategy_shown == "right-masked" else "pad.grid.mask", language),
             t("pad.grid.positions", language)),
            t("pad.fig.layout", language).format(strategy=strategy_shown), t(f"pad.explain.{strategy_shown}", language),
        )
        first = results[strategy_shown].step_logits[row_shown][0]
        reference_first = alone[row_shown].step_logits[0][0]
        top = lambda logits: ([p.text for p in tokenizer.pieces(torch.softmax(logits, -1).topk(TOP).indices.tolist())],  # noqa: E731
                              torch.softmax(logits, -1).topk(TOP).values.tolist())
        bars = prediction_bars(
            {t("pad.alone", language): top(reference_first), strategy_shown: top(first)},
            t("pad.fig.first", language).format(row=row_shown),
            t("pad.fig.first_summary", language).format(delta=float((first - reference_first).abs().max())),
        )
        return grids, table, bars, summary

    return padding_lab


def _results_table(cells, tokenizer, language: str) -> str:
    header = "".join(f"<th>{t(k, language)}</th>" for k in ("pad.h.strategy", "pad.h.row", "pad.h.continuation", "pad.h.alone", "pad.h.dlogit"))
    rows = []
    for strategy, r, tokens, diverge, delta in cells:
        pieces = [html.escape(p.text) for p in tokenizer.pieces(tokens)]
        if diverge is not None and diverge < len(pieces):
            pieces[diverge] = f'<span class="ntl-diverge" title="{t("pad.first_diverge", language)}">{pieces[diverge]}</span>'
        verdict = (f'<span class="ntl-match">✓ {t("pad.match", language)}</span>' if diverge is None
                   else f'✗ {t("pad.differs_at", language).format(i=diverge)}')
        rows.append(f"<tr><td>{strategy}</td><td>#{r}</td><td>{''.join(pieces)}</td><td>{verdict}</td><td>{delta:.2e}</td></tr>")
    return f'<table class="ntl-table"><thead><tr>{header}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def build(translated: Translated, hub: ModelHub, model_choice, language, link: TabLink) -> None:
    translated(gr.Markdown(t("pad.intro")), value="pad.intro")
    with gr.Row():
        prompts = translated(gr.Textbox(EXAMPLE_PROMPTS, lines=4, label=t("pad.prompts"), elem_id="pad-prompts"),
                             label="pad.prompts", info="pad.prompts_info")
        with gr.Column():
            strategy = translated(gr.Dropdown(STRATEGIES, value="right-naive", label=t("pad.strategy")), label="pad.strategy")
            row = translated(NumberSlider(0, MAX_BATCH - 1, value=1, step=1, label=t("pad.row")), label="pad.row")
            max_new = translated(NumberSlider(1, 32, value=10, step=1, label=t("pad.max_new")), label="pad.max_new")
    run = translated(gr.Button(t("pad.run"), variant="primary", elem_id="pad-run"), value="pad.run")
    grids = gr.Plot(elem_id="pad-grids")
    table = gr.HTML(elem_id="pad-table")
    bars = gr.Plot()
    with translated(gr.Accordion(t("pad.facts"), open=False), label="pad.facts"):
        summary = gr.JSON()
    inputs, outputs = [model_choice, prompts, max_new, strategy, row, language], [grids, table, bars, summary]
    handler = make_padding_handler(hub)
    run.click(handler, inputs, outputs, api_name="padding_lab")
    link.fields.update(prompts=prompts, new=max_new, strategy=strategy, row=row)
    link.handler, link.inputs, link.outputs = handler, inputs, outputs
