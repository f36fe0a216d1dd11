"""Training recipe (model/train.py, model/corpus.py) and the shipped Shakespeare checkpoint.

Everything here runs offline on a CPU in seconds: the training tests use a few lines of text
written below, never the downloaded corpus. The checkpoint tests run whenever
``assets/bundled-model`` holds a model and are skipped, saying so, only when it does not.
"""

from __future__ import annotations

import hashlib
import json
import math

import pytest
import torch
import torch.nn.functional as F

from model.checkpoint import BUNDLED_MODEL_DIR, bundled_model_available, load_bundled, load_checkpoint
from model.corpus import GENRES, VALIDATION_WORKS, WORK_GENRES, normalise_play
from model.tokenizer import get_tokenizer
from model.train import (
    ReducedVocab,
    TrainConfig,
    build_model,
    chunked_cross_entropy,
    export,
    hidden_states,
    make_documents,
    parse_args,
    tiled_windows,
    train,
)

# The shipped checkpoint: change these together with assets/bundled-model (and say why in git).
BUNDLED_SHA256 = "432b10717f08c1a1895ec4a9d3561970817ea22f4887fc8625bf12b0aabd0bc6"
BUNDLED_SHAPE = {"n_layer": 6, "n_embd": 192, "n_head": 6, "n_positions": 256, "vocab_size": 50257}

SONNET_18 = """Shall I compare thee to a summer's day?
Thou art more lovely and more temperate:
Rough winds do shake the darling buds of May,
And summer's lease hath all too short a date:
Sometime too hot the eye of heaven shines,
And often is his gold complexion dimm'd;
And every fair from fair sometime declines,
By chance, or nature's changing course untrimm'd;
But thy eternal summer shall not fade,
Nor lose possession of that fair thou ow'st;
Nor shall Death brag thou wander'st in his shade,
When in eternal lines to time thou grow'st:
So long as men can breathe or eyes can see,
So long lives this, and this gives life to thee.
"""

DIALOGUE = """ACT I.

SCENE I. A room.

FIRST WITCH:
When shall we three meet again?
In thunder, lightning, or in rain?

SECOND WITCH:
When the hurlyburly's done,
When the battle's lost and won.

THIRD WITCH:
That will be ere the set of sun.
"""

TINY = dict(n_layer=1, n_embd=32, n_head=2, context=16, dropout=0.0, batch_size=8, warmup_steps=5,
            learning_rate=1e-2, eval_interval=1000, log_interval=5, train_eval_windows=8, threads=1,
            device="cpu", ce_chunk=32)


def tiny_docs():
    train_docs = make_documents([("sonnet_18", "poem", SONNET_18), ("witches", "tragedy", DIALOGUE)])
    val_docs = make_documents([("sonnet_18_again", "poem", SONNET_18[:300])])
    return train_docs, val_docs


# --- corpus -------------------------------------------------------------------------------------


def test_speaker_lines_become_one_name_colon_form():
    raw = """HAMLET, PRINCE OF DENMARK

Persons Represented.

Hamlet, Son to the former King.
Horatio, Friend to Hamlet.
Two Clowns, Grave-diggers.

ACT I.

Scene I. Elsinore.

Ham.
Who's there?

Hor.   
Nay, answer me.

1 Clown.
Is she to be buried?

KING. Ay, that is study's recompense.

KING.
Well.

THESEUS
What say you, Hermia?
@@@@
"""
    text = normalise_play(raw)
    assert "HAMLET:\nWho's there?" in text  # abbreviation expanded from the cast list
    assert "HORATIO:\nNay, answer me." in text  # trailing blanks stripped
    assert "FIRST CLOWN:\nIs she to be buried?" in text  # numbered, singular kept
    assert "KING:\nAy, that is study's recompense." in text  # inline tag split off
    assert "THESEUS:\nWhat say you, Hermia?" in text  # period-less ALL-CAPS tag
    assert "Hamlet, Son to the former King." in text  # the cast list itself is left alone
    assert "@" not in text and "\n\n\n" not in text


