"""The bad-input catalogue: each entry goes through the raw HTTP API of every endpoint it applies to.

Every answer must be either a valid result or a clear message: never a 500, a stack trace or a hung
worker. Raw HTTP (not gradio_client) so that NaN and lone surrogates really reach the server.
"""

from __future__ import annotations

import json
import math

import pytest

from ui.i18n import EN

httpx = pytest.importorskip("httpx")
UNEXPECTED = EN["err.unexpected"].split("(")[0]  # "Something went wrong": what an uncaught failure says

NAN = math.nan
LONG = "to be or not to be " * 10_500  # ~200 000 characters
OVER_CONTEXT = "and " * 300  # more tokens than the bundled model's context
TEXTS = {
    "empty": "",
    "whitespace": "  \n\t ",
    "200k characters": LONG,
    "longer than the context": OVER_CONTEXT,
    "endoftext": "<|endoftext|>",
    "other specials": "<|fim_prefix|><|endofprompt|><|im_start|>",
    "lone surrogate": "abc\ud800def",
    "control characters": "bell\x07escape\x1b[31mred",
    "NUL": "nul\x00byte",
    "right-to-left": "\u202eשלום عليكم\u202c",
}


def tokenize(text):
    return [text, False, True, "en"]


def distribution(text="ROMEO:", temperature=1.0, top_k=0, top_p=0.9, min_p=0.0, penalty=1.0):
    return ["bundled", text, penalty, temperature, top_k, top_p, min_p, "en"]


def generation(text="ROMEO:", temperature=1.0, top_p=0.9, max_new=5, seed=0):
    return ["bundled", text, 1.0, temperature, 0, top_p, 0.0, max_new, seed, "en"]


def attention(a="The cat sat", b="", layer=0, head=0, row=0, extend=0):
    return ["bundled", a, b, "left", "causal", 0, 3, layer, head, row, extend, "en"]


def padding(text="a b c\nd", max_new=4):
    return ["bundled", text, max_new, "left", 0, "en"]


CATALOGUE = (
    [(f"tokenize: {name}", "tokenize", tokenize(text)) for name, text in TEXTS.items()]
    + [(f"distribution: {name}", "distribution", distribution(text)) for name, text in TEXTS.items()]
    + [(f"generate: {name}", "generate", generation(text)) for name, text in TEXTS.items()]
    + [(f"attention: {name}", "attention", attention(text)) for name, text in TEXTS.items()]
    + [
        ("padding: 0 prompts", "padding_lab", padding("")),
        ("padding: 50 prompts", "padding_lab", padding("\n".join(f"prompt {i}" for i in range(50)))),
        ("padding: an empty prompt among others", "padding_lab", padding("first\n\n   \nsecond")),
        ("padding: a prompt longer than the context", "padding_lab", padding(OVER_CONTEXT + "\nshort")),
        ("temperature 0", "distribution", distribution(temperature=0)),
        ("temperature negative", "distribution", distribution(temperature=-1)),
        ("temperature NaN", "distribution", distribution(temperature=NAN)),
        ("temperature 1e9", "distribution", distribution(temperature=1e9)),
        ("top-p 0", "distribution", distribution(top_p=0)),
        ("top-p above 1", "distribution", distribution(top_p=1.5)),
        ("top-p NaN", "distribution", distribution(top_p=NAN)),
        ("top-k 0", "distribution", distribution(top_k=0)),
        ("top-k negative", "distribution", distribution(top_k=-5)),
        ("top-k above the vocabulary", "distribution", distribution(top_k=60_000)),
        ("min-p negative", "distribution", distribution(min_p=-0.1)),
        ("min-p above 1", "distribution", distribution(min_p=3)),
        ("penalty 0", "distribution", distribution(penalty=0)),
        ("penalty below 1 (it would reward repeats)", "distribution", distribution(penalty=0.5)),
        ("temperature 1e-39 (logits / T overflow float32)", "distribution", distribution(temperature=1e-39)),
        ("temperature 1e-300 (0 in float32)", "distribution", distribution(temperature=1e-300)),
        ("draws at temperature 1e-300", "draw_samples", ["bundled", "ROMEO:", 1.0, 1e-300, 0, 0.9, 0.0, 100, 0, "en"]),
        ("generation at temperature 1e-300", "generate", generation(temperature=1e-300)),
        ("a string where a number goes", "distribution", distribution(temperature="hot")),
        ("max new tokens 0", "generate", generation(max_new=0)),
        ("max new tokens huge", "generate", generation(max_new=10**9)),
        ("seed is text", "generate", generation(seed="abc")),
        ("layer out of range", "attention", attention(layer=99)),
        ("head out of range", "attention", attention(head=-1)),
        ("row B without prompt B", "attention", attention(row=1)),
        ("extra tokens huge", "attention", attention(extend=1000)),
        ("unknown model", "attention", ["gpt-5", "a", "", "left", "causal", 0, 3, 0, 0, 0, 0, "en"]),
        ("path as model", "distribution", ["../../etc/passwd", "a", 1, 1, 0, 1, 0, "en"]),
        ("unknown mask", "attention", ["bundled", "a", "", "left", "no-mask", 0, 3, 0, 0, 0, 0, "en"]),
        ("too few arguments", "tokenize", ["only text"]),
    ]
)


