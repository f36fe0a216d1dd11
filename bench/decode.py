"""Decode speed: our generate() against transformers' generate() on identical weights, same run.

    python -m bench.decode [--quick]

Prints tokens/s for each and the ratio (ours / HF); greedy, fp32, 32-token prompt, 64 new tokens.
Also estimates the memory-bandwidth bound for batch 1 (weight bytes read per token ÷ measured
read bandwidth), since a 124M-parameter decode step is bound by reading its weights.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import torch

from model import GPT, GPTConfig, generate, load_bundled, save_checkpoint

MODELS = {
    "bundled model (shipped weights)": load_bundled,
    "bundled shape, random weights": lambda: _random(GPTConfig(n_positions=256, n_embd=192, n_layer=6, n_head=6)),
    "gpt2-124M shape, random": lambda: _random(GPTConfig()),
}


def _random(config: GPTConfig) -> GPT:
    torch.manual_seed(0)
    return GPT(config).eval()


def _time(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def read_bandwidth(megabytes: int = 512) -> float:
    """Bytes per second for a large tensor sum (a read-dominated kernel)."""
    data = torch.ones(megabytes * 2**20 // 4)
    seconds = _time(lambda: data.sum(), 5)
    return data.numel() * 4 / seconds


def run(name: str, ours: GPT, batch: int, new_tokens: int, repeats: int) -> dict:
    """Greedy decode with ours and with transformers on the same weights (saved and reloaded)."""
    from transformers import GPT2LMHeadModel

    config = ours.config
    with tempfile.TemporaryDirectory() as folder:
        save_checkpoint(ours, folder, dtype=torch.float32)
        reference = GPT2LMHeadModel.from_pretrained(folder).eval()
    prompts = torch.randint(0, config.vocab_size, (batch, 32), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        hf_seconds = _time(lambda: reference.generate(prompts, attention_mask=torch.ones_like(prompts), max_new_tokens=new_tokens, min_new_tokens=new_tokens,
                                                      do_sample=False, pad_token_id=50256), repeats)
        our_seconds = _time(lambda: generate(ours, prompts.tolist(), new_tokens), repeats)
    tokens = batch * new_tokens
    # Bytes a one-token step must read: every weight once, except the embeddings' unused rows
    # (one position row; the token embedding is read whole as the output layer).
    weight_bytes = sum(p.numel() * 4 for p in ours.parameters()) - (config.n_positions - 1) * config.n_embd * 4
    return {"model": name, "batch": batch, "ours_tok_s": tokens / our_seconds, "hf_tok_s": tokens / hf_seconds,
            "ratio": hf_seconds / our_seconds, "weight_bytes": weight_bytes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, skip the 124M shape at batch 8")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    repeats = 2 if args.quick else 5
    bandwidth = read_bandwidth()
    policy = os.environ.get("OMP_WAIT_POLICY", "unset (libgomp spins briefly, then sleeps)")
    print(f"device: cpu, threads {args.threads}, OMP_WAIT_POLICY {policy}, read bandwidth {bandwidth / 1e9:.1f} GB/s")
    print(f"{'model':32s} {'batch':>5s} {'ours tok/s':>11s} {'HF tok/s':>9s} {'ratio':>6s} {'bw bound tok/s':>15s} {'ours/bound':>10s}")
    for name, make in MODELS.items():
        model = make().float().eval()
        for batch in (1, 8):
            if args.quick and batch == 8 and model.config.n_layer == 12:
                continue
            row = run(name, model, batch, 64, repeats)
            bound = f"{bandwidth / row['weight_bytes']:15.1f} {row['ours_tok_s'] * row['weight_bytes'] / bandwidth:10.0%}" if batch == 1 else ""
            print(f"{name:32s} {batch:5d} {row['ours_tok_s']:11.1f} {row['hf_tok_s']:9.1f} {row['ratio']:6.2f} {bound}", flush=True)


if __name__ == "__main__":
    main()
