import pytest
import torch

from model import MaskKind, additive_mask, build_attention_mask, pad_batch, structural_mask
from model.masks import masked_softmax

from .conftest import random_gpt


def test_causal_is_lower_triangular():
    assert torch.equal(structural_mask("causal", 4, 4), torch.ones(4, 4).tril().bool())


def test_causal_with_cache_offsets_queries():
    # two new queries after three cached columns sit at columns 3 and 4
    expected = torch.tensor([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]], dtype=torch.bool)
    assert torch.equal(structural_mask("causal", 2, 5), expected)


def test_bidirectional_is_all_true():
    assert structural_mask("bidirectional", 3, 3).all()


def test_prefix_lm():
    mask = structural_mask("prefix_lm", 5, 5, prefix_length=3)
    expected = torch.ones(5, 5).tril().bool()
    expected[:3, :3] = True
    assert torch.equal(mask, expected)


def test_prefix_counts_real_tokens_not_left_pads():
    padding = torch.tensor([[0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]])
    mask = build_attention_mask("prefix_lm", 6, 6, padding, prefix_length=2)
    assert torch.equal(mask[0, 0, 2:, 2:], structural_mask("prefix_lm", 4, 4, prefix_length=2))
    assert torch.equal(mask[1, 0], structural_mask("prefix_lm", 6, 6, prefix_length=2))
    assert not mask[0, 0, :, :2].any()


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("kind", list(MaskKind))
def test_every_mask_gives_each_padded_row_its_own_result(kind, side):
    """A padded batch under any mask equals each prompt run alone, on every real position."""
    model = random_gpt()
    prompts = [[11, 22, 33, 44, 55, 66, 77], [5, 6, 7], [9, 8, 7, 6, 5]]
    batch = pad_batch(prompts, pad_id=0, side=side)
    options = dict(mask_kind=kind, prefix_length=3, window=2)
    together = model(batch.input_ids, attention_mask=batch.attention_mask, **options).logits
    for row, prompt in enumerate(prompts):
        alone = model(torch.tensor([prompt]), **options).logits[0]
        real = batch.attention_mask[row].bool()
        torch.testing.assert_close(together[row, real], alone, atol=2e-5, rtol=1e-5)


def test_sliding_window():
    mask = structural_mask("sliding_window", 5, 5, window=2)
    expected = torch.tensor(
        [[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [0, 1, 1, 0, 0], [0, 0, 1, 1, 0], [0, 0, 0, 1, 1]], dtype=torch.bool
    )
    assert torch.equal(mask, expected)


def test_padding_combines_with_structure():
    padding = torch.tensor([[0, 1, 1], [1, 1, 1]])
    causal_padded = build_attention_mask("causal", 3, 3, padding)
    assert causal_padded.shape == (2, 1, 3, 3)
    assert torch.equal(causal_padded[0, 0], torch.tensor([[0, 0, 0], [0, 1, 0], [0, 1, 1]], dtype=torch.bool))
    assert torch.equal(causal_padded[1, 0], torch.ones(3, 3).tril().bool())
    key_padding_only = build_attention_mask("bidirectional", 3, 3, padding)
    assert torch.equal(key_padding_only[0, 0], torch.tensor([[0, 1, 1]] * 3, dtype=torch.bool))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_additive_form(dtype):
    mask = structural_mask("causal", 3, 3)
    additive = additive_mask(mask, dtype)
    assert additive.dtype == dtype
    assert (additive[mask] == 0).all()
    assert (additive[~mask] == torch.finfo(dtype).min).all()
    assert torch.isfinite(additive).all()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_fully_masked_rows_are_zero_not_nan(dtype):
    mask = build_attention_mask("causal", 4, 4, torch.tensor([[0, 0, 1, 1]]))
    scores = torch.randn(1, 2, 4, 4).to(dtype) * 30
    probs = masked_softmax(scores, mask)
    assert not probs.isnan().any()
    assert (probs[..., :2, :] == 0).all()  # the two left-pad rows attend to nothing
    assert torch.allclose(probs[..., 2:, :].float().sum(-1), torch.ones(1, 2, 2), atol=1e-2)
    assert (probs.masked_select(~mask) == 0).all()


@pytest.mark.parametrize("kind", list(MaskKind))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_model_attention_obeys_every_mask(kind, dtype):
    model = random_gpt().to(dtype)
    ids = torch.randint(0, 50257, (2, 7))
    padding = torch.tensor([[0, 0, 1, 1, 1, 1, 1], [1] * 7])
    out = model(ids, attention_mask=padding, mask_kind=kind, prefix_length=3, window=3, output_attentions=True)
    expected = build_attention_mask(kind, 7, 7, padding, prefix_length=3, window=3)
    assert torch.equal(out.mask, expected)
    for probs in out.attentions:
        assert probs.shape == (2, 4, 7, 7)
        assert not probs.isnan().any()
        assert (probs.masked_select(~expected.expand_as(probs)) == 0).all()
        attends = expected.expand_as(probs).any(-1)
        sums = probs.float().sum(-1)
        tolerance = 1e-5 if dtype == torch.float32 else 2e-2
        assert torch.allclose(sums[attends], torch.ones_like(sums[attends]), atol=tolerance)
        assert (sums[~attends] == 0).all()
    assert not out.logits.isnan().any()
    fast = model(ids, attention_mask=padding, mask_kind=kind, prefix_length=3, window=3)
    assert not fast.logits.isnan().any()
