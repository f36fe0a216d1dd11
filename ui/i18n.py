"""Every sentence the page shows, in English and Chinese. Keys are stable; add a language by adding a dict."""

from __future__ import annotations

LANGUAGES = {"en": "English", "zh": "中文"}

EN = {
    "app.title": "# Next-Token Lab",
    "app.subtitle": "How a GPT turns text into next tokens — every number on this page is computed live by a real model.",
    "app.model": "Model",
    "app.model_info": "bundled = small Shakespeare GPT shipped with the app (offline); gpt2 = GPT-2 124M (local folder or the Hub)",
    "app.language": "Language / 语言",
    "app.status_loading": "⏳ Loading the model…",
    "app.model_unavailable": "{model} could not be loaded here: {reason}. The page is back on the bundled model. ",
    "app.status": "**Model:** {model} · {parameters:,} parameters · {layers} layers × {heads} heads · width {width} · context {context} · on **{device}**",
    "app.random_note": " · ⚠️ **random weights**: the bundled model is not trained yet, so predictions are noise (the mechanics are still real).",
    "app.projector": "Projector mode (large, high contrast)",
    "app.run_complete": "Done",
    "app.copy_link": "🔗 Copy a link to this view",
    "app.link": "Link to this view",
    "app.presets": "📚 Prepared lessons (each opens in a new browser tab, its example ready)",
    "app.link_notice": "Parts of the link were ignored: {notices}",
    "app.csv": "⬇ Numbers behind this tab's figures (CSV)",
    "app.csv_file": "The numbers, as a CSV file",
    "tab.tokens": "1 · Tokenization",
    "tab.attention": "2 · Attention & masks",
    "tab.padding": "3 · Padding lab",
    "tab.sampling": "4 · Sampling lab",
    # Tokenization
    "tok.intro": (
        "A model never sees letters: it sees **token ids**. Each tokenizer cuts text into pieces from its own "
        "vocabulary (byte-pair encoding over UTF-8 bytes). Compare three real ones: GPT-2 (50 257 tokens), "
        "cl100k (GPT-3.5/4, ~100 k) and o200k (GPT-4o, ~200 k). In UTF-8 most Chinese characters are 3 bytes (rare ones past the first 65,536 code points take 4) and most emoji 4 (a family emoji glues several with joiners: 18 bytes or more); "
        "when a tokenizer splits it, a single token is **not a valid character on its own** — shown here by its "
        "hex bytes with a dashed border, and framed together with the tokens that complete the character."
    ),
    "tok.text": "Text",
    "tok.special": "Treat <|endoftext|> as a special token",
    "tok.special_info": "Off: typed text is just text (safe default). On: the string becomes the single end-of-text id.",
    "tok.bytes": "Show the bytes of each token",
    "tok.run": "Tokenize",
    "tok.ids": "Token ids (copyable)",
    "tok.each": "Each token: id, text, bytes (the tokens shown as chips)",
    "tok.tokens": "tokens",
    "tok.token": "token",
    "tok.partial": "bytes that only form a character together",
    "tok.special_bytes": "special: one id, not bytes of text",
    "tok.partial_count": "partial-UTF-8 tokens",
    "tok.empty": "No tokens: the text is empty.",
    "tok.composed": "What you see as one character can be several code points, and a tokenizer reads code points (as UTF-8 bytes): {list}.",
    "tok.composed_item": "{char} = {parts} ({n} code points, {bytes} bytes)",
    "tok.chips_capped": "Showing the first {shown:,} of {n:,} tokens; the counts above and the ids below cover them all.",
    "tok.h.name": "tokenizer",
    "tok.h.tokens": "tokens",
    "tok.h.chars": "characters (Unicode code points; 👩‍👩‍👧 is 5)",
    "tok.h.bytes": "UTF-8 bytes",
    "tok.h.cpt": "code points per token",
    "tok.h.vocab": "vocabulary",
    # Attention
    "att.intro": (
        "Each layer has several **attention heads**; each head gives every token (a *query*, one row) a probability "
        "distribution over the tokens it may read (*keys*, the columns). The **mask** decides which cells are allowed: "
        "a GPT uses a **causal** mask (no peeking at the future). With two prompts of different lengths the batch is "
        "padded; the **padding mask** blocks the pad columns (outlined in orange). Under the causal mask a left-pad "
        "row can read nothing at all (every key it may see is a pad): it is defined to attend to nothing (all zeros). "
        "Change the mask to see how a model trained causally "
        "reacts when it suddenly sees the future."
    ),
    "att.prompt_a": "Prompt A",
    "att.prompt_b": "Prompt B (optional)",
    "att.prompt_b_info": "With two prompts the batch is padded to the longer one.",
    "att.side": "Padding side",
    "att.mask": "Mask",
    "att.prefix": "Prefix length (prefix-LM)",
    "att.prefix_info": "Counted from the first real token: left pads are not part of the prefix.",
    "att.window": "Window (sliding window)",
    "att.layer": "Layer",
    "att.head": "Head",
    "att.row": "Show prompt",
    "att.extend": "Generate extra tokens first",
    "att.run": "Run the model",
    "att.facts": "Numbers behind the figures (indices count from 0)",
    "att.axis.key": "key (read from)",
    "att.axis.query": "query (reading)",
    "att.fig.head": "Layer {layer}, head {head} — {mask}",
    "att.fig.head_summary": (
        "Attention probabilities (positions: {n}, pads among them: {pads}); each non-empty row sums to 1. "
        "The colours keep a fixed 0–1 scale, so attention spread over many keys looks dark."
    ),
    "att.row_fallback": " Prompt B is empty, so this is prompt A.",
    "att.generated_note": " Generated by the model (greedy) after the prompt: positions {first}–{last} ({n} token{s}).",
    "att.fig.next_causal_title": "Next-token prediction after {token} (position {position}): the causal mask, as trained",
    "att.fig.heads": "All heads of layer {layer}",
    "att.fig.heads_summary": "{h} heads side by side on one colour scale: different heads learn different patterns.",
    "att.fig.mask": "The mask that was applied — {mask}",
    "att.fig.mask_summary": "Blue cells may be attended ({allowed} of {total}); grey cells are blocked and get weight exactly 0.",
    "att.fig.gallery": "Mask gallery",
    "att.fig.gallery_summary": "Prompt {row} under each kind of mask, its padding included (rows = queries, columns = keys; blue = allowed).",
    "att.fig.gallery_summary_pads": (
        "Prompt {row} under each kind of mask, its padding included (rows = queries, columns = keys; blue = allowed). "
        "No query reads a pad (dashed) column. A pad's own row reads the real tokens its rule allows "
        "(a left pad none, except when bidirectional); its output is never used."
    ),
    "att.fig.next": "Next-token prediction after {token} (position {position}): causal vs the chosen mask",
    "att.fig.next_summary": (
        "Top prediction with the causal mask: {a}; with the chosen mask: {b}. Shown at the position where the "
        "chosen mask changes the logits most (max |Δ logit| = {delta:.3g})."
    ),
    "att.fig.next_causal": "The chosen mask is the causal one, as in training: one run, so one panel.",
    "att.fig.next_truth": " The text's next token, {token}: p = {causal:.3f} under the causal mask, {chosen:.3f} under this one.",
    "att.fig.next_reads_it": (
        " This mask lets the position read that very token, but the model was trained with the causal mask only: "
        "reading ahead can help it or confuse it."
    ),
    "att.reference": "causal mask (as trained)",
    "att.chosen": "chosen mask: {mask}",
    "genre.comedy": "comedy",
    "genre.tragedy": "tragedy",
    "genre.history": "history",
    "genre.poem": "poem",
    "ins.about.stopped.time_budget": "its time budget",
    "ins.about.stopped.max_steps": "its step limit",
    "ins.about.stopped.stop_after": "a requested stop",
    "tok.examples": "Examples",
    "side.left": "left",
    "side.right": "right",
    "pad.name.left": "left: pads on the left",
    "pad.name.left-no-position-ids": "left-no-position-ids: left pads, but position ids count the pads",
    "pad.name.right-naive": "right-naive: pads on the right, nothing else",
    "pad.name.right-naive-pad-mask": "right-naive-pad-mask: right pads + padding mask",
    "pad.name.right-masked": "right-masked: right pads, LLaMA-style prompt mask",
    "mask.causal": "causal",
    "mask.padding": "padding",
    "mask.causal_padding": "causal + padding",
    "mask.bidirectional": "bidirectional",
    "mask.prefix_lm": "prefix-LM",
    "mask.sliding_window": "sliding window",
    # Padding lab
    "pad.intro": (
        "To generate for several prompts at once they must be padded to one length. A GPT reads the next token from "
        "the **last column**. Pad on the **right** and a short prompt's last column is a pad, so the model continues "
        "from a pad. Pad on the **left** (with a padding mask and position ids that skip the pads) and every row gives "
        "the tokens it would give alone; this is what Hugging Face does for decoder-only models. Meta's reference LLaMA "
        "code (`generation.py`) pads right but never reads a pad: it starts at the shortest prompt and keeps each row's "
        "own prompt tokens (`input_text_mask`). The table checks each strategy against running every prompt alone, "
        "token by token and logit by logit."
    ),
    "pad.prompts": "Prompts (one per line, 2–4)",
    "pad.prompts_info": "Different lengths make the point.",
    "pad.strategy": "Strategy shown in the figures",
    "pad.row": "Row shown in the distribution",
    "pad.max_new": "New tokens",
    "pad.run": "Compare the strategies",
    "pad.facts": "Numbers behind the table (indices count from 0)",
    "pad.err.count": "Give between 2 and {max} prompts, one per line (got {n}).",
    # Validation messages shared by every tab
    "err.not_number": "{name} must be a number, got {value}",
    "err.unexpected": "Something went wrong ({kind}). Please try other input.",
    "err.title": "Could not run this",
    "err.badge": "Not redrawn: the last run failed",
    # Gradio's own words on a slider (its number box, for a screen reader; its reset button).
    "a11y.number_box": "{label}: number box",
    "a11y.reset": "Reset to the default value",
    # Plotly's own words on every figure (its toolbar's tooltips, its hints).
    "fig.download_png": "Download the figure as a PNG image",
    "fig.reset_axes": "Reset axes",
    "fig.zoom_back": "Double-click to zoom back out",
    "fig.legend_isolate": "Double-click an entry of the legend to show only that one",
    "hover.query": "query", "hover.key": "key", "hover.weight": "weight", "hover.allowed": "allowed",
    "hover.row": "row", "hover.column": "column", "hover.mask": "mask", "hover.position": "position",
    "hover.rank": "rank", "hover.bytes": "bytes",
    "app.warning_title": "Note",
    "err.no_figures": "Run this tab first: there is nothing to export yet.",
    "app.unavailable.download": "it cannot be downloaded from the Hugging Face Hub without a network connection",
    "link.unknown_tab": "unknown tab {value}",
    "link.unknown_model": "unknown model {value}",
    "link.unknown_parameter": "unknown parameter {value}",
    "link.bad_value": "{name}={value} ({reason})",
    "link.reason.boolean": "expected true or false",
    "link.reason.number": "expected a number",
    "link.reason.whole": "expected a whole number",
    "link.separator": "; ",
    "link.reason.range": "outside {low}…{high}",
    "link.reason.choice": "expected one of {choices}",
    "link.reason.too_long": "too long",
    "err.not_finite": "{name} must be a finite number, got {value}",
    "err.range": "{name} must be between {low} and {high}, got {value}",
    "err.whole": "{name} must be a whole number, got {value}",
    "err.choice": "{name} must be one of {choices}",
    "err.not_text": "{name} must be text",
    "err.too_long_text": "{name} is {n} characters long; the limit here is {limit}",
    "err.empty": "{name}: nothing there yet — type some text first",
    "att.err.too_many_tokens": "{label} has {n:,} tokens; keep it to at most {limit:,} for a readable heatmap",
    "pad.grid.tokens": "tokens (blue = attended)",
    "pad.grid.mask": "attention mask",
    "pad.grid.mask_llama": "input_text_mask (prompt cells)",
    "pad.grid.positions": "position ids",
    "pad.fig.layout": "What the first forward pass sees — {strategy}",
    "pad.explain.left": "Pads on the left, masked; positions count real tokens only, so every row matches its run alone.",
    "pad.explain.left-no-position-ids": "Pads masked, but positions count the pads: padded rows see shifted positions and drift.",
    "pad.explain.right-naive": "Pads on the right and attended like text; short rows read their next token from a pad.",
    "pad.explain.right-naive-pad-mask": "Pads masked, positions fixed, but the first token is still read from a pad column.",
    "pad.explain.right-masked": "LLaMA style: start at the shortest prompt and keep prompt tokens where input_text_mask is set; no pad is ever read.",
    "pad.alone": "prompt alone",
    "pad.fig.first": "Row {row}: first-step next-token distribution vs the prompt alone",
    "pad.fig.first_summary": "max |Δlogit| at the first step = {delta:.3g}",
    "pad.h.strategy": "strategy",
    "pad.h.row": "row",
    "pad.h.continuation": "continuation (first divergent token highlighted)",
    "pad.h.alone": "equals running alone?",
    "pad.h.dlogit": "max |Δlogit|",
    "pad.first_diverge": "first token that differs from running alone",
    "pad.note.blank": "Skipped {n} empty line{s}: a prompt needs at least one token.",
    "pad.note.truncated": "Kept only the last {room} tokens of prompt {rows}, so that prompt + new tokens fit the context.",
    "pad.match": "same up to float rounding",
    "pad.exact_zero": (
        "A max |Δlogit| of 0 means bit-for-bit equal on this machine. Whether a batch's arithmetic matches a "
        "lone run exactly depends on the kernels and the number of threads, not on the strategy: elsewhere the "
        "same row may differ by about 1e-5, which is still the same computation."
    ),
    "pad.grid.first_pass": " ← first pass ends here; later columns go one step at a time",
    "pad.same_tokens": "same tokens, other logits",
    "pad.same_tokens_why": (
        "Same tokens, other logits: the greedy picks agree with the run alone, but the scores behind them "
        "do not, so this row was computed differently and only its top choices survived. A longer "
        "continuation or another prompt can make them differ."
    ),
    "pad.differs_at": "first differs at new token {i}",
    # Sampling lab
    "smp.intro": (
        "The model outputs one score (logit) per vocabulary token. Softmax turns them into probabilities, then each "
        "knob reshapes the distribution in a fixed order: **repetition penalty → temperature → top-k → top-p → "
        "min-p → renormalise**. Temperature 0 means greedy (always the top token). Each panel below shows the same "
        "tokens after each stage; the statistics say how many tokens survive and how uncertain the choice is."
    ),
    "smp.prompt": "Prompt",
    "smp.penalty": "Repetition penalty",
    "smp.temperature": "Temperature",
    "smp.temperature_info": "0 = greedy",
    "smp.top_k": "Top-k",
    "smp.top_p": "Top-p (nucleus)",
    "smp.min_p": "Min-p",
    "smp.off_zero": "0 = off",
    "smp.off_one": "1 = off",
    "smp.show": "Show the distribution",
    "smp.facts": "Numbers behind the figures (indices count from 0)",
    "smp.draws": "Number of draws",
    "smp.draw_facts": "Numbers behind the draws",
    "smp.seed": "Seed",
    "smp.draw": "Draw samples",
    "smp.max_new": "New tokens",
    "smp.generate": "Generate with these settings",
    "smp.gen_legend": (
        "Shading = the probability each new token had when it was drawn; hover a token for what the model alone gave "
        "it (before the knobs) and the top five it was drawn from."
    ),
    "smp.gen_model_p": "model alone: ",  # its own punctuation: a Chinese colon is full width
    "smp.kept": "kept",
    "smp.entropy": "entropy (nats)",
    "smp.probability": "probability",
    "smp.expected": "distribution sampled from",
    "smp.observed": "observed frequency",
    "smp.axis.rank": "tokens sorted by probability (rank)",
    "smp.axis.cumulative": "cumulative probability",
    "smp.fig.stages": "The distribution after each stage",
    "smp.fig.stages_summary": "Same tokens in every panel. Tokens the filters keep: {kept:,}.",
    "smp.fig.cumulative": "Top-p: where the nucleus ends",
    "smp.fig.cumulative_summary": "Tokens needed for their probability mass to reach p = {p:g} (the nucleus): {n:,}.",
    "smp.fig.cumulative_off": "Top-p is off (p = 1): it keeps what the earlier stages kept ({n:,} token{s}).",
    "smp.fig.cumulative_ties": (
        " Top-p keeps {kept:,}: the {tied:,} tokens tied with the last one needed have exactly its probability, "
        "and a filter cannot tell them apart."
    ),
    "smp.fig.sweep": "Temperature sweep",
    "smp.fig.sweep_summary": (
        "Temperature alone (the other knobs off): low temperature sharpens the distribution, high temperature flattens it."
    ),
    "smp.fig.sweep_summary_penalty": (
        "Temperature after the repetition penalty ({penalty:g}), the filters off: low temperature sharpens the "
        "distribution, high temperature flattens it."
    ),
    "smp.sweep_now": "now: T = {T:g}",
    "smp.fig.draws": "{n:,} seeded draws (seed {seed}) against their distribution",
    "smp.fig.draws_one": "Only one token can be drawn here, {token}, so all {n:,} draws are it: nothing is left to chance.",
    "smp.fig.draws_summary": (
        "Total variation distance between draws and distribution: {tv:.4f}. An exact sampler making the same "
        "{n:,} draws is off too: {mean:.4f} on average over {runs} simulated runs, 90 % of them between {low:.4f} and {high:.4f}. "
    ),
    "smp.fig.draws.inside": "Ours falls in that range: the difference is chance, and more draws make it smaller.",
    "smp.fig.draws.below": "Ours is closer than most exact runs: luck, not a better sampler.",
    "smp.fig.draws.above": "Ours is farther than 95 % of exact runs: worth a second look (try another seed).",
    "smp.h.stage": "stage",
    "smp.h.kept": "tokens kept",
    "smp.h.entropy": "entropy (nats)",
    "smp.h.effective": "effective choices (e^H)",
    "stage.model": "model softmax",
    "stage.repetition_penalty": "repetition penalty",
    "stage.temperature": "temperature",
    "stage.top_k": "top-k",
    "stage.top_p": "top-p",
    "stage.min_p": "min-p (final)",
    # Inside the model
    "tab.inside": "5 · Inside the model",
    "ins.intro": (
        "A GPT is a stack of blocks. Each block reads one running vector per position — the **residual "
        "stream** — and adds its own contribution to it; the final layer norm and the **unembedding** "
        "(the token-embedding matrix, reused) turn the last stream into a score for every token. Here "
        "you can read that stream after every block (the **logit lens**), see how much each block "
        "changes it, how strongly one token attends to another, what the **KV cache** saves during "
        "generation, how **decoding strategies** differ, and why training needs only **one pass** for a "
        "whole text."
    ),
    "ins.probe.heading": "### Logit lens · layer change · token-to-token attention",
    "ins.probe_text": "Text to look inside",
    "ins.k": "Top-k listed on hover",
    "ins.token_a": "Token A (reads)",
    "ins.token_b": "Token B (is read)",
    "ins.token_info": "position in the text; −1 = the last token",
    "ins.probe.run": "Look inside",
    "ins.facts": "Numbers behind the figures (indices count from 0)",
    "ins.embeddings": "embeddings",
    "ins.layer_n": "layer {n}",
    "ins.head_n": "head {n}",
    "ins.axis.position": "position (the token read there)",
    "ins.axis.stream": "residual stream read after",
    "ins.axis.layer": "layer",
    "ins.axis.head": "head",
    "ins.axis.cached": "cached position",
    "ins.err.too_long": "{label} has {n:,} tokens; keep it to {limit:,} here.",
    "ins.unseen": (
        "⚠️ {n} of these {total} tokens ({examples}) never occurred in this model's training text. It gave "
        "all such tokens **one shared embedding**, so to the model they look identical and what it shows "
        "for them means little. Try English text, ideally Shakespeare, which it was trained on."
    ),
    "ins.lens.title": "Logit lens: what each layer would predict next",
    "ins.lens.summary": (
        "Colour = the probability each layer already gives the model's final answer; text = that layer's "
        "own top guess. At the last position the final answer {token} is the top guess from {row} on."
    ),
    "ins.lens.unused": "⟨unused⟩",
    "ins.lens.unused_hover": " each ({each:.1e}); {n:,} tokens tied: {total:.3f} together",
    "ins.lens.unused_note": (
        " {label}: a tie of the {n:,} tokens the model never saw in training. They share one embedding, so "
        "each layer gives them one identical score, and where that score leads no single token is the guess."
    ),
    "ins.lens.colour": "p(final)",
    "ins.lens.hover_final": "p(final answer {token}) = {p:.3f}",
    "ins.change.title": "Layer change: cosine distance between each block's input and output",
    "ins.change.summary": (
        "Near 0 = the block barely turns the residual stream. On average layer {most} changes it most, "
        "layer {least} least."
    ),
    "ins.ab.title": "Attention from A = {a} to B = {b}, every layer and head",
    "ins.ab.summary": (
        "Strongest in layer {layer}, head {head}: p = {p:.3f}. Each cell is one entry of that head's "
        "attention matrix."
    ),
    "ins.ab.future": "B comes after A: a causal model cannot look ahead, so every cell is exactly 0. Pick B ≤ A.",
    "ins.kv.heading": (
        "### The KV cache, one step at a time\nEvery new token needs the keys and values of all earlier "
        "positions. **With a cache** they are computed once and kept, so a step feeds in a single "
        "column. **Without it** every step recomputes the whole sequence. Both runs below decode "
        "greedily and must produce the same tokens; press *Next step* to walk through them. On a model this "
        "small much of each step is a fixed cost that does not depend on the length (the output layer scores "
        "every token of the vocabulary), so the measured times part slowly. The columns computed show the "
        "difference exactly: one per step with the cache, the whole sequence per step without it."
    ),
    "ins.kv.prompt": "Prompt",
    "ins.kv.new_tokens": "New tokens",
    "ins.kv.run": "Run the stepper",
    "ins.kv.step": "Step",
    "ins.kv.next": "Next step ▶",
    "ins.kv.last": " (the last: “Next step” starts over)",
    "ins.kv.prefill": " · the prompt's own pass: the same work with or without the cache",
    "ins.kv.row.prompt": "prompt tokens",
    "ins.kv.prompt_cut": (
        "⚠️ {kept:,} of {given:,}: only the last {kept:,} were kept, so that prompt + new tokens fit the context of {context:,}"
    ),
    "ins.kv.row.fed": "columns fed into the model this step",
    "ins.kv.row.query": "query shape [batch, heads, new columns, head size]",
    "ins.kv.row.keys": "keys in the cache, per layer",
    "ins.kv.row.values": "values in the cache, per layer",
    "ins.kv.row.capacity": "cache capacity (preallocated columns)",
    "ins.kv.row.bytes": "cache memory, keys + values of all layers: filled / allocated (bytes)",
    "ins.kv.row.token": "next token",
    "ins.kv.same": "identical without the cache",
    "ins.kv.different": "⚠️ differs without the cache",
    "ins.kv.row.time": "time with / without the cache",
    "ins.kv.row.dlogit": "max |Δlogit|, with vs without the cache",
    "ins.kv.with": "with KV cache",
    "ins.kv.without": "without cache",
    "ins.kv.fig.attention": "Step {step}: what the newest token {token} reads in the cache",
    "ins.kv.fig.attention_summary": (
        "Mean over heads for each layer, over the {n} cached position{s}; the outlined column is the "
        "newest token itself."
    ),
    "ins.kv.fig.per_step": "time per step (ms)",
    "ins.kv.fig.cumulative": "cumulative time (ms)",
    "ins.kv.fig.columns": "cumulative columns computed",
    "ins.kv.fig.timing": "The cost of generating with and without the KV cache",
    "ins.kv.fig.timing_summary": (
        "{n} step{s}: {cached:.1f} ms in total with the cache, {uncached:.1f} ms without. With the cache a step "
        "computes one new column (whose attention still reads every cached one); without it a step recomputes "
        "every column, so the columns computed grow quadratically. The times show that growth only once it "
        "outweighs a step's fixed cost (scoring the whole vocabulary): on a model this small, after many steps."
    ),
    "ins.dec.heading": (
        "### Decoding strategies side by side\nOne prompt, five strategies, each with the repetition "
        "penalty off and on. **Greedy** always takes the top token and easily falls into a loop that "
        "repeats itself — the *repeater* problem (Chinese readers know it as “复读机”). **Beam search** keeps several candidate "
        "continuations and returns the best-scoring one *it kept* (the likeliest, with the penalty off; with "
        "it on, beams are ranked by their penalised scores) — a search, not a guarantee: with few "
        "beams another strategy can end on a likelier sequence; **top-k / top-p / min-p** sample from a trimmed "
        "distribution; the **repetition penalty** lowers every token already seen. All runs make the "
        "same number of tokens, so their log-probabilities under the model compare directly: higher "
        "means more likely, not necessarily better."
    ),
    "ins.dec.prompt": "Prompt",
    "ins.dec.new_tokens": "New tokens",
    "ins.dec.beam_width": "Beam width",
    "ins.dec.penalty_info": "used in the “on” runs",
    "ins.dec.run": "Compare the strategies",
    "ins.dec.strategy.greedy": "greedy",
    "ins.dec.strategy.beam": "beam search (width {width})",
    "ins.dec.strategy.top_k": "top-k (k = {k})",
    "ins.dec.strategy.top_p": "top-p (p = {p:g})",
    "ins.dec.strategy.min_p": "min-p ({min_p:g})",
    "ins.dec.penalty_off": "off",
    "ins.dec.penalty_on": "{penalty:g}",
    "ins.dec.h.strategy": "strategy",
    "ins.dec.h.penalty": "repetition penalty",
    "ins.dec.h.output": "output (repeating tail highlighted)",
    "ins.dec.h.logprob": "sequence log-prob",
    "ins.dec.h.repeated": "repeated 3-grams",
    "ins.dec.h.loop": "loop",
    "ins.dec.loop": "loops from new token {start} (period {period})",
    "ins.dec.legend_off": "repetition penalty off",
    "ins.dec.legend_on": "repetition penalty {penalty:g}",
    "ins.dec.no_loop": "none",
    "ins.dec.fig.title": "Likelihood and repetition of each strategy",
    "ins.dec.fig.logprob": "sequence log-probability (nats)",
    "ins.dec.fig.repeated": "share of repeated 3-grams",
    "ins.dec.summary_loop": (
        "Greedy falls into a loop: from new token {start} on, a cycle of {period} token{s} repeats to the end."
    ),
    "ins.dec.summary_no_loop": (
        "Greedy repeats no fixed cycle to the end here, yet {repeated:.0%} of its 3-grams are repeats; "
        "try more tokens or another prompt."
    ),
    "ins.dec.summary_best": " Likeliest output: {strategy}, penalty {penalty} ({logprob:.1f} nats).",
    "ins.tf.heading": (
        "### Teacher forcing vs generation\nTraining feeds the true text and asks for the next token at "
        "every position at once: the targets are the inputs shifted by one, and **one forward pass** "
        "gives every position's loss (its *surprisal*, −log p). Generation cannot do that: each new "
        "token depends on the one before, so it needs **one pass per token** — and it builds on its own "
        "guesses, not on the true text."
    ),
    "ins.tf.text": "Text",
    "ins.tf.prompt_tokens": "Generation starts after token",
    "ins.tf.prompt_info": "generation continues the text's first N tokens up to the text's length",
    "ins.tf.run": "Score and generate",
    "ins.tf.left": "**Teacher forcing** — each token shaded by its surprisal (hover for details)",
    "ins.tf.right": "**Generation** (greedy) — green = same token as the text, orange = different",
    "ins.tf.legend": "surprisal (nats):",
    "ins.tf.tip": "{token}: loss {loss:.3f} nats · p = {p:.4f} · model's top guess: {guess}",
    "ins.tf.gen_tip": "generated token {i}; the text has {truth}",
    "ins.tf.summary": (
        "Teacher forcing scored {n} position{n_s} in <b>1 forward pass</b> ({tf_ms:.1f} ms). Generation made "
        "{generated} token{generated_s} in <b>{passes} forward pass{passes_es}</b> ({gen_ms:.1f} ms); tokens that "
        "match the text: {matches} of {generated}."
    ),
    "ins.tf.diverged": " Generation first differs from the text at new token {first}; from there it continues its own text.",
    "ins.tf.coincidence": " A later match is a coincidence.",
    "ins.tf.shortened": (
        " The slider asks for {asked} prompt tokens, but the text has only {tokens}: generation starts after "
        "token {start}, leaving one to predict."
    ),
    "ins.tf.fig.title": "The loss at every position, from one forward pass",
    "ins.tf.fig.summary": (
        "Mean {mean:.3f} nats over {n} position{s} — the training loss on this text (perplexity {ppl:.1f})."
    ),
    "ins.tf.axis.target": "target token (the one to predict)",
    "ins.tf.axis.loss": "loss = surprisal (nats)",
    "ins.tf.err.short": "Teacher forcing needs at least two tokens: the first one is only context.",
    "ins.about.heading": "### About the bundled model",
    "ins.about.run": "Show the training report",
    "ins.about.facts": (
        "**{model}** · {parameters:,} parameters · {layers} layers × {heads} heads · width {width} · "
        "context {context} · running on {device}"
    ),
    "ins.about.random": "⚠️ No trained checkpoint is bundled yet: the app is running on random weights.",
    "ins.about.no_report": (
        "**No training report yet:** `{path}` does not exist. It is written when the bundled model is "
        "trained."
    ),
    "ins.about.no_report_short": "No training report yet.",
    "ins.about.h.key": "fact",
    "ins.about.h.value": "value",
    "ins.about.fig.curves": "Training curves",
    "ins.about.fig.curves_summary": "Cross-entropy in nats per token. Validation is whole works never trained on, so the gap is part unfamiliar plays, part memorising: only a validation curve that turns up is plain overfitting.",
    "ins.about.fig.channels": "Validation loss per genre",
    "ins.about.fig.channels_summary": (
        "A loss per genre (each a separate data source) shows what the model learned well and what it did not."
    ),
    "ins.about.axis.loss": "loss (nats per token)",
    "ins.about.axis.val_loss": "validation loss (nats per token)",
    "ins.about.no_curves": "The report holds no curves.",
    "ins.about.no_channels": "The report holds no per-genre losses.",
    "ins.about.raw": "The report as written",
    "ins.about.axis.step": "training step",
    "ins.about.series.running": "training loss (running mean)",
    "ins.about.series.train": "training loss (evaluation)",
    "ins.about.series.val": "validation loss (held-out works)",
    "ins.about.fact.parameters": "parameters",
    "ins.about.fact.checkpoint": "checkpoint precision",
    "ins.about.fact.checkpoint_bytes": "checkpoint size (bytes)",
    "ins.about.fact.data": "data",
    "ins.about.fact.channels": "genres (data sources)",
    "ins.about.fact.held_out": "held-out works (validation)",
    "ins.about.fact.train_tokens": "training tokens",
    "ins.about.fact.val_tokens": "validation tokens",
    "ins.about.fact.tokens_seen": "tokens seen in training",
    "ins.about.fact.epochs": "epochs",
    "ins.about.fact.steps": "optimizer steps",
    "ins.about.fact.stopped_by": "stopped by",
    "ins.about.fact.training_time": "training time (s)",
    "ins.about.fact.wall_time": "whole run, start to finish (s)",
    "ins.about.fact.cpu": "CPU",
    "ins.about.fact.threads": "threads",
    "ins.about.fact.device": "device",
    "ins.about.fact.bf16": "bf16 autocast",
    "ins.about.fact.train_loss": "final training loss (nats)",
    "ins.about.fact.val_loss": "final validation loss (nats)",
    "ins.about.fact.val_loss_shipped": "validation loss of the shipped float16 checkpoint (nats)",
    "ins.about.fact.val_per_channel": "final validation loss per genre (nats)",
    "ins.about.fact.command": "command",
}

