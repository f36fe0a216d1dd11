"""Next-Token Lab's engine: a GPT-2 decoder, its masks, padding, sampling and generation.

PyTorch and tiktoken only; nothing here knows about the UI.
"""

from .checkpoint import (
    ModelUnavailableError,
    bundled_model_available,
    load_bundled,
    load_checkpoint,
    load_from_hub,
    save_checkpoint,
)
from .comparison import RowComparison, StrategyComparison, compare_strategies
from .generation import (
    GenerationResult, GenerationStep, PaddingStrategy, fit_to_context, generate, generate_each_strategy, prompt_layout,
    stream_generate,
)
from .gpt import GPT, GPTConfig, GPTOutput, KVCache, default_device
from .masks import MaskKind, additive_mask, build_attention_mask, structural_mask
from .padding import PaddingSide, pad_batch, positions_from_mask
from .sampling import SamplingConfig, process_logits, sample
from .tokenizer import Tokenizer, TokenPiece, get_tokenizer

__all__ = [
    "GPT", "GPTConfig", "GPTOutput", "KVCache", "default_device",
    "ModelUnavailableError", "bundled_model_available", "load_bundled", "load_checkpoint",
    "load_from_hub", "save_checkpoint",
    "GenerationResult", "GenerationStep", "PaddingStrategy", "fit_to_context", "generate",
    "generate_each_strategy", "prompt_layout", "RowComparison", "StrategyComparison", "compare_strategies", "stream_generate",
    "MaskKind", "additive_mask", "build_attention_mask", "structural_mask",
    "PaddingSide", "pad_batch", "positions_from_mask",
    "SamplingConfig", "process_logits", "sample",
    "Tokenizer", "TokenPiece", "get_tokenizer",
]
