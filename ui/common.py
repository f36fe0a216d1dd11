"""What every tab shares: the translator registry, friendly errors, and input limits."""

from __future__ import annotations

import functools
import inspect
import logging
import math
from typing import Any, Callable

import gradio as gr

from model import ModelUnavailableError

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
        """Register ``component``; each attribute names a text key, or a function of the language."""
        self._entries.append((component, keys))
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
    """Turn every failure into a ``gr.Error`` with a sentence a student can act on."""

    def translate(error: Exception) -> gr.Error:
        if isinstance(error, gr.Error):
            return error
        if isinstance(error, (UserInputError, ValueError, ModelUnavailableError)):
            return gr.Error(str(error))
        log.exception("unexpected failure in %s", handler.__name__)
        return gr.Error(f"Something went wrong ({type(error).__name__}). Please try other input.")

    if inspect.isgeneratorfunction(handler):

        @functools.wraps(handler)
        def stream(*args, **kwargs):
            try:
                yield from handler(*args, **kwargs)
            except Exception as error:  # noqa: BLE001 - the boundary between the engine and a person
                raise translate(error) from None

        return stream

    @functools.wraps(handler)
    def call(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        except Exception as error:  # noqa: BLE001
            raise translate(error) from None

    return call


def _numeric_payload(payload: Any, label: str | None) -> float:
    """Reject non-numbers before Gradio compares them with the bounds (which would crash obscurely)."""
    try:
        value = float(payload)
    except (TypeError, ValueError):
        raise gr.Error(f"{label} must be a number, got {payload!r}") from None
    if not math.isfinite(value):
        raise gr.Error(f"{label} must be a finite number, got {payload!r}")
    return value


class NumberSlider(gr.Slider):
    """A slider whose API input is checked: a string or NaN gets a clear message."""

    is_template = True  # drawn by Gradio's own slider

    def preprocess(self, payload: Any) -> float:
        return super().preprocess(_numeric_payload(payload, self.label))


class NumberBox(gr.Number):
    """A number field whose API input is checked like ``NumberSlider``."""

    is_template = True  # drawn by Gradio's own number field

    def preprocess(self, payload: Any) -> float | int | None:
        return super().preprocess(_numeric_payload(payload, self.label))


def number(value: Any, name: str, low: float, high: float, integer: bool = False) -> float | int:
    """Validate a number that arrived through the UI or the API."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise UserInputError(f"{name} must be a number, got {value!r}") from None
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise UserInputError(f"{name} must be a finite number, got {value!r}")
    if not low <= value <= high:
        raise UserInputError(f"{name} must be between {low:g} and {high:g}, got {value:g}")
    if integer:
        if value != int(value):
            raise UserInputError(f"{name} must be a whole number, got {value:g}")
        return int(value)
    return float(value)


def text_input(value: Any, name: str, limit: int, allow_empty: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise UserInputError(f"{name} must be text")
    if len(value) > limit:
        raise UserInputError(f"{name} is {len(value):,} characters long; the limit here is {limit:,}")
    if not allow_empty and not value.strip():
        raise UserInputError(f"{name} is empty: type some text first")
    # Lone surrogates cannot be encoded; replace them the way a browser would.
    return value.encode("utf-8", "replace").decode("utf-8")


__all__ = ["TEXT", "NumberBox", "NumberSlider", "Translated", "on_gpu", "UserInputError", "friendly", "number", "text_input", "t", "normalise_language"]