ZH = {
    "app.title": "# Next-Token Lab · 下一个词元实验室",
    "app.subtitle": "看 GPT 如何把文字变成下一个词元——本页的每个数字都由真实模型现场算出。",
    "app.model": "模型",
    "app.model_info": "bundled = 随应用附带的小型莎士比亚 GPT（离线可用）；gpt2 = GPT-2 124M（本地目录或 Hugging Face Hub）",
    "app.language": "Language / 语言",
    "app.status_loading": "⏳ 正在加载模型……",
    "app.model_unavailable": "这里无法加载 {model}：{reason}。页面已切回内置模型。",
    "app.status": "**模型：** {model} · {parameters:,} 个参数 · {layers} 层 × {heads} 个注意力头 · 宽度 {width} · 上下文 {context} · 运行于 **{device}**",
    "app.random_note": " · ⚠️ **随机权重**：内置模型尚未训练，预测只是噪声（但计算过程是真实的）。",
    "app.projector": "投影模式（大字号、高对比度）",
    "app.run_complete": "完成",
    "app.copy_link": "🔗 复制指向当前视图的链接",
    "app.link": "当前视图的链接",
    "app.presets": "📚 备好的课程（每个链接都在新的浏览器标签页中打开，并准备好示例）",
    "app.link_notice": "链接中有部分内容被忽略：{notices}",
    "app.csv": "⬇ 本页图表背后的数字（CSV）",
    "app.csv_file": "数字（CSV 文件）",
    "tab.tokens": "1 · 分词",
    "tab.attention": "2 · 注意力与掩码",
    "tab.padding": "3 · 填充实验",
    "tab.sampling": "4 · 采样实验",
    "tok.intro": (
        "模型看不到“字”，它看到的是**词元 id**。每种分词器都用自己的词表把文本切成片段（在 UTF-8 字节上做 BPE）。"
        "这里并排比较三种真实的分词器：GPT-2（50 257 个词元）、cl100k（GPT-3.5/4，约 10 万）和 o200k（GPT-4o，约 20 万）。"
        "在 UTF-8 里，大多数汉字占 3 个字节（码位超出前 65,536 个的生僻字占 4 个），大多数表情符号占 4 个（家庭表情由几个表情加连接符拼成，要 18 个字节以上）；如果分词器把它拆开，单个词元**本身就不是一个完整的字符**——"
        "这里用虚线框和十六进制字节显示它，并把拼成同一个字符的几个词元框在一起。"
    ),
    "tok.text": "文本",
    "tok.special": "把 <|endoftext|> 当作特殊词元",
    "tok.special_info": "关闭：用户输入的只是普通文字（安全的默认做法）。打开：这串字符变成唯一的“文本结束”id。",
    "tok.bytes": "显示每个词元的字节",
    "tok.run": "分词",
    "tok.ids": "词元 id（可复制）",
    "tok.each": "每个词元：id、文字、字节（即上面显示为色块的词元）",
    "tok.tokens": "个词元",
    "tok.token": "个词元",
    "tok.partial": "只有合在一起才构成字符的字节",
    "tok.special_bytes": "特殊词元：一个 id，不是文字的字节",
    "tok.partial_count": "个不完整的 UTF-8 词元",
    "tok.empty": "没有词元：文本为空。",
    "tok.composed": "看起来是一个字符，可能由几个码位组成，而分词器读的是码位（的 UTF-8 字节）：{list}。",
    "tok.composed_item": "{char} = {parts}（{n} 个码位，{bytes} 个字节）",
    "tok.chips_capped": "只显示前 {shown:,} 个词元（共 {n:,} 个）；上面的计数和下面的 id 包含全部词元。",
    "tok.h.name": "分词器",
    "tok.h.tokens": "词元数",
    "tok.h.chars": "字符数（Unicode 码位；👩‍👩‍👧 算 5 个）",
    "tok.h.bytes": "UTF-8 字节数",
    "tok.h.cpt": "每个词元的码位数",
    "tok.h.vocab": "词表大小",
    "att.intro": (
        "每一层有多个**注意力头**。每个头为每个词元（*查询*，一行）在它能读到的词元（*键*，各列）上给出一个概率分布。"
        "**掩码**决定哪些格子允许读取：GPT 用的是**因果掩码**（不能偷看后面的词）。输入两个长度不同的提示词时，批次需要填充，"
        "**填充掩码**会挡住填充列（橙色虚线框）。在因果掩码下，左侧填充的行什么都读不到（它能看到的键全是填充），我们规定它“不关注任何位置”（全为 0）。"
        "换一种掩码，看看一个按因果方式训练的模型突然看到“未来”时会怎样。"
    ),
    "att.prompt_a": "提示词 A",
    "att.prompt_b": "提示词 B（可选）",
    "att.prompt_b_info": "有两个提示词时，批次会被填充到较长的那个长度。",
    "att.side": "填充方向",
    "att.mask": "掩码",
    "att.prefix": "前缀长度（prefix-LM）",
    "att.prefix_info": "从第一个真实词元开始数：左侧的填充不算在前缀里。",
    "att.window": "窗口大小（滑动窗口）",
    "att.layer": "层",
    "att.head": "注意力头",
    "att.row": "显示哪个提示词",
    "att.extend": "先多生成几个词元",
    "att.run": "运行模型",
    "att.facts": "图背后的数字（下标从 0 开始）",
    "att.axis.key": "键（被读取）",
    "att.axis.query": "查询（正在读取）",
    "att.fig.head": "第 {layer} 层，第 {head} 个头 —— {mask}",
    "att.fig.head_summary": "注意力概率（共 {n} 个位置，其中填充 {pads} 个）；每个非空行之和为 1。颜色固定在 0–1 的刻度上，所以分散到很多键上的注意力看起来偏暗。",
    "att.row_fallback": "提示词 B 是空的，这里显示的是提示词 A。",
    "att.generated_note": "位置 {first}–{last}（{n} 个词元）是模型在提示词之后（贪心）生成的。",
    "att.fig.next_causal_title": "{token}（位置 {position}）之后的下一个词元预测：因果掩码（训练时的设置）",
    "att.fig.heads": "第 {layer} 层的全部注意力头",
    "att.fig.heads_summary": "{h} 个头并排、共用一个色标：不同的头学到不同的模式。",
    "att.fig.mask": "实际使用的掩码 —— {mask}",
    "att.fig.mask_summary": "蓝色格子可以关注（{total} 个中的 {allowed} 个）；灰色格子被挡住，权重严格为 0。",
    "att.fig.gallery": "掩码一览",
    "att.fig.gallery_summary": "提示词 {row} 在各种掩码下的样子，已包含它的填充（行 = 查询，列 = 键；蓝色 = 允许）。",
    "att.fig.gallery_summary_pads": (
        "提示词 {row} 在各种掩码下的样子，已包含它的填充（行 = 查询，列 = 键；蓝色 = 允许）。任何查询都不读取填充列（虚线框）。"
        "填充符自己的那一行读取规则允许的真实词元（左填充时一个也没有，双向掩码除外）；它的输出从不被使用。"
    ),
    "att.fig.next": "{token}（位置 {position}）之后的下一个词元预测：因果掩码 vs 所选掩码",
    "att.fig.next_summary": "因果掩码下的首选：{a}；所选掩码下的首选：{b}。这里显示的是所选掩码让 logits 变化最大的位置（最大 |Δ logit| = {delta:.3g}）。",
    "att.fig.next_causal": "所选掩码就是训练时用的因果掩码：只有一次运行，所以只有一个小图。",
    "att.fig.next_truth": "文本中真正的下一个词元 {token}：因果掩码下 p = {causal:.3f}，所选掩码下 {chosen:.3f}。",
    "att.fig.next_reads_it": "这个掩码让该位置能直接读到这个词元；但模型训练时只用过因果掩码，读到后文可能有帮助，也可能让它更糊涂。",
    "att.reference": "因果掩码（训练时的设置）",
    "att.chosen": "所选掩码：{mask}",
    "genre.comedy": "喜剧",
    "genre.tragedy": "悲剧",
    "genre.history": "历史剧",
    "genre.poem": "诗",
    "ins.about.stopped.time_budget": "时间预算用完",
    "ins.about.stopped.max_steps": "达到步数上限",
    "ins.about.stopped.stop_after": "按要求提前停止",
    "tok.examples": "示例",
    "side.left": "左侧",
    "side.right": "右侧",
    "pad.name.left": "left：左填充",
    "pad.name.left-no-position-ids": "left-no-position-ids：左填充，但位置编号把填充也算进去",
    "pad.name.right-naive": "right-naive：右填充，不加处理",
    "pad.name.right-naive-pad-mask": "right-naive-pad-mask：右填充 + 填充掩码",
    "pad.name.right-masked": "right-masked：右填充，LLaMA 式提示词掩码",
    "mask.causal": "因果",
    "mask.padding": "填充",
    "mask.causal_padding": "因果 + 填充",
    "mask.bidirectional": "双向",
    "mask.prefix_lm": "前缀 LM",
    "mask.sliding_window": "滑动窗口",
    "pad.intro": (
        "要一次为多个提示词生成文本，必须把它们填充到同一长度。GPT 从**最后一列**读出下一个词元。"
        "如果在**右侧**填充，短提示词的最后一列是填充符，模型就会接着填充符往下写。"
        "如果在**左侧**填充（配合填充掩码，并让位置编号跳过填充），每一行生成的词元都和单独运行时一样；"
        "Hugging Face 对仅解码器模型就是这样做的。Meta 的 LLaMA 参考代码（`generation.py`）在右侧填充，却从不读取填充符："
        "它从最短的提示词开始，并用 `input_text_mask` 保留每行提示词自己的词元。"
        "下表把每种策略和“每个提示词单独运行”逐个词元、逐个 logit 地对比。"
    ),
    "pad.prompts": "提示词（每行一个，2–4 个）",
    "pad.prompts_info": "长度不同，效果才明显。",
    "pad.strategy": "图中展示的策略",
    "pad.row": "分布图展示哪一行",
    "pad.max_new": "新生成的词元数",
    "pad.run": "比较各种策略",
    "pad.facts": "表格背后的数字（下标从 0 开始）",
    "pad.err.count": "请输入 2 到 {max} 个提示词，每行一个（现在是 {n} 个）。",
    "err.not_number": "{name}必须是数字，收到的是 {value}",
    "err.unexpected": "出了点问题（{kind}）。请换一个输入再试。",
    "err.title": "无法运行",
    "err.badge": "未重画：上次运行失败",
    "a11y.number_box": "{label}：数值输入框",
    "a11y.reset": "恢复默认值",
    "fig.download_png": "把这张图下载为 PNG 图片",
    "fig.reset_axes": "恢复坐标轴",
    "fig.zoom_back": "双击可缩回原来的范围",
    "fig.legend_isolate": "双击图例中的一项，只显示那一项",
    "hover.query": "查询", "hover.key": "键", "hover.weight": "权重", "hover.allowed": "允许",
    "hover.row": "行", "hover.column": "列", "hover.mask": "掩码", "hover.position": "位置",
    "hover.rank": "名次", "hover.bytes": "字节",
    "app.warning_title": "提示",
    "err.no_figures": "请先运行这一页：现在还没有可以导出的内容。",
    "app.unavailable.download": "没有网络连接，无法从 Hugging Face Hub 下载",
    "link.unknown_tab": "未知的标签页 {value}",
    "link.unknown_model": "未知的模型 {value}",
    "link.unknown_parameter": "未知的参数 {value}",
    "link.bad_value": "{name}={value}（{reason}）",
    "link.reason.boolean": "应为 true 或 false",
    "link.reason.number": "应为数字",
    "link.reason.whole": "应为整数",
    "link.separator": "；",
    "link.reason.range": "超出 {low}…{high}",
    "link.reason.choice": "应为以下之一：{choices}",
    "link.reason.too_long": "太长",
    "err.not_finite": "{name}必须是有限的数字，收到的是 {value}",
    "err.range": "{name}必须在 {low} 到 {high} 之间，收到的是 {value}",
    "err.whole": "{name}必须是整数，收到的是 {value}",
    "err.choice": "{name}必须是以下之一：{choices}",
    "err.not_text": "{name}必须是文本",
    "err.too_long_text": "{name}有 {n} 个字符；这里最多 {limit} 个",
    "err.empty": "{name}：还没有内容，请先输入一些文字",
    "att.err.too_many_tokens": "{label} 有 {n:,} 个词元；为了热力图清晰，请不要超过 {limit:,} 个",
    "pad.grid.tokens": "词元（蓝色 = 被关注）",
    "pad.grid.mask": "注意力掩码",
    "pad.grid.mask_llama": "input_text_mask（提示词所在格）",
    "pad.grid.positions": "位置编号",
    "pad.fig.layout": "第一次前向计算看到的输入 —— {strategy}",
    "pad.explain.left": "左侧填充并加掩码；位置只数真实词元，所以每行都与单独运行一致。",
    "pad.explain.left-no-position-ids": "填充被掩盖了，但位置编号把填充也算进去：有填充的行位置整体错位，结果逐渐跑偏。",
    "pad.explain.right-naive": "右侧填充，并像普通文字一样被关注；短的行从填充符读出下一个词元。",
    "pad.explain.right-naive-pad-mask": "填充被掩盖、位置也正确，但第一个词元仍然是从填充列读出的。",
    "pad.explain.right-masked": "LLaMA 的做法：从最短提示词开始，凡是 input_text_mask 标记为提示词的位置就保留提示词自己的词元；从不读取填充符。",
    "pad.alone": "单独运行",
    "pad.fig.first": "第 {row} 行：第一步的下一词元分布 vs 单独运行",
    "pad.fig.first_summary": "第一步的最大 |Δlogit| = {delta:.3g}",
    "pad.h.strategy": "策略",
    "pad.h.row": "行",
    "pad.h.continuation": "续写（高亮第一个不同的词元）",
    "pad.h.alone": "与单独运行相同？",
    "pad.h.dlogit": "最大 |Δlogit|",
    "pad.first_diverge": "第一个与单独运行不同的词元",
    "pad.note.blank": "跳过了 {n} 个空行：每个提示词至少需要一个词元。",
    "pad.note.truncated": "提示词 {rows} 只保留了最后 {room} 个词元，使提示词加新词元不超过上下文长度。",
    "pad.match": "相同（仅差浮点舍入）",
    "pad.exact_zero": (
        "max |Δlogit| 为 0 表示在这台机器上逐位完全相同。批量计算能否与单独运行逐位一致，取决于底层算子和线程数，"
        "而不是填充策略：换一台机器，同一行可能相差约 1e-5，计算本质上仍然相同。"
    ),
    "pad.grid.first_pass": " ← 第一次前向到此为止；之后的列逐步送入",
    "pad.same_tokens": "词元相同，logits 不同",
    "pad.same_tokens_why": (
        "词元相同，logits 不同：贪心选出的词元与单独运行一致，但背后的分数不同，说明这一行的计算方式不一样，"
        "只是每步的第一名碰巧没变。生成得更长一些，或换个提示词，就可能出现不同的词元。"
    ),
    "pad.differs_at": "从第 {i} 个新词元起不同",
    "smp.intro": (
        "模型为词表里的每个词元输出一个分数（logit）。softmax 把它们变成概率，然后各个旋钮按固定顺序改造这个分布："
        "**重复惩罚 → 温度 → top-k → top-p → min-p → 重新归一化**。温度为 0 就是贪心解码（总选概率最高的词元）。"
        "下面每个小图展示同一批词元在每一步之后的概率；统计表告诉你还剩多少个候选、选择有多不确定。"
    ),
    "smp.prompt": "提示词",
    "smp.penalty": "重复惩罚",
    "smp.temperature": "温度",
    "smp.temperature_info": "0 = 贪心",
    "smp.top_k": "Top-k",
    "smp.top_p": "Top-p（核采样）",
    "smp.min_p": "Min-p",
    "smp.off_zero": "0 = 关闭",
    "smp.off_one": "1 = 关闭",
    "smp.show": "显示分布",
    "smp.facts": "图背后的数字（下标从 0 开始）",
    "smp.draws": "抽样次数",
    "smp.draw_facts": "抽样背后的数字",
    "smp.seed": "随机种子",
    "smp.draw": "抽样",
    "smp.max_new": "新生成的词元数",
    "smp.generate": "用这些设置生成",
    "smp.gen_legend": "底色 = 每个新词元被抽中时的概率；把鼠标停在词元上，可以看到模型本身（调节之前）给它的概率，以及当时概率最高的五个候选。",
    "smp.gen_model_p": "模型本身：",
    "smp.kept": "保留",
    "smp.entropy": "熵（nats）",
    "smp.probability": "概率",
    "smp.expected": "被抽样的分布",
    "smp.observed": "实际频率",
    "smp.axis.rank": "按概率排序的词元（名次）",
    "smp.axis.cumulative": "累计概率",
    "smp.fig.stages": "每一步之后的分布",
    "smp.fig.stages_summary": "每个小图是同一批词元。过滤后保留的词元：{kept:,} 个。",
    "smp.fig.cumulative": "Top-p：核在哪里截断",
    "smp.fig.cumulative_summary": "累计概率达到 p = {p:g} 所需的最少词元数（即“核”）：{n:,} 个。",
    "smp.fig.cumulative_off": "Top-p 已关闭（p = 1）：前面各步保留的 {n:,} 个词元全部留下。",
    "smp.fig.cumulative_ties": "Top-p 实际保留 {kept:,} 个：另有 {tied:,} 个词元与最后一个所需词元概率完全相同，过滤无法把它们区分开。",
    "smp.fig.sweep": "温度扫描",
    "smp.fig.sweep_summary": "只调温度（其他旋钮关闭）：温度低，分布变尖；温度高，分布变平。",
    "smp.fig.sweep_summary_penalty": "先做重复惩罚（{penalty:g}），再只调温度（过滤器关闭）：温度低，分布变尖；温度高，分布变平。",
    "smp.sweep_now": "当前：T = {T:g}",
    "smp.fig.draws": "{n:,} 次带种子的抽样（种子 {seed}）与其分布对比",
    "smp.fig.draws_one": "这里只有一个词元可能被抽中：{token}，所以 {n:,} 次抽样全都是它，没有任何随机性。",
    "smp.fig.draws_summary": (
        "抽样结果与分布之间的总变差距离：{tv:.4f}。一个完全精确的抽样器做同样 {n:,} 次抽样也会有偏差："
        "{runs} 次模拟平均 {mean:.4f}，其中 90% 落在 {low:.4f}–{high:.4f} 之间。"
    ),
    "smp.fig.draws.inside": "我们的结果就在这个范围内：差距来自随机性，抽样越多就越小。",
    "smp.fig.draws.below": "我们的结果比大多数精确模拟更接近：这是运气，不是抽样器更好。",
    "smp.fig.draws.above": "我们的结果比 95% 的精确模拟偏差更大：值得再检查一下（换个种子试试）。",
    "smp.h.stage": "步骤",
    "smp.h.kept": "保留的词元数",
    "smp.h.entropy": "熵（nats）",
    "smp.h.effective": "等效候选数（e^H）",
    "stage.model": "模型 softmax",
    "stage.repetition_penalty": "重复惩罚",
    "stage.temperature": "温度",
    "stage.top_k": "top-k",
    "stage.top_p": "top-p",
    "stage.min_p": "min-p（最终）",
    "tab.inside": "5 · 模型内部",
    "ins.intro": (
        "GPT 由一层层的块（block）堆叠而成。每个位置有一条贯穿全模型的向量——**残差流**，每个块读取它，再把"
        "自己的结果加回去；最后经过最终的 LayerNorm 和**反嵌入**（复用词元嵌入矩阵），残差流变成词表里每个"
        "词元的分数。在这里你可以：在每一层之后直接读出残差流的预测（**logit lens**），看每个块把残差流改变"
        "了多少，看一个词元对另一个词元的注意力有多强，看生成时 **KV 缓存**省下了什么，比较各种**解码策略**，"
        "并弄明白为什么训练时整段文本只需要**一次前向计算**。"
    ),
    "ins.probe.heading": "### Logit lens · 每层的改变 · 词元之间的注意力",
    "ins.probe_text": "要观察的文本",
    "ins.k": "悬停时列出前 k 个",
    "ins.token_a": "词元 A（读取方）",
    "ins.token_b": "词元 B（被读取）",
    "ins.token_info": "在文本中的位置；−1 表示最后一个词元",
    "ins.probe.run": "看看内部",
    "ins.facts": "图背后的数字（下标从 0 开始）",
    "ins.embeddings": "嵌入层",
    "ins.layer_n": "第 {n} 层",
    "ins.head_n": "头 {n}",
    "ins.axis.position": "位置（该处读入的词元）",
    "ins.axis.stream": "在此之后读取残差流",
    "ins.axis.layer": "层",
    "ins.axis.head": "注意力头",
    "ins.axis.cached": "缓存中的位置",
    "ins.err.too_long": "{label}有 {n:,} 个词元；这里最多 {limit:,} 个。",
    "ins.unseen": (
        "⚠️ 这 {total} 个词元中有 {n} 个（{examples}）从未出现在这个模型的训练文本里。模型给所有这样的词元"
        "**同一个嵌入向量**，所以在模型看来它们完全一样，图中关于它们的结果意义不大。请换成英文，最好是"
        "莎士比亚的文字——模型就是用它训练的。"
    ),
    "ins.lens.title": "Logit lens：每一层会预测下一个词元是什么",
    "ins.lens.summary": (
        "颜色 = 该层已经给模型最终答案多大的概率；格中文字 = 该层自己的首选。最后一个位置上，最终答案 "
        "{token} 从「{row}」起一直是首选。"
    ),
    "ins.lens.unused": "⟨未用⟩",
    "ins.lens.unused_hover": "（每个 {each:.1e}；{n:,} 个词元并列，合计 {total:.3f}）",
    "ins.lens.unused_note": (
        "{label}：模型在训练中从未见过的 {n:,} 个词元并列。它们共用一个嵌入向量，所以每一层给它们的分数完全相同；"
        "这个分数领先的地方，没有哪一个词元算得上首选。"
    ),
    "ins.lens.colour": "p(最终答案)",
    "ins.lens.hover_final": "p(最终答案 {token}) = {p:.3f}",
    "ins.change.title": "每层的改变：每个块输入与输出之间的余弦距离",
    "ins.change.summary": (
        "接近 0 说明这个块几乎没有改变残差流的方向。平均而言，第 {most} 层改变最大，第 {least} 层最小"
        "。"
    ),
    "ins.ab.title": "A = {a} 对 B = {b} 的注意力：所有层、所有头",
    "ins.ab.summary": (
        "最强的是第 {layer} 层的头 {head}：p = {p:.3f}。每一格都是该头注意力矩阵中的一个元素。"
    ),
    "ins.ab.future": "B 在 A 之后：因果模型不能往后看，所以每一格都严格为 0。请选择 B ≤ A。",
    "ins.kv.heading": (
        "### KV 缓存，一步一步看\n每生成一个新词元，都要用到之前所有位置的键（K）和值（V）。**有缓存**时，它"
        "们只算一次就存起来，每一步只需送入一列；**没有缓存**时，每一步都要把整段序列重新算一遍。下面两种方式都用贪心"
        "解码，生成的词元必须完全一样；点「下一步」逐步查看。"
        "模型这么小的时候，每一步有相当一部分是与长度无关的固定开销（输出层要给词表中的每个词元打分），"
        "所以实测耗时拉开得比较慢。“累计计算的列数”则准确地显示出差别：有缓存时每步一列，没有缓存时每步整段序列。"
    ),
    "ins.kv.prompt": "提示词",
    "ins.kv.new_tokens": "新生成的词元数",
    "ins.kv.run": "开始逐步生成",
    "ins.kv.step": "步骤",
    "ins.kv.next": "下一步 ▶",
    "ins.kv.last": "（最后一步：“下一步”会从头开始）",
    "ins.kv.prefill": " · 这是提示词本身的那次前向计算：有没有缓存，工作量都一样",
    "ins.kv.row.prompt": "提示词的词元数",
    "ins.kv.prompt_cut": "⚠️ {given:,} 个中的 {kept:,} 个：只保留了最后 {kept:,} 个，使提示词加新词元不超过 {context:,} 的上下文",
    "ins.kv.row.fed": "这一步送入模型的列数",
    "ins.kv.row.query": "查询的形状 [批, 头数, 新列数, 每头维度]",
    "ins.kv.row.keys": "缓存中的键（每层）",
    "ins.kv.row.values": "缓存中的值（每层）",
    "ins.kv.row.capacity": "缓存容量（预分配的列数）",
    "ins.kv.row.bytes": "缓存内存：所有层的键 + 值，已填充 / 已分配（字节）",
    "ins.kv.row.token": "下一个词元",
    "ins.kv.same": "与不用缓存时相同",
    "ins.kv.different": "⚠️ 与不用缓存时不同",
    "ins.kv.row.time": "耗时：有缓存 / 无缓存",
    "ins.kv.row.dlogit": "有无缓存之间的最大 |Δlogit|",
    "ins.kv.with": "有 KV 缓存",
    "ins.kv.without": "无缓存",
    "ins.kv.fig.attention": "第 {step} 步：最新的词元 {token} 在缓存中读了哪些位置",
    "ins.kv.fig.attention_summary": (
        "每层对各头取平均，覆盖缓存中的 {n} 个位置；加框的一列是最新词元自己。"
    ),
    "ins.kv.fig.per_step": "每步耗时（毫秒）",
    "ins.kv.fig.cumulative": "累计耗时（毫秒）",
    "ins.kv.fig.columns": "累计计算的列数",
    "ins.kv.fig.timing": "有无 KV 缓存时生成的代价",
    "ins.kv.fig.timing_summary": (
        "共 {n} 步：有缓存总计 {cached:.1f} 毫秒，无缓存 {uncached:.1f} 毫秒。有缓存时每步只算一个新列"
        "（它的注意力仍要读缓存中的每一列）；没有缓存时每步都把所有列重算一遍，所以计算的列数按平方增长。"
        "只有当这部分超过每步的固定开销（给整个词表打分）时，耗时才显出这种增长：在这么小的模型上，要走很多步之后。"
    ),
    "ins.dec.heading": (
        "### 解码策略并排比较\n同一个提示词，五种策略，每种都分别关闭和打开重复惩罚。**贪心解码**每次都取概率最高的"
        "词元，很容易陷入自我重复的循环——也就是常说的“复读机”问题。**束搜索**同时保留几条候选续写，最后返回它保留下来的"
        "候选中得分最高的一条（关闭惩罚时就是概率最高的；打开惩罚时按惩罚后的得分排序）——这只是搜索，不是保证：束很窄时，别的策略可能得到概率更高的序列；**top-k / top-p / min-p** 在截断后的分布里抽样；**重复惩罚**会压低所有已"
        "经出现过的词元。每种方式生成的词元数相同，所以它们在模型下的对数概率可以直接比较：越高表示越“像模型会说的话”，"
        "但不一定越好。"
    ),
    "ins.dec.prompt": "提示词",
    "ins.dec.new_tokens": "新生成的词元数",
    "ins.dec.beam_width": "束宽",
    "ins.dec.penalty_info": "用于“开”的那一组",
    "ins.dec.run": "比较各种策略",
    "ins.dec.strategy.greedy": "贪心",
    "ins.dec.strategy.beam": "束搜索（束宽 {width}）",
    "ins.dec.strategy.top_k": "top-k（k = {k}）",
    "ins.dec.strategy.top_p": "top-p（p = {p:g}）",
    "ins.dec.strategy.min_p": "min-p（{min_p:g}）",
    "ins.dec.penalty_off": "关",
    "ins.dec.penalty_on": "{penalty:g}",
    "ins.dec.h.strategy": "策略",
    "ins.dec.h.penalty": "重复惩罚",
    "ins.dec.h.output": "输出（高亮部分在循环重复）",
    "ins.dec.h.logprob": "序列对数概率",
    "ins.dec.h.repeated": "重复的三元组",
    "ins.dec.h.loop": "循环",
    "ins.dec.loop": "从第 {start} 个新词元起循环（周期 {period}）",
    "ins.dec.legend_off": "不加重复惩罚",
    "ins.dec.legend_on": "重复惩罚 {penalty:g}",
    "ins.dec.no_loop": "无",
    "ins.dec.fig.title": "各策略的似然与重复程度",
    "ins.dec.fig.logprob": "序列对数概率（nats）",
    "ins.dec.fig.repeated": "重复三元组的比例",
    "ins.dec.summary_loop": (
        "贪心解码陷入了循环：从第 {start} 个新词元起，一段 {period} 个词元的循环一直重复到结尾。"
    ),
    "ins.dec.summary_no_loop": (
        "贪心解码在这里没有一直重复同一个循环到结尾，但它的 3-gram 中有 {repeated:.0%} 是重复的；"
        "可以多生成一些，或换个提示词试试。"
    ),
    "ins.dec.summary_best": "概率最高的输出：{strategy}，重复惩罚：{penalty}（{logprob:.1f} nats）。",
    "ins.tf.heading": (
        "### 教师强制 vs 自回归生成\n训练时把真实文本整段喂给模型，让它在每个位置同时预测下一个词元：目标就是把输"
        "入左移一位，**一次前向计算**就得到所有位置的损失（也就是*惊讶度*，−log p）。生成时做不到这一点：每个"
        "新词元都依赖前一个，所以**每生成一个词元就要算一次**——而且它接着写的是自己猜出来的词，而不是真实文本。"
    ),
    "ins.tf.text": "文本",
    "ins.tf.prompt_tokens": "生成从第几个词元之后开始",
    "ins.tf.prompt_info": "从文本的前 N 个词元接着生成，直到与原文等长",
    "ins.tf.run": "打分并生成",
    "ins.tf.left": "**教师强制**——每个词元按惊讶度着色（悬停查看详情）",
    "ins.tf.right": "**自回归生成**（贪心）——绿色 = 与原文相同，橙色 = 不同",
    "ins.tf.legend": "惊讶度（nats）：",
    "ins.tf.tip": (
        "{token}：损失 {loss:.3f} nats · p = {p:.4f} · 模型的首选：{guess}"
    ),
    "ins.tf.gen_tip": "生成的第 {i} 个词元；原文此处是 {truth}",
    "ins.tf.summary": (
        "教师强制用 <b>1 次前向计算</b>（{tf_ms:.1f} 毫秒）给 {n} 个位置打了分。自回归生成用 "
        "<b>{passes} 次前向计算</b>（{gen_ms:.1f} 毫秒）写出 {generated} 个词元"
        "，其中 {matches} 个与原文相同。"
    ),
    "ins.tf.diverged": "生成的内容从第 {first} 个新词元起与原文不同；此后模型接着写的是它自己的文字。",
    "ins.tf.coincidence": "之后再出现相同的词元只是巧合。",
    "ins.tf.shortened": "滑块要求 {asked} 个提示词元，但这段文字只有 {tokens} 个：生成从第 {start} 个词元之后开始，留一个词元来预测。",
    "ins.tf.fig.title": "每个位置的损失：只用一次前向计算",
    "ins.tf.fig.summary": (
        "{n} 个位置的平均损失为 {mean:.3f} nats——这就是这段文本上的训练损失（困惑度 "
        "{ppl:.1f}）。"
    ),
    "ins.tf.axis.target": "目标词元（要预测的那个）",
    "ins.tf.axis.loss": "损失 = 惊讶度（nats）",
    "ins.tf.err.short": "教师强制至少需要两个词元：第一个只作为上下文。",
    "ins.about.heading": "### 关于内置模型",
    "ins.about.run": "查看训练报告",
    "ins.about.facts": (
        "**{model}** · {parameters:,} 个参数 · {layers} 层 × {heads} "
        "个头 · 宽度 {width} · 上下文 {context} · 运行于 {device}"
    ),
    "ins.about.random": "⚠️ 还没有附带训练好的检查点：应用目前使用的是随机权重。",
    "ins.about.no_report": (
        "**还没有训练报告：** `{path}` 不存在。内置模型训练完成后才会生成它。"
    ),
    "ins.about.no_report_short": "还没有训练报告。",
    "ins.about.h.key": "项目",
    "ins.about.h.value": "数值",
    "ins.about.fig.curves": "训练曲线",
    "ins.about.fig.curves_summary": "每个词元的交叉熵（nats）。验证集是从未训练过的整部作品，所以两者的差距一部分来自陌生的剧本，一部分来自死记训练文本：只有验证曲线掉头向上，才是单纯的过拟合。",
    "ins.about.fig.channels": "各体裁的验证损失",
    "ins.about.fig.channels_summary": (
        "按数据来源（体裁）分别看损失，才知道模型哪些学得好、哪些没学好。"
    ),
    "ins.about.axis.loss": "损失（每词元 nats）",
    "ins.about.axis.val_loss": "验证损失（每词元 nats）",
    "ins.about.no_curves": "报告中没有曲线。",
    "ins.about.no_channels": "报告中没有分体裁的损失。",
    "ins.about.raw": "报告原文",
    "ins.about.axis.step": "训练步数",
    "ins.about.series.running": "训练损失（滑动平均）",
    "ins.about.series.train": "训练损失（评估时）",
    "ins.about.series.val": "验证损失（留出的作品）",
    "ins.about.fact.parameters": "参数量",
    "ins.about.fact.checkpoint": "检查点精度",
    "ins.about.fact.checkpoint_bytes": "检查点大小（字节）",
    "ins.about.fact.data": "数据",
    "ins.about.fact.channels": "体裁（数据来源）",
    "ins.about.fact.held_out": "留作验证的作品",
    "ins.about.fact.train_tokens": "训练词元数",
    "ins.about.fact.val_tokens": "验证词元数",
    "ins.about.fact.tokens_seen": "训练中见过的词元数",
    "ins.about.fact.epochs": "轮数（epoch）",
    "ins.about.fact.steps": "优化步数",
    "ins.about.fact.stopped_by": "停止原因",
    "ins.about.fact.training_time": "训练耗时（秒）",
    "ins.about.fact.wall_time": "整个流程耗时（秒）",
    "ins.about.fact.cpu": "CPU",
    "ins.about.fact.threads": "线程数",
    "ins.about.fact.device": "设备",
    "ins.about.fact.bf16": "bf16 自动混合精度",
    "ins.about.fact.train_loss": "最终训练损失（nats）",
    "ins.about.fact.val_loss": "最终验证损失（nats）",
    "ins.about.fact.val_loss_shipped": "发布的 float16 检查点的验证损失（nats）",
    "ins.about.fact.val_per_channel": "各体裁最终的验证损失（nats）",
    "ins.about.fact.command": "训练命令",
}

TEXT = {"en": EN, "zh": ZH}


def normalise_language(value: object) -> str:
    """Any browser or API language tag → 'zh' for Chinese variants, else 'en'."""
    return "zh" if isinstance(value, str) and value.strip().lower().startswith("zh") else "en"


def plural_s(n: int) -> str:
    """English's plural ending for a count, passed as ``s`` (Chinese texts have no ``{s}`` and ignore it)."""
    return "" if n == 1 else "s"


def t(key: str, language: str = "en") -> str:
    """The text for ``key`` in ``language``, falling back to English."""
    return TEXT[normalise_language(language)].get(key) or EN[key]
