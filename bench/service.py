"""The app as a service: cold start, per-endpoint latency, and memory over many requests.

    python -m bench.service [--requests 500] [--model bundled|gpt2] [--gpt2-folder DIR]

Starts ``python app.py`` on a free loopback port, times it to the first answered request, then
calls every tab's main endpoint one at a time over raw HTTP within one session, as a browser tab
does (median and p95 per endpoint), and
samples the server's resident memory (peak, and the growth between the first and last hundred
requests). Prints where start-up time goes, measured in a separate interpreter. ``--model gpt2`` without a
folder writes GPT-2-124M-shaped random weights to a temporary folder (offline, same cost per token
as the real GPT-2) and starts the app with ``--gpt2-folder``.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.load import MIXED_REQUESTS, call, percentile

ROOT = Path(__file__).resolve().parent.parent
STARTUP_BREAKDOWN = """
import time; t0 = time.perf_counter()
import torch; t1 = time.perf_counter()
import gradio; t2 = time.perf_counter()
from ui.hub import ModelHub; hub = ModelHub(); t3 = time.perf_counter()
hub.get("bundled"); t4 = time.perf_counter()
import app; t5 = time.perf_counter()
print(f"import torch {t1-t0:.2f}s · import gradio {t2-t1:.2f}s · engine+ui modules {t3-t2:.2f}s · "
      f"load bundled model {t4-t3:.2f}s · build the page {t5-t4:.2f}s")
"""


SESSION = "bench-service"  # one browser tab's session, as a student's page keeps it


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of ``pid`` in MB, from /proc."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def with_model(data: list, model: str) -> list:
    return [model if value == "bundled" else value for value in data]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--model", default="bundled", choices=["bundled", "gpt2"])
    parser.add_argument("--gpt2-folder", help="GPT-2 checkpoint folder (default with --model gpt2: random 124M-shaped weights)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        if args.model == "gpt2" and not args.gpt2_folder:
            import torch

            from model import GPT, GPTConfig, save_checkpoint

            torch.manual_seed(0)
            save_checkpoint(GPT(GPTConfig()), scratch, dtype=torch.float32)
            args.gpt2_folder = scratch
            print("gpt2: GPT-2-124M-shaped random weights (no network here)")
        measure(args)


NEW_BATCH = "padding_lab·new"
TIMED = [name for name, _ in MIXED_REQUESTS] + [NEW_BATCH]


def timed_request(n: int) -> tuple[str, str, list]:
    """Request ``n`` as (label, endpoint, data): the mixed requests in turn, plus a Padding-lab batch
    never sent before.

    The lab remembers batches it has run (a class clicking the same example runs it once), so the
    repeated ``padding_lab`` request measures a redraw; ``padding_lab·new`` measures a full run.
    """
    label = TIMED[n % len(TIMED)]
    if label == NEW_BATCH:
        return label, "padding_lab", ["bundled", f"To be, or not to be\nRomeo:\nWhat light {n}", 6, "right-naive", 1, "en"]
    return label, label, dict(MIXED_REQUESTS)[label]


def measure(args: argparse.Namespace) -> None:

    print(subprocess.run([sys.executable, "-c", STARTUP_BREAKDOWN], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}).stdout.strip())
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    start = time.perf_counter()
    command = [sys.executable, "app.py", "--port", str(port)] + (["--gpt2-folder", args.gpt2_folder] if args.gpt2_folder else [])
    server = subprocess.Popen(command, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(timeout=120) as client:
            while True:
                try:
                    if call(client, base_url, *MIXED_REQUESTS[0]).kind == "complete":
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
                if time.perf_counter() - start > 120:
                    raise SystemExit("the app did not answer within 120 s")
            print(f"cold start: python app.py → first answer in {time.perf_counter() - start:.2f} s")

            first_calls = {}
            for name, data in MIXED_REQUESTS:  # the first call of each loads what it needs; not counted below
                first_calls[name] = call(client, base_url, name, with_model(data, args.model), SESSION).seconds * 1000
            print("first call per endpoint (ms): " + ", ".join(f"{k} {v:.0f}" for k, v in first_calls.items()))
            latencies: dict[str, list[float]] = {label: [] for label in TIMED}
            memory = []
            for n in range(args.requests):
                label, name, data = timed_request(n)
                answer = call(client, base_url, name, with_model(data, args.model), SESSION)
                if answer.kind != "complete":
                    raise SystemExit(f"{name} failed: {answer.payload[:200]}")
                latencies[label].append(answer.seconds * 1000)
                memory.append(rss_mb(server.pid)[0])
        print(f"\n{'endpoint':16s} {'n':>4s} {'median ms':>10s} {'p95 ms':>8s}")
        for name, values in latencies.items():
            print(f"{name:16s} {len(values):4d} {statistics.median(values):10.0f} {percentile(values, 0.95):8.0f}")
        half = len(memory) // 2
        print(f"\nmemory: peak RSS {rss_mb(server.pid)[1]:.0f} MB; RSS after every 100 requests (MB): "
              + ", ".join(f"{m:.0f}" for m in memory[99::100]))
        print(f"growth over the second half ({len(memory) - half} requests): {memory[-1] - memory[half]:+.0f} MB; "
              f"over all {len(memory)}: {memory[-1] - memory[0]:+.0f} MB")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