@pytest.fixture(scope="module")
def base_url(app_url):
    return app_url


def call(base_url: str, endpoint: str, data: list) -> tuple[str, str]:
    """POST then read the event stream; returns ('complete' | 'error', payload text)."""
    body = json.dumps({"data": data}, allow_nan=True)  # NaN travels as the JS literal
    with httpx.Client(timeout=60) as client:
        started = client.post(f"{base_url}/gradio_api/call/{endpoint}", content=body,
                              headers={"Content-Type": "application/json"})
        if started.status_code != 200:
            return "http", f"{started.status_code} {started.text}"
        event_id = started.json()["event_id"]
        stream = client.get(f"{base_url}/gradio_api/call/{endpoint}/{event_id}").text
    events = [line.removeprefix("event: ") for line in stream.splitlines() if line.startswith("event: ")]
    payloads = [line.removeprefix("data: ") for line in stream.splitlines() if line.startswith("data: ")]
    return events[-1], payloads[-1] if payloads else ""


def test_catalogue_has_at_least_thirty_entries():
    assert len(CATALOGUE) >= 30


@pytest.mark.parametrize("name,endpoint,data", CATALOGUE, ids=[c[0] for c in CATALOGUE])
def test_bad_input_gets_a_clear_answer(base_url, name, endpoint, data):
    kind, payload = call(base_url, endpoint, data)
    if kind == "http":  # a malformed request rejected before the queue: must be a 4xx, never a 500
        assert payload[:3].startswith("4"), payload[:300]
        return
    assert kind in ("complete", "error"), (kind, payload[:300])
    assert "Traceback" not in payload and 'File "' not in payload
    if kind == "error":
        error = json.loads(payload) if payload else None
        message = error.get("error") if isinstance(error, dict) else None
        assert isinstance(message, str) and message.strip(), f"{name}: an error without a message: {payload!r}"
        assert "has raised an exception" not in message, f"{name}: generic error instead of a clear one"
        assert not message.startswith(UNEXPECTED), f"{name}: the server failed instead of answering: {message}"


def test_server_still_answers_after_the_catalogue(base_url):
    kind, payload = call(base_url, "tokenize", tokenize("still alive"))
    assert kind == "complete" and "still" in payload


def test_generation_keeps_the_end_of_an_overlong_prompt(base_url):
    kind, payload = call(base_url, "generate", generation(OVER_CONTEXT + "THE END", temperature=0, max_new=3))
    assert kind == "complete"
    html = json.loads(payload)[0]
    assert html.count('title="p=') == 3 and "THE END" in html and "…" in html  # left truncation is shown


@pytest.mark.parametrize("endpoint,data,english,chinese", [
    ("padding_lab", ["bundled", "a\nb", 4, "left", 9, "en"], "must be between 0 and 3", "必须在 0 到 3 之间"),
    ("attention", attention(a="word " * 200), "has 201 tokens; keep it to at most 128", "有 201 个词元"),
    ("attention", attention(a="1 " * 1500), "has 1,501 tokens", "有 1,501 个词元"),
    ("look_inside", ["bundled", "1 " * 1500, 3, -1, 0, "en"], "has 1,501 tokens; keep it to 64 here", "有 1,501 个词元"),
    ("distribution", distribution(text="   "), "nothing there yet", "还没有内容"),
    ("look_inside", ["bundled", "hi there", 3, 7, 0, "en"], "must be between -2 and 1", "必须在 -2 到 1 之间"),
])
def test_messages_speak_the_page_language(base_url, endpoint, data, english, chinese):
    """Checks made by our handlers answer in the page's language (a slider's own check runs before
    the handler, which alone knows the language, so it answers in both)."""
    for language, expected in (("en", english), ("zh", chinese)):
        kind, payload = call(base_url, endpoint, data[:-1] + [language])
        assert kind == "error" and expected in json.loads(payload)["error"], (language, payload)


def test_padding_lab_says_what_it_skipped_or_cut(base_url):
    kind, payload = call(base_url, "padding_lab", padding("ROMEO:\n\n   \nJULIET:\n" + "and " * 400, max_new=4))
    assert kind == "complete", payload[:300]
    table = json.loads(payload)[1]
    assert "Skipped 2 empty lines" in table and "Kept only the last 252 tokens of prompt #2" in table
    kind, payload = call(base_url, "padding_lab", padding("ROMEO:\nJULIET:", max_new=4))
    assert kind == "complete" and "ⓘ" not in json.loads(payload)[1]
