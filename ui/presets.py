"""Prepared lessons (``assets/presets.json``): each one is a deep link, listed per tab and language."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

from .i18n import normalise_language

PRESETS_FILE = Path(__file__).resolve().parent.parent / "assets" / "presets.json"


@lru_cache(maxsize=1)
def load_presets() -> tuple[dict, ...]:
    return tuple(json.loads(PRESETS_FILE.read_text(encoding="utf-8")))


def preset_query(preset: dict, language: str) -> str:
    return "?" + urlencode({"tab": preset["tab"], "lang": normalise_language(language), **preset["query"]})


def presets_markdown(language: str, tab_titles: dict[str, str]) -> str:
    """A bulleted list of lesson links grouped under each tab's title."""
    language = normalise_language(language)
    sections = []
    for tab, title in tab_titles.items():
        entries = [p for p in load_presets() if p["tab"] == tab]
        if entries:
            items = "\n".join(f"- [{p[language]}]({preset_query(p, language)})" for p in entries)
            sections.append(f"**{title}**\n\n{items}")
    # Blank lines between sections: a heading right after a bullet would be read as part of that bullet.
    return "\n\n".join(sections)
