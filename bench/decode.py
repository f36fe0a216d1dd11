"""Decode speed: our generate() against transformers' generate() on identical weights, same run.

    python -m bench.decode [--quick] [--device cuda]

Prints tokens/s for each and the ratio (ours / HF); greedy, fp32, 32-token prompt, 64 new tokens.
Also estimates the memory-bandwidth bound for batch 1 (weight bytes read per token ÷ measured
read bandwidth), since a 124M-parameter decode step is bound by reading its weights. Transformers,
then ours between two sets of bandwidth reads, are timed back to back in every repeat, and each
ratio is the median of the repeats' own ratios. The last column times a step's products alone (every projection and the
output layer on one row) against the same bandwidth: the gap between it and ``ours/bound`` is the
rest of a step.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from typing import Callable

import torch

from model import GPT, GPTConfig, generate, load_bundled, products, save_checkpoint
from model.gpt import Projection
from model.inspect import synchronize

MODELS = {
    "bundled model (shipped weights)": load_bundled,
    "bundled shape, random weights": lambda: _random(GPTConfig(n_positions=256, n_embd=192, n_layer=6, n_head=6)),
    "gpt2-124M shape, random": lambda: _random(GPTConfig()),
}


def _random(config: GPTConfig) -> GPT:
    torch.manual_seed(0)
    return GPT(config).eval()


def _seconds(fn, device: torch.device = torch.device("cpu")) -> float:
    """Wall-clock seconds of ``fn``, including the GPU work it queued."""
    synchronize(device)
    start = time.perf_counter()
    fn()
    synchronize(device)
    return time.perf_counter() - start


BANDWIDTH_READS = 3  # on each side of our run: one read swings from 27 to 44 GB/s within seconds here


def read_bandwidth(data: torch.Tensor) -> float:
    """Bytes per second for one sum over ``data`` (a read-dominated kernel; 512 MB by default)."""
    return data.numel() * data.element_size() / _seconds(data.sum, data.device)


def one_step_products(model: GPT) -> tuple[Callable[[], None], int]:
    """The products a one-token step makes, and nothing else: every projection and the output
    layer applied to one row (with the bytes they read). Set beside a whole step, it shows how much
    of the step is reading weights and how much is everything else."""
    weights = [(m.weight, m.bias) for m in model.modules() if isinstance(m, Projection)]
    weights.append((model._output_layer().weight, None))
    rows = {w.shape[1]: torch.randn(1, w.shape[1], device=model.device) for w, _ in weights}
    return (lambda: [products.linear(rows[w.shape[1]], w, b) for w, b in weights],
            sum(w.numel() * w.element_size() for w, _ in weights))


def run(name: str, ours: GPT, batch: int, new_tokens: int, repeats: int, data: torch.Tensor) -> dict:
    """Greedy decode with ours and with transformers on the same weights (saved and reloaded), both
    on ``data``'s device.

    Each repeat times transformers, then ours with ``BANDWIDTH_READS`` bandwidth reads just before
    and just after it (their median is that repeat's bandwidth), then a step's products alone. The
    ratios are the medians of each repeat's own ratios: the box's speed drifts (it is shared), and
    pairing keeps that drift out of the comparison.
    """
    from transformers import GPT2LMHeadModel

    config, device = ours.config, data.device
    with tempfile.TemporaryDirectory() as folder:
        save_checkpoint(ours, folder, dtype=torch.float32)
        reference = GPT2LMHeadModel.from_pretrained(folder).eval().to(device)
    ours = ours.to(device)
    prompts = torch.randint(0, config.vocab_size, (batch, 32), generator=torch.Generator().manual_seed(1)).to(device)

    def theirs() -> None:
        reference.generate(prompts, attention_mask=torch.ones_like(prompts), max_new_tokens=new_tokens,
                           min_new_tokens=new_tokens, do_sample=False, pad_token_id=50256)

    def mine() -> None:
        generate(ours, prompts.tolist(), new_tokens)

    # Bytes a one-token step must read: every weight once, except the embeddings' unused rows
    # (one position row; the token embedding is read whole as the output layer).
    weight_bytes = sum(p.numel() * 4 for p in ours.parameters()) - (config.n_positions - 1) * config.n_embd * 4
    tokens = batch * new_tokens
    step_products, product_bytes = one_step_products(ours)
    samples, product_reads = [], []
    with torch.no_grad():
        theirs(), mine(), step_products()  # warm-up
        for _ in range(repeats):
            hf = _seconds(theirs, device)
            reads = [read_bandwidth(data) for _ in range(BANDWIDTH_READS)]
            t = _seconds(mine, device)
            reads += [read_bandwidth(data) for _ in range(BANDWIDTH_READS)]
            samples.append((statistics.median(reads), hf, t))
            product_reads.append(product_bytes / _seconds(step_products, device) / samples[-1][0])
    median = statistics.median
    return {
        "model": name, "batch": batch, "weight_bytes": weight_bytes,
        "bandwidth": median(bw for bw, _, _ in samples),
        "ours_tok_s": median(tokens / t for _, _, t in samples),
        "hf_tok_s": median(tokens / t for _, t, _ in samples),
        "ratio": median(hf / t for _, hf, t in samples),
        # Steps per second against steps the bandwidth allows, each repeat against its own bandwidth.
        "of_bound": median(new_tokens / t * weight_bytes / bw for bw, _, t in samples),
        # A step's products alone read their weights at this fraction of the sum's bandwidth.
        "products_read": median(product_reads),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, skip the 124M shape at batch 8")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="cpu or cuda (a lent GPU): both models and the bandwidth read run there")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    repeats = 3 if args.quick else 7
    device = torch.device(args.device)
    data = torch.ones(512 * 2**20 // 4, device=device)
    if device.type == "cuda":
        print(f"device: {torch.cuda.get_device_name(device)}, torch {torch.__version__}; products: torch (F.linear)")
    else:
        policy = os.environ.get("OMP_WAIT_POLICY", "unset (libgomp spins briefly, then sleeps)")
        print(f"device: cpu, threads {args.threads}, OMP_WAIT_POLICY {policy}, products: {products.routes()}")
    print(f"{'model':32s} {'batch':>5s} {'ours tok/s':>11s} {'HF tok/s':>9s} {'ratio':>6s} "
          f"{'read GB/s':>9s} {'bw bound tok/s':>15s} {'ours/bound':>10s} {'products alone':>14s}")
    for name, make in MODELS.items():
        model = make().float().eval()
        for batch in (1, 8):
            if args.quick and batch == 8 and model.config.n_layer == 12:
                continue
            row = run(name, model, batch, 64, repeats, data)
            bound = ""
            if batch == 1:
                bound = (f"{row['bandwidth'] / 1e9:9.1f} {row['bandwidth'] / row['weight_bytes']:15.1f} "
                         f"{row['of_bound']:10.0%} {row['products_read']:14.0%}")
            print(f"{name:32s} {batch:5d} {row['ours_tok_s']:11.1f} {row['hf_tok_s']:9.1f} {row['ratio']:6.2f} {bound}", flush=True)


if __name__ == "__main__":
    main()
