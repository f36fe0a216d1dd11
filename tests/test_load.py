"""A class hitting the app at once: no errors, no lost answers, a clear "busy", and no cross-talk."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from bench.load import call, report, run_load

pytestmark = pytest.mark.slow


@pytest.fixture
def launched():
    import app

    def launch(**queue_options):
        app.demo.queue(**{**app.QUEUE_OPTIONS, **queue_options}).launch(
            prevent_thread_lock=True, quiet=True, server_name="127.0.0.1", **app.LAUNCH_OPTIONS)
        return app.demo.local_url.rstrip("/")

    yield launch
    app.demo.close()
    app.demo.queue(**app.QUEUE_OPTIONS)


def test_thirty_two_clients_five_requests_each(launched):
    answers = run_load(launched(), clients=32, requests_per_client=5)
    print("\n" + report(answers))
    assert len(answers) == 160
    failures = [(a.endpoint, a.kind, a.payload[:200]) for a in answers if a.kind != "complete"]
    assert not failures


def test_a_full_queue_answers_busy_clearly(launched):
    base_url = launched(max_size=1, default_concurrency_limit=1)
    # Each call its own batch: the lab remembers a batch it has run, and these must all run.
    slow = [["bundled", f"To be, or not to be {i}\nRomeo:\nWhat light", 32, "left", 1, "en"] for i in range(12)]
    with httpx.Client(timeout=120) as client, ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda data: call(client, base_url, "padding_lab", data), slow))
    kinds = [a.kind for a in answers]
    assert "complete" in kinds
    busy = [a for a in answers if a.kind != "complete"]
    assert busy, "12 simultaneous calls against a queue of 1 must turn some away"
    for answer in busy:
        assert answer.kind in ("error", "http") and "queue is full" in answer.payload.lower(), answer.payload[:300]


def test_interleaved_users_each_get_their_own_seeded_generation(launched):
    base_url = launched()
    users = {
        "alice": ["bundled", "ROMEO:", 1.0, 1.0, 0, 0.95, 0.0, 16, 11, "en"],
        "bob": ["bundled", "JULIET:\nO", 1.3, 0.9, 30, 1.0, 0.05, 16, 22, "en"],
    }
    with httpx.Client(timeout=120) as client:
        alone = {name: call(client, base_url, "generate", data).payload for name, data in users.items()}
        assert alone["alice"] != alone["bob"]
        order = ["alice", "bob"] * 8
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda name: (name, call(client, base_url, "generate", users[name]).payload), order))
    for name, payload in results:
        assert json.loads(payload) == json.loads(alone[name]), f"{name} got someone else's tokens"


def test_sessions_are_bounded_and_a_tab_keeps_one(launched):
    """Memory per session is Gradio's copy of the page state: one per tab, and a bounded number."""
    import app

    base_url = launched()
    holder = app.demo.state_holder
    assert holder.capacity == app.SESSIONS_KEPT
    with httpx.Client(timeout=60) as client:
        before = len(holder.session_data)
        for _ in range(10):
            assert call(client, base_url, "tokenize", ["same tab", False, True, "en"], session="one-tab").kind == "complete"
        assert len(holder.session_data) - before == 1
        holder.capacity = 5  # API calls without a session each open one; the oldest go first
        for _ in range(12):
            assert call(client, base_url, "tokenize", ["anonymous", False, True, "en"]).kind == "complete"
        assert len(holder.session_data) <= 6  # an update evicts one at a time, after adding
