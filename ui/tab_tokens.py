"""Tab 1: how text becomes tokens, in three real tokenizers side by side."""

from __future__ import annotations

import gradio as gr

from model import get_tokenizer
from viz.tokens import comparison_table, composed_characters, composed_note, token_chips

from .deeplinks import TabLink
from .common import MAX_TEXT_CHARACTERS, Translated, friendly, normalise_language, t, text_input

TOKENIZERS = ("gpt2", "cl100k_base", "o200k_base")
MAX_CHIPS = 1_000  # per tokenizer: more is unreadable, and megabytes of HTML take the browser seconds
EXAMPLES = [
    "Apples 🍎 are tasty. 苹果很好吃。",  # the first view: whole English words beside byte pieces
    "The quick brown fox jumps over the lazy dog.",
    "我喜欢吃苹果，因为它很好吃",
    "Emoji: 🍎🙂👩‍👩‍👧 👍🏽 🇨🇳",
    "def square(x):\n    return x ** 2",
    "In 2024, 3.14159 × 1000 = 3141.59",
    "Hello<|endoftext|>World",
]


@friendly
def tokenize(text: str, allow_special: bool, show_bytes: bool, language: str) -> tuple[str, str, dict, dict]:
    """Tokenize with every tokenizer: chips per tokenizer, a counts table, the raw ids, and each
    shown token's id, text and bytes (what the CSV export lays out one token per row)."""
    language = normalise_language(language)
    text = text_input(text, t("tok.text", language), MAX_TEXT_CHARACTERS, allow_empty=True, language=language)
    sections, rows, ids, each = [], [], {}, {}
    characters, byte_count = len(text), len(text.encode("utf-8"))
    for name in TOKENIZERS:
        tokenizer = get_tokenizer(name)
        token_ids = tokenizer.encode(text, allow_special=bool(allow_special))
        pieces = tokenizer.pieces(token_ids)
        ids[name] = token_ids
        each[name] = [{"id": p.id, "text": p.text, "bytes": " ".join(f"{b:02X}" for b in p.bytes), "special": p.special}
                      for p in pieces[:MAX_CHIPS]]
        partial = sum(p.partial for p in pieces)
        sections.append(
            f"<h4>{name} · {len(token_ids):,} {t('tok.token' if len(token_ids) == 1 else 'tok.tokens', language)}"
            f"{f' · {partial:,} ' + t('tok.partial_count', language) if partial else ''}</h4>"
            + (token_chips(pieces[:MAX_CHIPS], show_bytes=bool(show_bytes), partial_label=t("tok.partial", language), bytes_label=t("hover.bytes", language),
                           special_label=t("tok.special_bytes", language))
               if token_ids else f"<p>{t('tok.empty', language)}</p>")
            + (f'<p class="ntl-note">{t("tok.chips_capped", language).format(shown=MAX_CHIPS, n=len(pieces))}</p>'
               if len(pieces) > MAX_CHIPS else "")
        )
        rows.append({
            "tokenizer": name,
            "tokens": f"{len(token_ids):,}",
            "characters": f"{characters:,}",
            "bytes": f"{byte_count:,}",
            "chars_per_token": f"{characters / len(token_ids):.2f}" if token_ids else "–",
            "vocab": f"{tokenizer.vocab_size:,}",
        })
    composed = composed_characters(text)
    if composed:
        sections.insert(0, composed_note(composed, t("tok.composed", language), t("tok.composed_item", language)))
    headers = [t(k, language) for k in ("tok.h.name", "tok.h.tokens", "tok.h.chars", "tok.h.bytes", "tok.h.cpt", "tok.h.vocab")]
    return "".join(sections), comparison_table(rows, headers), ids, each


def build(translated: Translated, language: gr.components.Component, link: TabLink) -> None:
    translated(gr.Markdown(t("tok.intro")), value="tok.intro")
    with gr.Row():
        text = translated(gr.Textbox(value=EXAMPLES[0], lines=3, max_lines=12, label=t("tok.text"), elem_id="tok-text"),
                          label="tok.text")
        with gr.Column(scale=0, min_width=220):
            allow_special = translated(gr.Checkbox(False, label=t("tok.special")), label="tok.special", info="tok.special_info")
            show_bytes = translated(gr.Checkbox(True, label=t("tok.bytes")), label="tok.bytes")
            run = translated(gr.Button(t("tok.run"), variant="primary", elem_id="tok-run"), value="tok.run")
    # A Dataset, not gr.Examples: choosing an example re-sends only the text (Examples re-sends the
    # whole text box, with the English label it was built with).
    examples = translated(gr.Dataset(components=[text], samples=[[example] for example in EXAMPLES], label=t("tok.examples")),
                          label="tok.examples")
    stats = gr.HTML(elem_id="tok-stats")
    chips = gr.HTML(elem_id="tok-chips")
    with translated(gr.Accordion(t("tok.ids"), open=False), label="tok.ids"):
        ids = gr.JSON()
    with translated(gr.Accordion(t("tok.each"), open=False), label="tok.each"):
        each = gr.JSON()
    inputs = [text, allow_special, show_bytes, language]
    outputs = [chips, stats, ids, each]
    drawn_by = [
        run.click(tokenize, inputs, outputs, api_name="tokenize"),
        text.submit(tokenize, inputs, outputs, api_name="tokenize_on_enter", api_visibility="private"),
        # The chips always match the controls: ticking a box or choosing an example redraws them at once.
        gr.on([allow_special.input, show_bytes.input], tokenize, inputs, outputs, api_name="tokenize_on_option",
              api_visibility="private"),
        examples.click(lambda sample: sample[0], examples, text, queue=False, api_name="choose_example",
                       api_visibility="private").then(tokenize, inputs, outputs, api_name="tokenize_example",
                                                      api_visibility="private"),
    ]
    link.fields.update(text=text, special=allow_special, bytes=show_bytes)
    link.handler, link.inputs, link.outputs, link.drawn_by = tokenize, inputs, outputs, drawn_by
