"""What every tab shares: the translator registry, friendly errors, and input limits."""

from __future__ import annotations

import functools
import inspect
import logging
import math
import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable, Sequence

import gradio as gr

from model import ModelUnavailableError
from viz.common import HOVER_WORDS

from .deeplinks import SectionRedraw, TabLink
from .i18n import TEXT, normalise_language, t

MAX_TEXT_CHARACTERS = 20_000
MAX_PROMPT_CHARACTERS = 4_000
MAX_BATCH = 4
MAX_NEW_TOKENS = 64

log = logging.getLogger("next_token_lab")

try:  # On Hugging Face ZeroGPU Spaces this borrows a GPU for the call; elsewhere it changes nothing.
    from spaces import GPU as on_gpu
except ImportError:

    def on_gpu(handler: Callable) -> Callable:
        return handler


class UserInputError(ValueError):
    """Bad input from a person or an API call: shown as a message, never as a stack trace."""


class Translated:
    """Remembers which component attribute shows which text key, so one event can switch the page."""

    def __init__(self) -> None:
        self._entries: list[tuple[Any, dict[str, str]]] = []

    def __call__(self, component, **keys: str | Callable[[str], str]):
        """Register ``component``; each attribute names a text key, or a function of the language.

        Attributes the constructor left empty (an ``info`` hint, say) get their English text now,
        so the first page shows them before any language switch.
        """
        self._entries.append((component, keys))
        if isinstance(keys.get("label"), str):
            component.label_key = keys["label"]  # lets an API input check name the field in both languages
        for attr, key in keys.items():
            if getattr(component, attr, None) in (None, ""):
                setattr(component, attr, t(key) if isinstance(key, str) else key("en"))
        return component

    @property
    def components(self) -> list:
        return [component for component, _ in self._entries]

    def updates(self, language: str) -> list:
        language = normalise_language(language)
        return [
            gr.update(**{attr: t(key, language) if isinstance(key, str) else key(language) for attr, key in keys.items()})
            for _, keys in self._entries
        ]


def friendly(handler: Callable) -> Callable:
    """Turn every failure into a ``gr.Error`` with a sentence a student can act on, in the page's
    language when the handler takes a ``language`` argument."""
    parameters = list(inspect.signature(handler).parameters)
    language_at = parameters.index("language") if "language" in parameters else None

    def translate(error: Exception, args: tuple, kwargs: dict) -> gr.Error:
        if isinstance(error, gr.Error):
            return error
        language = kwargs.get("language", args[language_at] if language_at is not None and language_at < len(args) else "en")
        language = normalise_language(language)
        if isinstance(error, (UserInputError, ValueError, ModelUnavailableError)):
            # A person's mistake, not the server's: one line in the log, not a traceback per typo.
            log.info("%s refused its input: %s", handler.__name__, error)
            return gr.Error(str(error), title=t("err.title", language), print_exception=False)
        log.exception("unexpected failure in %s", handler.__name__)
        return gr.Error(t("err.unexpected", language).format(kind=type(error).__name__), title=t("err.title", language))

    if inspect.isgeneratorfunction(handler):

        @functools.wraps(handler)
        def stream(*args, **kwargs):
            try:
                yield from handler(*args, **kwargs)
            except Exception as error:  # noqa: BLE001 - the boundary between the engine and a person
                raise translate(error, args, kwargs) from None

        return stream

    @functools.wraps(handler)
    def call(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        except Exception as error:  # noqa: BLE001
            raise translate(error, args, kwargs) from None

    return call


class RecentResults:
    """The last few results of a slow, deterministic computation, by its inputs.

    Redrawing a section in the other language then changes its words without waiting for its
    numbers again (the decoding comparison takes ~2.4 s). Only for results that any visitor would
    get from the same inputs, and small ones: the cache is shared by every session.
    """

    def __init__(self, size: int = 32) -> None:
        self._results: OrderedDict[Hashable, Any] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], Any], reuse: bool = True) -> Any:
        """``compute()``'s result for ``key``: the kept one when ``reuse`` allows, else a new one."""
        with self._lock:
            if reuse and key in self._results:
                self._results.move_to_end(key)
                return self._results[key]
        result = compute()
        with self._lock:
            self._results[key] = result
            self._results.move_to_end(key)
            while len(self._results) > self._size:
                self._results.popitem(last=False)
        return result


def logit_difference(value: float) -> str:
    """A logit difference as a person reads it: 11.4 or 0.0312, 0 when exact, and 1.4e-05 only for rounding-sized ones."""
    return "0" if value == 0 else f"{value:.2e}" if value < 0.01 else f"{value:.3g}"


