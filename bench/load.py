"""A classroom's worth of load against a running app, over raw HTTP (no gradio_client polling).

    python -m bench.load --url http://127.0.0.1:7860 [--clients 32 --requests 5]

Each client sends a mix of the tabs' main requests; the report counts errors and lost answers and
gives p50/p95 latency per endpoint. Loopback only: the URL must point at this machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlparse

import httpx

MIXED_REQUESTS = [
    ("tokenize", ["我喜欢吃苹果，因为它很好吃 and some English", False, True, "en"]),
    ("attention", ["bundled", "The cat sat on the mat", "Once upon a time", "left", "causal", 2, 3, 0, 0, 1, 0, "en"]),
    ("padding_lab", ["bundled", "To be, or not to be\nRomeo:\nWhat light", 6, "right-naive", 1, "en"]),
    ("distribution", ["bundled", "ROMEO:\nBut soft", 1.0, 0.8, 40, 0.9, 0.0, "en"]),
    ("generate", ["bundled", "JULIET:", 1.0, 0.8, 40, 0.9, 0.0, 12, 0, "en"]),
    ("look_inside", ["bundled", "ROMEO:\nBut, soft! what light through yonder window breaks?", 3, -1, 0, "en"]),
]


@dataclass
class Answer:
    endpoint: str
    kind: str  # "complete", "error", "http"
    payload: str
    seconds: float


def call(client: httpx.Client, base_url: str, endpoint: str, data: list, session: str | None = None) -> Answer:
    """POST the call, read its event stream to the end; the final event decides the outcome.

    ``session`` plays one browser tab: a page keeps its session for every request, while a call
    without one gets a fresh session each time (Gradio builds and keeps its state, ~0.3 MB here).
    """
    start = time.perf_counter()
    body = json.dumps({"data": data} | ({"session_hash": session} if session else {}), allow_nan=True)
    started = client.post(f"{base_url}/gradio_api/call/{endpoint}", content=body,
                          headers={"Content-Type": "application/json"})
    if started.status_code != 200:
        return Answer(endpoint, "http", f"{started.status_code} {started.text}", time.perf_counter() - start)
    stream = client.get(f"{base_url}/gradio_api/call/{endpoint}/{started.json()['event_id']}").text
    events = [line[7:] for line in stream.splitlines() if line.startswith("event: ")]
    payloads = [line[6:] for line in stream.splitlines() if line.startswith("data: ")]
    kind = events[-1] if events else "lost"
    return Answer(endpoint, kind, payloads[-1] if payloads else "", time.perf_counter() - start)


def run_load(base_url: str, clients: int, requests_per_client: int, timeout: float = 120.0) -> list[Answer]:
    """``clients`` threads, each sending ``requests_per_client`` mixed requests back to back."""
    host = urlparse(base_url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("the load test only targets this machine (127.0.0.1 / localhost)")
    answers: list[Answer] = []
    lock = threading.Lock()

    def client_session(index: int) -> None:
        with httpx.Client(timeout=timeout) as client:
            for n in range(requests_per_client):
                endpoint, data = MIXED_REQUESTS[(index + n) % len(MIXED_REQUESTS)]
                answer = call(client, base_url, endpoint, data, session=f"load-client-{index}")
                with lock:
                    answers.append(answer)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(client_session, range(clients)))
    return answers


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def report(answers: list[Answer]) -> str:
    lines = [f"{'endpoint':14s} {'n':>4s} {'errors':>6s} {'p50 ms':>8s} {'p95 ms':>8s}"]
    for endpoint in dict.fromkeys(a.endpoint for a in answers):
        mine = [a for a in answers if a.endpoint == endpoint]
        times = [a.seconds * 1000 for a in mine]
        errors = sum(a.kind != "complete" for a in mine)
        lines.append(f"{endpoint:14s} {len(mine):4d} {errors:6d} {statistics.median(times):8.0f} {percentile(times, 0.95):8.0f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:7860")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=5)
    args = parser.parse_args()
    answers = run_load(args.url.rstrip("/"), args.clients, args.requests)
    print(report(answers))
    print(f"total {len(answers)} answers, {sum(a.kind != 'complete' for a in answers)} errors")


if __name__ == "__main__":
    main()