def test_every_channel_has_a_held_out_work():
    assert {WORK_GENRES[key] for key in VALIDATION_WORKS} == set(GENRES)


# --- training pieces ----------------------------------------------------------------------------


def test_training_forward_and_loss_match_the_engine():
    torch.manual_seed(0)
    vocab = ReducedVocab([5, 7, 100, 2000, 50256])
    model = build_model(TrainConfig(**TINY), vocab.size).eval()
    x = torch.randint(0, vocab.size - 1, (3, 16))
    y = torch.randint(0, vocab.size, (3, 16))
    hidden = hidden_states(model, x)
    assert torch.allclose(F.linear(hidden, model.wte.weight), model(x).logits, atol=1e-5)

    h = hidden.reshape(-1, 32).detach().requires_grad_()
    w = model.wte.weight.detach().clone().requires_grad_()
    extra = torch.zeros(vocab.size)
    extra[vocab.other] = vocab.other_log_count
    fused = chunked_cross_entropy(h, w, vocab.logit_bias, y.reshape(-1), torch.ones(48), extra, 7, torch.float32)
    fused.backward()
    grads = h.grad.clone(), w.grad.clone()
    h.grad = w.grad = None
    plain = F.cross_entropy(h @ w.t() + vocab.logit_bias, y.reshape(-1))
    plain = plain + (y.reshape(-1) == vocab.other).float().mean() * vocab.other_log_count
    plain.backward()
    assert abs(float(fused.detach()) - float(plain.detach())) < 1e-5
    assert torch.allclose(grads[0], h.grad, atol=1e-6) and torch.allclose(grads[1], w.grad, atol=1e-6)


def test_reduced_vocabulary_exports_the_same_distribution():
    torch.manual_seed(0)
    vocab = ReducedVocab([5, 7, 100, 2000, 50256])
    model = build_model(TrainConfig(**TINY), vocab.size).eval()
    x = torch.randint(0, vocab.size - 1, (2, 16))
    full = vocab.expand_to_full(model)
    assert full.config.vocab_size == 50257
    full_logp = torch.log_softmax(full(vocab.used[x]).logits.double(), -1)
    reduced_logp = torch.log_softmax(model(x).logits.double() + vocab.logit_bias.double(), -1)
    assert torch.allclose(full_logp[..., vocab.used], reduced_logp[..., :-1], atol=1e-4)
    # An id the corpus never used gets its share of the OTHER row: p_other / n_other.
    assert torch.allclose(full_logp[..., 3], reduced_logp[..., -1] - math.log(vocab.n_other), atol=1e-4)


def test_validation_windows_score_every_target_once():
    docs = make_documents([("a", "poem", SONNET_18), ("b", "tragedy", "A short one.")])
    data = tiled_windows(docs, ReducedVocab.identity(), 16, GENRES)
    assert data.tokens == sum(len(d.ids) - 1 for d in docs)


def test_cli_flags_make_a_tiny_run_possible():
    config, args = parse_args(["--n-layer", "1", "--n-embd", "32", "--n-head", "2", "--context", "32",
                               "--max-steps", "5", "--time-budget-min", "0.5", "--no-bf16", "--seed", "7"])
    assert (config.n_layer, config.n_embd, config.context, config.max_steps) == (1, 32, 32, 5)
    assert config.time_budget_min == 0.5 and config.bf16 is False and config.seed == 7


# --- a seeded run -------------------------------------------------------------------------------


