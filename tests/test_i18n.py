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
        assert placeholders(english) == placeholders(TEXT["zh"][key]), key


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
