"""Shared fixtures: small random GPT-2s written in Hugging Face layout, never downloaded."""

from __future__ import annotations

import os
import socket

import pytest
import torch

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from model import GPT, GPTConfig, save_checkpoint  # noqa: E402

TINY = GPTConfig(vocab_size=50257, n_positions=128, n_embd=64, n_layer=2, n_head=4)


def devices() -> list[str]:
    """CPU always; CUDA too when this machine has it (the tests are device-agnostic)."""
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def random_gpt(config: GPTConfig = TINY, std: float = 0.2, seed: int = 0) -> GPT:
    """Random weights with a large init: std 0.02 gives degenerate greedy text that hides bugs."""
    torch.manual_seed(seed)
    model = GPT(config)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if parameter.dim() == 2:
                parameter.normal_(0.0, std)
            elif name.endswith("bias"):
                parameter.normal_(0.0, 0.02)
    return model.eval()


@pytest.fixture(scope="session")
def tiny_model() -> GPT:
    return random_gpt()


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory, tiny_model) -> str:
    folder = tmp_path_factory.mktemp("tiny-gpt2")
    save_checkpoint(tiny_model, folder, dtype=torch.float32)
    return str(folder)


@pytest.fixture(scope="session")
def hf_reference(tiny_checkpoint):
    transformers = pytest.importorskip("transformers")
    return transformers.GPT2LMHeadModel.from_pretrained(tiny_checkpoint, attn_implementation="eager").eval()


@pytest.fixture(scope="module")
def app_url():
    """The real app, launched on a free loopback port with its production queue settings."""
    import app

    app.demo.queue(**app.QUEUE_OPTIONS).launch(
        prevent_thread_lock=True, quiet=True, server_name="127.0.0.1", **app.LAUNCH_OPTIONS
    )
    try:
        yield app.demo.local_url.rstrip("/")
    finally:
        app.demo.close()


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a network connection fails the test loudly."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args[1:] if len(args) > 1 else args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