def test_seeded_training_lowers_the_loss_and_resumes_exactly(tmp_path):
    train_docs, val_docs = tiny_docs()
    config = TrainConfig(**TINY, max_steps=40, seed=3)
    straight = train(config, train_docs, val_docs, GENRES, progress=False, log=lambda _: None)
    first, last = straight.history["eval"][0], straight.history["eval"][-1]
    assert first["step"] == 0 and last["step"] == 40
    assert last["train_loss"] < first["train_loss"] - 2.0  # from ~10.8 nats (uniform) downwards
    assert last["val_loss"] < first["val_loss"] - 1.0
    assert set(last["val_per_channel"]) == {"poem"}

    # Interrupted after 15 steps, then the same call again: the same model as without a break.
    run_dir = tmp_path / "run"
    paused = train(config, train_docs, val_docs, GENRES, run_dir=run_dir, progress=False,
                   log=lambda _: None, stop_after=15)
    assert paused.facts["steps"] == 15 and (run_dir / "resume.pt").is_file()
    resumed = train(config, train_docs, val_docs, GENRES, run_dir=run_dir, progress=False, log=lambda _: None)
    assert resumed.facts["resumed"] and resumed.facts["steps"] == 40
    for name, tensor in straight.model.state_dict().items():
        assert torch.allclose(tensor, resumed.model.state_dict()[name], atol=1e-6), name

    # Export: a normal full-vocabulary float16 checkpoint that gives the trained loss back.
    out = tmp_path / "model"
    report = export(resumed, out, val_docs=val_docs, samples=False)
    assert json.loads((out / "config.json").read_text())["vocab_size"] == 50257
    assert abs(report["final"]["val_loss_shipped_checkpoint"] - report["final"]["val_loss"]) < 0.02
    assert (out / "ATTRIBUTION.md").is_file()


# --- the shipped checkpoint ---------------------------------------------------------------------

needs_bundled = pytest.mark.skipif(
    not bundled_model_available(),
    reason=f"no bundled model in {BUNDLED_MODEL_DIR} (train one with `python -m model.train --out assets/bundled-model`)",
)


@needs_bundled
def test_bundled_checkpoint_is_the_recorded_one():
    data = (BUNDLED_MODEL_DIR / "model.safetensors").read_bytes()
    assert hashlib.sha256(data).hexdigest() == BUNDLED_SHA256
    assert len(data) <= 30 * 1024 * 1024
    config = json.loads((BUNDLED_MODEL_DIR / "config.json").read_text())
    assert {key: config[key] for key in BUNDLED_SHAPE} == BUNDLED_SHAPE
    assert config["model_type"] == "gpt2" and config["torch_dtype"] == "float16"
    report = json.loads((BUNDLED_MODEL_DIR / "training_report.json").read_text())
    assert report["model"]["checkpoint_sha256"] == BUNDLED_SHA256
    assert set(report["corpus"]["held_out_works"]) == set(VALIDATION_WORKS)
    assert set(report["final"]["val_per_channel"]) == set(GENRES)
    assert (BUNDLED_MODEL_DIR / "ATTRIBUTION.md").is_file()


def test_readme_and_model_card_describe_the_shipped_run():
    report = json.loads((BUNDLED_MODEL_DIR / "training_report.json").read_text())
    readme = (BUNDLED_MODEL_DIR.parent.parent / "README.md").read_text()
    card = (BUNDLED_MODEL_DIR / "MODEL_CARD.md").read_text()
    final = report["final"]
    for text in (readme, card):
        assert report["command"] in text
        assert f"{final['val_loss']:.2f}" in text
    assert BUNDLED_SHA256 in card and f"{final['val_loss']:.3f}" in card and f"{final['train_loss']:.3f}" in card
    assert f"{final['train_loss']:.2f}" in readme
    for channel, loss in final["val_per_channel"].items():
        assert f"{loss:.2f}" in readme and f"{loss:.3f}" in card, channel


@needs_bundled
def test_transformers_reads_the_bundled_checkpoint_unchanged():
    transformers = pytest.importorskip("transformers")
    hf = transformers.GPT2LMHeadModel.from_pretrained(BUNDLED_MODEL_DIR, dtype=torch.float32).eval()
    ours = load_bundled(device="cpu", dtype=torch.float32)
    ids = torch.tensor([get_tokenizer("gpt2").encode("ROMEO:\nBut soft, what light through yonder window breaks?")])
    with torch.no_grad():
        expected = hf(ids).logits
        actual = ours(ids).logits
    assert torch.allclose(actual, expected, atol=1e-4), float((actual - expected).abs().max())
    assert load_checkpoint(BUNDLED_MODEL_DIR, device="cpu").config.n_positions == 256
