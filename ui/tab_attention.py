"""Tab 2: attention heatmaps per layer and head, the mask that produced them, and a mask gallery."""

from __future__ import annotations

from typing import Callable

import gradio as gr
import numpy as np
import torch

from model import MaskKind, build_attention_mask, generate, pad_batch
from model.inspect import top_tokens
from viz.common import quoted
from viz.attention import attention_heatmap, heads_grid, mask_gallery, mask_heatmap, prediction_bars

from .common import MAX_NEW_TOKENS, MAX_PROMPT_CHARACTERS, NumberSlider, Translated, UserInputError, choice, friendly, hover_words, named_choices, on_gpu, normalise_language, number, t, text_input
from .deeplinks import TabLink
from .i18n import plural_s
from .hub import ModelHub

MASK_KINDS = [k.value for k in MaskKind]
TOP_PREDICTIONS = 8


def _encode(loaded, prompt: str, label: str, language: str) -> list[int]:
    ids = loaded.tokenizer.encode(prompt)
    if len(ids) > loaded.context // 2:
        raise UserInputError(t("att.err.too_many_tokens", language).format(label=label, n=len(ids), limit=loaded.context // 2))
    return ids


def _labels(tokenizer, ids: list[int], is_pad: list[bool]) -> list[str]:
    return ["⟨pad⟩" if pad else piece.text for piece, pad in zip(tokenizer.pieces(ids), is_pad)]


def _top(tokenizer, logits: torch.Tensor) -> tuple[list[str], list[float]]:
    top = top_tokens(logits, TOP_PREDICTIONS)
    return [p.text for p in tokenizer.pieces(top.ids.tolist())], top.probs.tolist()


def _applied_name(kind: str, padded: bool, language: str) -> str:
    """The name of the mask a row really gets: padding adds its own blocked columns to the chosen kind."""
    if not padded:
        return t(f"mask.{kind}", language)
    return t("mask.causal_padding", language) if kind == "causal" else f"{t(f'mask.{kind}', language)} + {t('mask.padding', language)}"


def make_attention_handler(hub: ModelHub) -> Callable[..., tuple]:
    @friendly
    @on_gpu
    @torch.no_grad()
    def attention(model_name, prompt_a, prompt_b, padding_side, mask_kind, prefix_length, window, layer, head, row,
                  extend_tokens, language):
        """Run the model once under the chosen mask and show what every head attended to."""
        language = normalise_language(language)
        loaded = hub.get(model_name)
        model, tokenizer, pad_id = loaded.model, loaded.tokenizer, loaded.tokenizer.eot_id
        config = model.config
        name_a, name_b = t("att.prompt_a", language), t("att.prompt_b", language)
        prompts = [_encode(loaded, text_input(prompt_a, name_a, MAX_PROMPT_CHARACTERS, language=language), name_a, language)]
        if prompt_b and str(prompt_b).strip():
            prompts.append(_encode(loaded, text_input(prompt_b, name_b, MAX_PROMPT_CHARACTERS, language=language), name_b, language))
        choice(mask_kind, t("att.mask", language), MASK_KINDS, language)
        choice(padding_side, t("att.side", language), ("left", "right"), language)
        layer = number(layer, t("att.layer", language), 0, config.n_layer - 1, integer=True, language=language)
        head = number(head, t("att.head", language), 0, config.n_head - 1, integer=True, language=language)
        # Row B with no prompt B (say, just cleared) shows row A rather than failing.
        asked_row = number(row, t("att.row", language), 0, 1, integer=True, language=language)
        row = min(asked_row, len(prompts) - 1)
        extend = number(extend_tokens, t("att.extend", language), 0, min(16, MAX_NEW_TOKENS), integer=True, language=language)
        prefix_length = number(prefix_length, t("att.prefix", language), 0, config.n_positions, integer=True, language=language)
        window = number(window, t("att.window", language), 1, config.n_positions, integer=True, language=language)

        generated = 0
        if extend:
            continuation = generate(model, prompts, extend, pad_id=pad_id)
            generated = len(continuation.new_tokens[row])
            prompts = [p + new for p, new in zip(prompts, continuation.new_tokens)]
        batch = pad_batch(prompts, pad_id, padding_side, device=model.device)
        out = model(batch.input_ids, attention_mask=batch.attention_mask, mask_kind=mask_kind,
                    prefix_length=prefix_length, window=window, output_attentions=True)
        # The causal run is the reference prediction; with the causal mask chosen it is the same run.
        causal = out if mask_kind == "causal" else model(batch.input_ids, attention_mask=batch.attention_mask)

        is_pad = (batch.attention_mask[row] == 0).tolist()
        pads = [i for i, p in enumerate(is_pad) if p]
        labels = _labels(tokenizer, batch.input_ids[row].tolist(), is_pad)
        weights = out.attentions[layer][row].float().cpu().numpy()
        applied = out.mask[min(row, out.mask.shape[0] - 1), 0].cpu().numpy()
        last_real = max(i for i, p in enumerate(is_pad) if not p)
        written = [i for i, p in enumerate(is_pad) if not p][-generated:] if generated else []  # after the prompt, either side

        mask_name = t(f"mask.{mask_kind}", language)
        applied_name = _applied_name(mask_kind, bool(pads), language)
        heatmap = attention_heatmap(
            weights[head], labels, t("att.fig.head", language).format(layer=layer, head=head, mask=applied_name),
            t("att.fig.head_summary", language).format(n=len(labels), pads=len(pads))
            + (t("att.row_fallback", language) if asked_row != row else "")
            + (t("att.generated_note", language).format(first=written[0], last=written[-1], n=generated, s=plural_s(generated))
               if generated else ""), pads,
            (t("att.axis.key", language), t("att.axis.query", language)), hover_words(language),
        )
        grid = heads_grid(weights, labels, t("att.fig.heads", language).format(layer=layer),
                          t("att.fig.heads_summary", language).format(h=config.n_head), t("att.head", language),
                          hover_words(language))
        mask_fig = mask_heatmap(applied, labels, t("att.fig.mask", language).format(mask=applied_name),
                                t("att.fig.mask_summary", language).format(allowed=int(applied.sum()), total=applied.size), pads,
                                hover_words(language))
        width = len(labels)
        real = batch.attention_mask[row : row + 1]
        # Every kind as this row would get it (its padding included): the chosen one is the panel above.
        gallery = {_applied_name(kind, bool(pads), language):
                   build_attention_mask(kind, width, width, real, prefix_length=prefix_length, window=window)
                   for kind in MASK_KINDS}
        gallery_fig = mask_gallery({k: v[0, 0].cpu().numpy() for k, v in gallery.items()}, labels,
                                   t("att.fig.gallery", language),
                                   t("att.fig.gallery_summary" + ("_pads" if pads else ""), language).format(row="AB"[row]), pads,
                                   hover_words(language))
        # The prediction where the chosen mask changes the logits most: at the last position a
        # bidirectional mask has no future to show, but "the" in "sat on the mat" can read "mat".
        real_positions = [i for i, pad in enumerate(is_pad) if not pad]
        change = (out.logits[row, real_positions].float() - causal.logits[row, real_positions].float()).abs().amax(-1)
        at = last_real if mask_kind == "causal" else real_positions[int(change.argmax())]
        chosen, reference = _top(tokenizer, out.logits[row, at]), _top(tokenizer, causal.logits[row, at])
        title = t("att.fig.next_causal_title" if mask_kind == "causal" else "att.fig.next", language).format(
            token=quoted(labels[at]), position=at)
        if mask_kind == "causal":  # one run: two identical panels would only suggest a difference
            predictions = prediction_bars({t("att.reference", language): reference}, title, t("att.fig.next_causal", language))
        else:
            summary = t("att.fig.next_summary", language).format(a=quoted(reference[0][0]), b=quoted(chosen[0][0]),
                                                                 delta=float(change.max()))
            later = [i for i in real_positions if i > at]
            if later:  # what the text really says next, and whether this mask lets the position read it
                following = int(batch.input_ids[row, later[0]])
                summary += t("att.fig.next_truth", language).format(
                    token=quoted(labels[later[0]]),
                    causal=float(torch.softmax(causal.logits[row, at].float(), -1)[following]),
                    chosen=float(torch.softmax(out.logits[row, at].float(), -1)[following]))
                if applied[at, later[0]]:
                    summary += t("att.fig.next_reads_it", language)
            predictions = prediction_bars(
                {t("att.reference", language): reference, t("att.chosen", language).format(mask=mask_name): chosen}, title,
                summary,
            )
        rows_sum = weights[head].sum(-1)
        facts = {
            "tokens": width,
            "pad_positions": pads,
            "mask": mask_kind,
            "row": row,
            "layer": layer,
            "head": head,
            "row_sums_min": float(rows_sum[rows_sum > 0].min()) if (rows_sum > 0).any() else 0.0,
            "row_sums_max": float(rows_sum.max()),
            "masked_cells_max_weight": float(np.abs(weights[:, ~applied]).max()) if (~applied).any() else 0.0,
            "prediction_position": at,
            "top_next_token": {"causal": reference[0][0], mask_kind: chosen[0][0]},
        }
        return heatmap, grid, mask_fig, gallery_fig, predictions, facts

    return attention


def build(translated: Translated, hub: ModelHub, model_choice, language, link: TabLink) -> tuple[gr.Slider, gr.Slider]:
    """Lay out the tab; returns the layer and head sliders, whose ranges follow the chosen model."""
    translated(gr.Markdown(t("att.intro")), value="att.intro")
    with gr.Row():
        prompt_a = translated(gr.Textbox("The cat sat on the mat because it was", label=t("att.prompt_a"), elem_id="att-a"),
                              label="att.prompt_a")
        prompt_b = translated(gr.Textbox("Once upon a time", label=t("att.prompt_b"), elem_id="att-b"),
                              label="att.prompt_b", info="att.prompt_b_info")
    with gr.Row():
        sides, masks = named_choices("side", ["left", "right"]), named_choices("mask", MASK_KINDS)
        padding_side = translated(gr.Radio(sides(), value="left", label=t("att.side")), label="att.side", choices=sides)
        mask_kind = translated(gr.Dropdown(masks(), value="causal", label=t("att.mask")), label="att.mask", choices=masks)
        prefix_length = translated(NumberSlider(0, 32, value=4, step=1, label=t("att.prefix")), label="att.prefix",
                                   info="att.prefix_info")
        window = translated(NumberSlider(1, 32, value=3, step=1, label=t("att.window")), label="att.window")
    with gr.Row():
        layer = translated(NumberSlider(0, 11, value=0, step=1, label=t("att.layer")), label="att.layer")
        head = translated(NumberSlider(0, 11, value=0, step=1, label=t("att.head")), label="att.head")
        row = translated(gr.Radio([("A", 0), ("B", 1)], value=1, label=t("att.row"), elem_id="att-row"), label="att.row")
        extend = translated(NumberSlider(0, 16, value=0, step=1, label=t("att.extend")), label="att.extend")
    run = translated(gr.Button(t("att.run"), variant="primary", elem_id="att-run"), value="att.run")
    with gr.Row():
        heatmap = gr.Plot(show_label=False, elem_id="att-heatmap")
        mask_fig = gr.Plot(show_label=False, elem_id="att-mask")
    predictions = gr.Plot(show_label=False, elem_id="att-predictions")
    heads = gr.Plot(show_label=False, elem_id="att-heads")
    gallery = gr.Plot(show_label=False, elem_id="att-gallery")
    with translated(gr.Accordion(t("att.facts"), open=False), label="att.facts"):
        facts = gr.JSON()
    inputs = [model_choice, prompt_a, prompt_b, padding_side, mask_kind, prefix_length, window, layer, head, row, extend, language]
    outputs = [heatmap, heads, mask_fig, gallery, predictions, facts]
    handler = make_attention_handler(hub)
    clicked = run.click(handler, inputs, outputs, api_name="attention")
    # Choosing another view of the same prompts redraws at once; editing the prompts still waits for the button.
    changed = gr.on([layer.release, head.release, row.input, padding_side.input, mask_kind.input, prefix_length.release,
                     window.release, extend.release],
                    handler, inputs, outputs, trigger_mode="always_last", api_name="attention_on_change", api_visibility="private")
    link.fields.update(a=prompt_a, b=prompt_b, side=padding_side, mask=mask_kind, prefix=prefix_length, window=window,
                       layer=layer, head=head, row=row, extend=extend)
    link.handler, link.inputs, link.outputs, link.drawn_by = handler, inputs, outputs, [clicked, changed]
    link.model_limits.update(layer=lambda name: hub.usable(name).model.config.n_layer - 1,
                             head=lambda name: hub.usable(name).model.config.n_head - 1)
    return layer, head
