"""Parity with transformers' GPT2LMHeadModel on identical random weights (no download)."""

import pytest
import torch

from model import GPT, load_checkpoint, ModelUnavailableError
from model.checkpoint import load_from_hub

from .conftest import devices, random_gpt

IDS = torch.tensor([[464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13], [40, 1842, 257, 3797, 11, 290, 340, 6622, 4171, 13]])


def test_loads_hf_layout_and_matches_logits(tiny_checkpoint, hf_reference, tiny_model):
    ours = load_checkpoint(tiny_checkpoint, device="cpu")
    with torch.no_grad():
        theirs = hf_reference(IDS, output_attentions=True, output_hidden_states=True)
        mine = ours(IDS, output_attentions=True, output_hidden_states=True)
    assert (mine.logits - theirs.logits).abs().max() < 1e-4
    for a, b in zip(mine.attentions, theirs.attentions):
        assert (a - b).abs().max() < 1e-5
    # our hidden_states[i] is the input of block i; HF's last one has the final norm applied
    for a, b in zip(mine.hidden_states[:-1], theirs.hidden_states[:-1]):
        assert (a - b).abs().max() < 1e-4
    assert (ours.ln_f(mine.hidden_states[-1]) - theirs.hidden_states[-1]).abs().max() < 1e-4


def test_hf_original_layout_without_prefix_and_with_buffers(tmp_path, tiny_model):
    """openai-community/gpt2 stores keys without 'transformer.' and keeps attn.bias buffers."""
    import json

    from safetensors.torch import load_file, save_file

    from model.checkpoint import save_checkpoint

    save_checkpoint(tiny_model, tmp_path, dtype=torch.float32)
    state = {k.removeprefix("transformer."): v for k, v in load_file(tmp_path / "model.safetensors").items()}
    state["h.0.attn.bias"] = torch.ones(1, 1, 128, 128).tril()
    save_file(state, str(tmp_path / "model.safetensors"))
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["model_type"] == "gpt2"
    reloaded = load_checkpoint(tmp_path, device="cpu")
    with torch.no_grad():
        assert torch.equal(reloaded(IDS).logits, tiny_model(IDS).logits)


def test_missing_folder_and_offline_hub_give_clear_messages(tmp_path):
    with pytest.raises(ModelUnavailableError, match="config.json and model.safetensors"):
        load_checkpoint(tmp_path)
    with pytest.raises(ModelUnavailableError, match="could not download"):
        load_from_hub("openai-community/this-model-does-not-exist-anywhere")


@pytest.mark.parametrize("device", devices())
def test_fast_and_explicit_attention_agree(device):
    model = random_gpt().to(device)
    ids = IDS.to(device)
    padding = torch.tensor([[0, 0, 0, 1, 1, 1, 1, 1, 1, 1], [1] * 10], device=device)
    with torch.no_grad():
        fast = model(ids, attention_mask=padding)
        explicit = model(ids, attention_mask=padding, output_attentions=True)
    assert (fast.logits - explicit.logits).abs().max() < 1e-5


def test_position_ids_default_to_real_token_count():
    model = random_gpt()
    padding = torch.tensor([[0, 0, 1, 1], [1, 1, 1, 1]])
    out = model(torch.zeros(2, 4, dtype=torch.long), attention_mask=padding)
    assert out.position_ids.tolist() == [[0, 0, 0, 1], [0, 1, 2, 3]]


def test_left_padding_with_mask_equals_unpadded():
    model = random_gpt()
    prompt = IDS[1:, 3:]
    padded = torch.cat([torch.full((1, 3), 50256), prompt], dim=1)
    mask = torch.tensor([[0, 0, 0] + [1] * prompt.shape[1]])
    with torch.no_grad():
        alone = model(prompt).logits
        batched = model(padded, attention_mask=mask).logits[:, 3:]
    assert (alone - batched).abs().max() < 1e-5


def test_kv_cache_forward_equals_full_forward():
    model = random_gpt()
    cache = model.new_cache(2, 16)
    with torch.no_grad():
        full = model(IDS).logits
        first = model(IDS[:, :6], past_key_values=cache).logits
        rest = [model(IDS[:, t : t + 1], past_key_values=cache).logits for t in range(6, 10)]
    stepped = torch.cat([first, *rest], dim=1)
    assert (stepped - full).abs().max() < 1e-5


def test_context_overflow_is_a_clear_error():
    model = random_gpt()
    with pytest.raises(ValueError, match="context"):
        model(torch.zeros(1, 129, dtype=torch.long))


@pytest.mark.parametrize("rows", [1, 3, 8, 12, 40])  # each of the output layer's layouts
def test_tied_embeddings(rows):
    model = random_gpt()
    hidden = torch.randn(rows, 1, 64)
    with torch.no_grad():
        assert torch.allclose(model.unembed(hidden), model.ln_f(hidden) @ model.wte.weight.T, atol=1e-5)
    assert isinstance(model, GPT) and not any("lm_head" in n for n, _ in model.named_parameters())


def test_repeated_embedding_rows_are_multiplied_once_with_identical_logits():
    model = random_gpt()
    hidden = torch.randn(3, 2, 64)
    with torch.no_grad():
        plain = model._output_layer()
        assert plain.ids_to_rows is None and plain.weight.data_ptr() == model.wte.weight.data_ptr()  # read in place
        model.wte.weight[100:] = model.wte.weight[7]  # most ids share one row, as in the bundled model
        expected = model.ln_f(hidden) @ model.wte.weight.T
        logits = model.unembed(hidden)
        compact = model._output_layer()
        assert compact.weight.shape[0] == 100 and compact.ids_to_rows is not None
        assert (logits - expected).abs().max() < 1e-5
        model.wte.weight[150] += 1.0  # an edit to the embedding rebuilds the copy
        assert model._output_layer() is not compact and model._output_layer().weight.shape[0] == 101
        assert (model.unembed(hidden) - model.ln_f(hidden) @ model.wte.weight.T).abs().max() < 1e-5


def test_unused_ids_are_exactly_the_ids_with_the_shared_row():
    model = random_gpt()
    assert model.unused_ids() is None  # all rows distinct
    with torch.no_grad():
        model.wte.weight[100:] = model.wte.weight[7]  # row 7 is now also every id from 100 on
    assert model.unused_ids().tolist() == [7, *range(100, model.config.vocab_size)]


def test_plain_causal_fast_path_matches_the_explicit_mask():
    model = random_gpt()
    with torch.no_grad():
        fast = model(IDS)  # SDPA's own causal kernel
        explicit = model(IDS, output_attentions=True)
        all_ones = model(IDS, attention_mask=torch.ones_like(IDS))
    assert (fast.logits - explicit.logits).abs().max() < 1e-5
    assert (all_ones.logits - explicit.logits).abs().max() < 1e-5
