"""Deep links: a URL's query parameters open a tab with its inputs filled and its example run.

``?tab=padding&strategy=right-naive&prompts=...&lang=zh&model=bundled`` — each tab registers the
inputs a link may set. Parsing never fails: an unknown parameter or a malformed value is dropped with a notice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping
from urllib.parse import urlencode

import gradio as gr

from .hub import MODEL_CHOICES
from .i18n import normalise_language, t

MAX_LINK_TEXT = 4_000


@dataclass
class SectionRedraw:
    """How a section drawn by its own button redraws in another language (``redraw_on_language_switch``)."""

    redraw: Callable
    inputs: list
    outputs: list
    name: str


@dataclass
class TabLink:
    """What one tab exposes to links and to the language switch: named inputs, the event a link
    runs (also the tab's redraw in another language), and the sections its buttons draw."""

    tab: str
    fields: dict[str, gr.components.Component] = field(default_factory=dict)
    handler: Callable | None = None
    inputs: list = field(default_factory=list)
    outputs: list = field(default_factory=list)
    # The events that draw the tab with ``handler`` (its button, its knobs' releases): the inputs of
    # the last one that succeeded are what a language switch redraws the tab from.
    drawn_by: list = field(default_factory=list)
    # Upper bounds that depend on the model the link opens (a layer index), by field name.
    model_limits: dict[str, Callable[[str], int]] = field(default_factory=dict)
    # Sections drawn by their own button. On a language switch every tab's drawn sections redraw,
    # after the open tab's own redraw (``classroom.wire``), whichever tab they are on.
    sections: list[SectionRedraw] = field(default_factory=list)
    # Sections a link may run after the tab's own example (``run=decoding``): name → its button's
    # elem_id. The page presses that button as a person would (``classroom.run_section_js``), so the
    # section's whole chain runs, its redraw on a language switch included.
    section_buttons: dict[str, str] = field(default_factory=dict)


def _choices(component) -> list[str]:
    return [value for _, value in component.choices] if getattr(component, "choices", None) else []


def parse_value(component, raw: str, language: str = "en", maximum: float | None = None) -> Any:
    """Read one query-string value as ``component`` expects it; ``ValueError`` (saying why, in
    ``language``) if it does not fit. ``maximum``, where given, also bounds it from above (the last
    layer of the model the link names)."""
    if isinstance(component, gr.Checkbox):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(t("link.reason.boolean", language))
    if isinstance(component, (gr.Slider, gr.Number)):
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(t("link.reason.number", language)) from None
        if not math.isfinite(value):  # NaN is not outside a range, it is not a number
            raise ValueError(t("link.reason.number", language))
        low = getattr(component, "minimum", None)
        highs = [bound for bound in (getattr(component, "maximum", None), maximum) if bound is not None]
        high = min(highs) if highs else None
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValueError(t("link.reason.range", language).format(low=f"{low:g}" if low is not None else "−∞",
                                                                     high=f"{high:g}" if high is not None else "∞"))
        if getattr(component, "step", None) == 1 or getattr(component, "precision", None) == 0:
            if value != int(value):
                raise ValueError(t("link.reason.whole", language))
            return int(value)
        return value
    if isinstance(component, (gr.Dropdown, gr.Radio)):
        options = _choices(component)
        for option in options:
            if str(option) == raw:
                return option
        raise ValueError(t("link.reason.choice", language).format(choices=", ".join(map(str, options))))
    if len(raw) > MAX_LINK_TEXT:
        raise ValueError(t("link.reason.too_long", language))
    return raw


def _is_finite_number(raw: str | None) -> bool:
    try:
        return raw is not None and math.isfinite(float(raw))
    except ValueError:
        return False


class DeepLinks:
    """The registry of linkable inputs per tab, and the two directions: state → link → state."""

    def __init__(self) -> None:
        self.tabs: dict[str, TabLink] = {}

    def tab(self, tab: str) -> TabLink:
        return self.tabs.setdefault(tab, TabLink(tab))

    def to_query(self, tab: str, values: Mapping[str, Any], language: str = "en", model: str = "bundled") -> str:
        """The query string that reopens ``tab`` with ``values`` (names as registered)."""
        if tab not in self.tabs:
            raise ValueError(f"unknown tab {tab!r}")
        params = {"tab": tab, "lang": language, "model": model}
        for name in self.tabs[tab].fields:
            if name in values and values[name] is not None:
                value = values[name]
                if isinstance(value, bool):
                    params[name] = str(value).lower()
                elif isinstance(value, float) and value.is_integer():
                    params[name] = str(int(value))  # a slider sends 10.0; the link says 10
                else:
                    params[name] = str(value)
        return "?" + urlencode(params)

    def from_query(self, params: Mapping[str, str]) -> tuple[str | None, dict[str, Any], list[str]]:
        """Query parameters → (tab, {name: value}, notices about what was ignored, in the link's language)."""
        notices: list[str] = []
        language = normalise_language(params.get("lang", "en"))
        tab = params.get("tab")
        if tab is not None and tab not in self.tabs:
            notices.append(t("link.unknown_tab", language).format(value=repr(tab[:40])))
            tab = None
        values: dict[str, Any] = {}
        fields = self.tabs[tab].fields if tab else {}
        # A layer or head is checked against the model the link opens, whatever the order of the parameters.
        model = params["model"] if params.get("model") in MODEL_CHOICES else "bundled"
        # Only for a value that is a number at all: asking for GPT-2's layers may load GPT-2.
        maxima = {name: limit(model) for name, limit in (self.tabs[tab].model_limits.items() if tab else ())
                  if _is_finite_number(params.get(name))}
        for name, raw in params.items():
            if name == "tab":
                continue
            if name == "lang":
                values[name] = normalise_language(raw)
                continue
            if name == "model":
                if raw in MODEL_CHOICES:
                    values[name] = raw
                else:
                    notices.append(t("link.unknown_model", language).format(value=repr(raw[:40])))
                continue
            if name == "run" and tab and self.tabs[tab].section_buttons:
                if raw in self.tabs[tab].section_buttons:
                    values[name] = raw
                else:
                    reason = t("link.reason.choice", language).format(choices=", ".join(self.tabs[tab].section_buttons))
                    notices.append(t("link.bad_value", language).format(name=name, value=repr(raw[:40]), reason=reason))
                continue
            if name not in fields:
                notices.append(t("link.unknown_parameter", language).format(value=repr(name[:40])))
                continue
            try:
                values[name] = parse_value(fields[name], raw, language, maxima.get(name))
            except ValueError as error:
                notices.append(t("link.bad_value", language).format(name=name, value=repr(raw[:40]), reason=error))
        return tab, values, notices