def redraw_on_language_switch(link: TabLink, drawn_by: Sequence, handler: Callable, inputs: list, outputs: list,
                              name: str, language: Any) -> None:
    """A section a person drew redraws when they switch language, from the inputs it was drawn with.

    ``drawn_by`` are the events that draw it (a button's click); when one succeeds, the values of
    ``inputs`` are kept for this page. A language switch runs ``handler`` on those values with only
    ``language`` changed: a prompt edited since, or a knob moved, does not change a drawing whose
    button was not pressed. A section never drawn stays empty; inputs that no longer run keep the
    old drawing. The redraw is registered on the tab's ``link``: the page runs it after the open
    tab's own redraw, so what a person is looking at changes first.
    """
    unchanged = gr.skip() if len(outputs) == 1 else tuple(gr.skip() for _ in outputs)
    submitted = gr.State()  # the inputs of the last drawing, or None before the first
    for event in drawn_by:
        event.success(lambda *values: list(values), inputs, submitted, queue=False,
                      api_name=f"{name}_inputs", api_visibility="private")

    def last_frame(*values):  # a streaming handler (generation): the new words, without the animation
        frame = unchanged
        for frame in handler(*values):
            pass
        return frame

    run = last_frame if inspect.isgeneratorfunction(handler) else handler

    def redraw(values, language_code):
        if values is None:
            return unchanged
        try:
            return run(*[language_code if component is language else value for component, value in zip(inputs, values)])
        except gr.Error:
            log.info("%s kept its drawing: its inputs no longer run", name)
            return unchanged

    link.sections.append(SectionRedraw(redraw, [submitted, language], outputs, name))


def hover_words(language: str) -> dict[str, str]:
    """The words inside the figures' hover labels, in the page's language."""
    return {key: t(f"hover.{key}", language) for key in HOVER_WORDS}


def _in_both_languages(key: str, component, value: Any, **extra: str) -> str:
    """This check runs before the handler, which alone knows the page's language: say it in both."""
    label_key = getattr(component, "label_key", None)
    return " / ".join(
        t(key, language).format(name=t(label_key, language) if label_key else component.label, value=value, **extra)
        for language in ("en", "zh")
    )


def _numeric_payload(payload: Any, component) -> float:
    """Reject non-numbers and out-of-range numbers before Gradio does (its message is English and
    does not say which control)."""
    try:
        value = float(payload)
    except (TypeError, ValueError):
        raise gr.Error(_in_both_languages("err.not_number", component, repr(payload))) from None
    if not math.isfinite(value):
        raise gr.Error(_in_both_languages("err.not_finite", component, repr(payload)))
    low, high = getattr(component, "minimum", None), getattr(component, "maximum", None)
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = {"low": "−∞" if low is None else f"{low:g}", "high": "∞" if high is None else f"{high:g}"}
        raise gr.Error(_in_both_languages("err.range", component, f"{value:g}", **bounds))
    return value


class NumberSlider(gr.Slider):
    """A slider whose API input is checked: a string or NaN gets a clear message."""

    is_template = True  # drawn by Gradio's own slider

    def preprocess(self, payload: Any) -> float:
        return super().preprocess(_numeric_payload(payload, self))


class NumberBox(gr.Number):
    """A number field whose API input is checked like ``NumberSlider``."""

    is_template = True  # drawn by Gradio's own number field

    def preprocess(self, payload: Any) -> float | int | None:
        return super().preprocess(_numeric_payload(payload, self))


def number(value: Any, name: str, low: float, high: float, integer: bool = False, language: str = "en") -> float | int:
    """Validate a number that arrived through the UI or the API; complain in the page's language."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise UserInputError(t("err.not_number", language).format(name=name, value=repr(value))) from None
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise UserInputError(t("err.not_finite", language).format(name=name, value=repr(value)))
    if not low <= value <= high:
        raise UserInputError(t("err.range", language).format(name=name, low=f"{low:g}", high=f"{high:g}", value=f"{value:g}"))
    if integer:
        if value != int(value):
            raise UserInputError(t("err.whole", language).format(name=name, value=f"{value:g}"))
        return int(value)
    return float(value)


def named_choices(prefix: str, values: Sequence[str]) -> Callable[[str], list[tuple[str, str]]]:
    """A dropdown's (shown name, value) pairs in a language: the names translate, the values do not."""
    return lambda language="en": [(t(f"{prefix}.{value}", language), value) for value in values]


def choice(value: Any, name: str, choices: Sequence[str], language: str = "en") -> str:
    """Validate a value that must be one of a fixed list (a dropdown, or the API pretending to be one)."""
    if value not in choices:
        raise UserInputError(t("err.choice", language).format(name=name, choices=", ".join(choices)))
    return value


def text_input(value: Any, name: str, limit: int, allow_empty: bool = False, language: str = "en") -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise UserInputError(t("err.not_text", language).format(name=name))
    if len(value) > limit:
        raise UserInputError(t("err.too_long_text", language).format(name=name, n=f"{len(value):,}", limit=f"{limit:,}"))
    if not allow_empty and not value.strip():
        raise UserInputError(t("err.empty", language).format(name=name))
    # Lone surrogates cannot be encoded; replace them the way a browser would.
    return value.encode("utf-8", "replace").decode("utf-8")


__all__ = ["TEXT", "NumberBox", "NumberSlider", "Translated", "on_gpu", "UserInputError", "choice", "friendly", "number", "text_input", "t", "normalise_language"]
