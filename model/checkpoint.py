"""Reading and writing GPT-2 checkpoints in the Hugging Face layout, from safetensors only.

A folder holds ``config.json`` (GPT2Config keys) and ``model.safetensors``. Tensors map one to one
by name; the projection weights, which GPT-2 stores as Conv1D ``[in, out]``, are transposed to the
engine's ``[out, in]`` on loading and back on saving.
Nothing here ever unpickles: ``torch.load`` is not used.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from .gpt import GPT, GPTConfig, default_device

ASSETS = Path(__file__).resolve().parent.parent / "assets"
BUNDLED_MODEL_DIR = ASSETS / "bundled-model"
GPT2_HUB_REPO = "openai-community/gpt2"
_IGNORED_SUFFIXES = (".attn.bias", ".attn.masked_bias")
_CONV1D_WEIGHTS = (".c_attn.weight", ".c_proj.weight", ".c_fc.weight")  # stored [in, out] by GPT-2


class ModelUnavailableError(RuntimeError):
    """A model could not be loaded; the message says why in words a user can act on, and ``reason``
    names the case (``"download"``, ``"layout"``, …) so an interface can say it in its own language."""

    def __init__(self, message: str, reason: str = "other") -> None:
        super().__init__(message)
        self.reason = reason


def config_from_hf(hf_config: dict) -> GPTConfig:
    activation = hf_config.get("activation_function", "gelu_new")
    if activation not in ("gelu_new", "gelu_pytorch_tanh"):
        raise ModelUnavailableError(f"unsupported activation {activation!r}: this engine is GPT-2's")
    return GPTConfig(
        vocab_size=hf_config["vocab_size"],
        n_positions=hf_config["n_positions"],
        n_embd=hf_config["n_embd"],
        n_layer=hf_config["n_layer"],
        n_head=hf_config["n_head"],
        layer_norm_epsilon=hf_config.get("layer_norm_epsilon", 1e-5),
    )


def config_to_hf(config: GPTConfig, torch_dtype: str = "float32") -> dict:
    return {
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "activation_function": "gelu_new",
        "vocab_size": config.vocab_size,
        "n_positions": config.n_positions,
        "n_ctx": config.n_positions,
        "n_embd": config.n_embd,
        "n_layer": config.n_layer,
        "n_head": config.n_head,
        "n_inner": None,
        "layer_norm_epsilon": config.layer_norm_epsilon,
        "resid_pdrop": 0.0,
        "embd_pdrop": 0.0,
        "attn_pdrop": 0.0,
        "bos_token_id": 50256,
        "eos_token_id": 50256,
        "tie_word_embeddings": True,
        "torch_dtype": torch_dtype,
    }


def _to_engine_state(hf_state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    state = {}
    for name, tensor in hf_state.items():
        name = name.removeprefix("transformer.")
        if name == "lm_head.weight" or name.endswith(_IGNORED_SUFFIXES):
            continue  # tied to wte / causal-mask buffers that the engine builds itself
        state[name] = tensor.t() if name.endswith(_CONV1D_WEIGHTS) else tensor
    return state


def load_checkpoint(
    folder: str | Path,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> GPT:
    """Load an HF-layout GPT-2 folder (``config.json`` + ``model.safetensors``)."""
    folder = Path(folder)
    config_path, weights_path = folder / "config.json", folder / "model.safetensors"
    if not config_path.is_file() or not weights_path.is_file():
        raise ModelUnavailableError(
            f"{folder} does not hold config.json and model.safetensors (safetensors only)"
        )
    config = config_from_hf(json.loads(config_path.read_text()))
    model = GPT(config)
    state = _to_engine_state(load_file(str(weights_path)))
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ModelUnavailableError(
            f"{weights_path} does not match GPT-2's layout (missing {missing[:3]}, unexpected {unexpected[:3]})"
        )
    return model.to(device=device or default_device(), dtype=dtype).eval()


def save_checkpoint(model: GPT, folder: str | Path, dtype: torch.dtype = torch.float16) -> None:
    """Write ``model`` as an ordinary HF GPT-2 checkpoint (tied output layer not stored twice)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {}
    for name, tensor in model.state_dict().items():
        tensor = tensor.t() if name.endswith(_CONV1D_WEIGHTS) else tensor
        state[f"transformer.{name}"] = tensor.detach().to("cpu", dtype).contiguous()
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    dtype_name = str(dtype).removeprefix("torch.")
    (folder / "config.json").write_text(json.dumps(config_to_hf(model.config, dtype_name), indent=2) + "\n")


def load_from_hub(
    repo_id: str = GPT2_HUB_REPO,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> GPT:
    """Fetch config + safetensors with huggingface_hub (or its local cache) and load them."""
    try:
        from huggingface_hub import snapshot_download

        folder = snapshot_download(repo_id, allow_patterns=["config.json", "model.safetensors"])
    except Exception as error:  # network, auth, or a missing repo: all become one clear message
        raise ModelUnavailableError(
            f"could not download {repo_id} from the Hugging Face Hub ({type(error).__name__}); "
            "without network, pass a local folder holding config.json and model.safetensors",
            reason="download",
        ) from error
    return load_checkpoint(folder, device=device, dtype=dtype)


def load_bundled(device: torch.device | str | None = None, dtype: torch.dtype = torch.float32) -> GPT:
    """The small Shakespeare GPT shipped in ``assets/bundled-model``."""
    return load_checkpoint(BUNDLED_MODEL_DIR, device=device, dtype=dtype)


def bundled_model_available() -> bool:
    return (BUNDLED_MODEL_DIR / "model.safetensors").is_file()
