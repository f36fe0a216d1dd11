"""The models the page can use, each loaded once and shared by every request."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from model import GPT, GPTConfig, ModelUnavailableError, Tokenizer, bundled_model_available, get_tokenizer
from model.checkpoint import load_bundled, load_checkpoint, load_from_hub

MODEL_CHOICES = ("bundled", "gpt2")  # the allow-list: nothing else from the browser reaches a loader


@dataclass(frozen=True)
class LoadedModel:
    key: str
    model: GPT
    tokenizer: Tokenizer
    random_weights: bool

    @property
    def context(self) -> int:
        return self.model.config.n_positions

    def describe(self) -> dict:
        config = self.model.config
        return {
            "model": self.key,
            "device": str(self.model.device),
            "parameters": self.model.num_parameters(),
            "layers": config.n_layer,
            "heads": config.n_head,
            "width": config.n_embd,
            "context": config.n_positions,
            "random_weights": self.random_weights,
        }


def placeholder_model() -> GPT:
    """Stand-in when no bundled checkpoint exists: small, seeded, random; the page says so."""
    torch.manual_seed(0)
    return GPT(GPTConfig(n_positions=256, n_embd=128, n_layer=4, n_head=4)).eval()


FAILURE_KEPT_SECONDS = 60.0  # an offline GPT-2 is not tried again (a download timeout) on every click


class ModelHub:
    """Loads each allowed model on first use and keeps it.

    Each model has its own lock: while GPT-2 downloads (~550 MB), requests for the bundled model
    go on. A load that failed answers with the same error for a minute instead of trying again.
    """

    def __init__(self, gpt2_folder: str | Path | None = None, device: torch.device | str | None = None) -> None:
        self.device = device
        self._models: dict[str, LoadedModel] = {}
        self._failures: dict[str, tuple[ModelUnavailableError, float]] = {}
        self._locks = {key: threading.Lock() for key in MODEL_CHOICES}
        self.gpt2_folder = gpt2_folder

    @property
    def gpt2_folder(self) -> Path | None:
        """Where GPT-2 loads from (``None``: the Hub)."""
        return self._gpt2_folder

    @gpt2_folder.setter
    def gpt2_folder(self, folder: str | Path | None) -> None:
        """A new source for GPT-2: what was loaded, or failed, from the old one is forgotten."""
        with self._locks["gpt2"]:
            self._gpt2_folder = Path(folder) if folder else None
            self._models.pop("gpt2", None)
            self._failures.pop("gpt2", None)

    def get(self, key: str) -> LoadedModel:
        if key not in MODEL_CHOICES:
            raise ValueError(f"unknown model {key!r}; choose one of {', '.join(MODEL_CHOICES)}")
        if key in self._models:
            return self._models[key]
        with self._locks[key]:
            if key not in self._models:
                failed = self._failures.get(key)
                if failed and time.monotonic() - failed[1] < FAILURE_KEPT_SECONDS:
                    raise ModelUnavailableError(str(failed[0]), failed[0].reason)
                try:
                    self._models[key] = self._load(key)
                except ModelUnavailableError as error:
                    self._failures[key] = (error, time.monotonic())
                    raise
            return self._models[key]

    def usable(self, key: str) -> LoadedModel:
        """The model ``key``, or the bundled one where ``key`` cannot be loaded here (the page falls back too)."""
        try:
            return self.get(key)
        except ModelUnavailableError:
            return self.get("bundled")

    def _load(self, key: str) -> LoadedModel:
        tokenizer = get_tokenizer("gpt2")
        if key == "bundled":
            if bundled_model_available():
                return LoadedModel(key, load_bundled(self.device), tokenizer, random_weights=False)
            return LoadedModel(key, placeholder_model().to(self.device or "cpu"), tokenizer, random_weights=True)
        if self.gpt2_folder is not None:
            return LoadedModel(key, load_checkpoint(self.gpt2_folder, self.device), tokenizer, random_weights=False)
        return LoadedModel(key, load_from_hub(device=self.device), tokenizer, random_weights=False)


__all__ = ["MODEL_CHOICES", "LoadedModel", "ModelHub", "ModelUnavailableError"]
