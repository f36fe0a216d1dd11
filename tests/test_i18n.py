"""The page's text: both languages complete and consistent, and shown from the first paint."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from ui.i18n import TEXT, t

UI = Path(__file__).resolve().parent.parent / "ui"
# t("key") calls, and the keys handed to ``translated(component, attr="key")``.
KEY_USES = re.compile(r"""\bt\(\s*f?["']([a-z_]+\.[\w.]+)["']|\b(?:value|label|info|placeholder)=["']([a-z_]+\.[\w.]+)["']""")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_both_languages_have_the_same_keys_and_placeholders():
    assert set(TEXT["en"]) == set(TEXT["zh"])
    for key, english in TEXT["en"].items():
        assert english.strip() and TEXT["zh"][key].strip(), key
        english_only = {name for name in placeholders(english) if name == "s" or name.endswith(("_s", "_es"))}
        assert placeholders(english) - english_only == placeholders(TEXT["zh"][key]), key  # English plural endings


def test_every_key_the_page_uses_exists():
    used = {match for path in UI.glob("*.py") for pair in KEY_USES.findall(path.read_text()) for match in pair if match}
    assert len(used) > 100, "the pattern still finds the page's keys"
    missing = sorted(key for key in used if key not in TEXT["en"] and not key.endswith("."))
    assert not missing


def test_hints_are_in_the_first_page_not_only_after_a_language_switch():
    gr = pytest.importorskip("gradio")
    from ui.common import Translated

    translated = Translated()
    with gr.Blocks():
        slider = translated(gr.Slider(0, 3, label=t("smp.temperature")), label="smp.temperature", info="smp.temperature_info")
    assert slider.info == t("smp.temperature_info") == "0 = greedy"
    assert translated.updates("zh")[0]["info"] == t("smp.temperature_info", "zh")


def test_the_launched_page_carries_every_registered_hint():
    import app

    config = app.demo.get_config_file()
    infos = {component["props"].get("info") for component in config["components"]}
    assert {t("smp.temperature_info"), t("smp.off_zero"), t("att.prompt_b_info")} <= infos


def test_unexpected_failures_speak_the_page_language():
    gr = pytest.importorskip("gradio")
    from ui.common import friendly

    @friendly
    def broken(text, language):
        raise KeyError(text)

    with pytest.raises(gr.Error, match=r"出了点问题（KeyError）") as error:
        broken("x", "zh")
    assert error.value.title == "无法运行"
    with pytest.raises(gr.Error, match=r"Something went wrong \(KeyError\)"):
        broken("x", language="en")


def test_api_number_checks_name_the_field_in_both_languages():
    gr = pytest.importorskip("gradio")
    from ui.common import NumberSlider, Translated

    translated = Translated()
    with gr.Blocks():
        slider = translated(NumberSlider(0, 3, label=t("smp.temperature")), label="smp.temperature")
    with pytest.raises(gr.Error) as error:
        slider.preprocess("hot")
    message = str(error.value)
    assert t("err.not_number", "en").format(name=t("smp.temperature", "en"), value="'hot'") in message
    assert t("err.not_number", "zh").format(name=t("smp.temperature", "zh"), value="'hot'") in message
    # Out of range: our message (named, both languages), not Gradio's English "Value 9.0 is greater…".
    with pytest.raises(gr.Error) as error:
        slider.preprocess(9)
    message = str(error.value)
    assert t("err.range", "en").format(name=t("smp.temperature", "en"), low="0", high="3", value="9") in message
    assert t("err.range", "zh").format(name=t("smp.temperature", "zh"), low="0", high="3", value="9") in message
    assert slider.preprocess(3) == 3


def test_link_notices_speak_the_link_language():
    import app

    links = app.demo.deep_links
    _, _, notices = links.from_query({"tab": "padding", "lang": "zh", "new": "many", "colour": "red", "model": "x"})
    assert notices == ["应为数字".join(["new='many'（", "）"]), "未知的参数 'colour'", "未知的模型 'x'"]
    _, _, notices = links.from_query({"tab": "padding", "new": "9999"})
    assert notices[0].startswith("new='9999' (outside 1…")


def test_english_counts_agree_in_number_instead_of_hedging():
    """"1 tokens" and "token(s)" read badly when projected: a count's noun takes ``{s}`` (plural_s)."""
    import re

    from ui.i18n import EN, ZH, plural_s

    assert not [key for key, text in EN.items() if re.search(r"\w\(s\)", text)]
    assert not [key for key, text in ZH.items() if "{s}" in text]
    for key, text in EN.items():
        for match in re.finditer(r"\{(\w+)[^}]*\} ([a-z]+)\{s\}", text):
            assert match.group(2) not in ("tokens", "steps"), key  # the noun before {s} is singular
    assert t("ins.dec.summary_loop").format(start=3, period=1, s=plural_s(1)).endswith("a cycle of 1 token repeats to the end.")
    assert "a cycle of 14 tokens repeats" in t("ins.dec.summary_loop").format(start=3, period=14, s=plural_s(14))
