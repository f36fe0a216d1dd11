"""model/products.py: every route computes x @ weight.T + bias, and the fast routes are really taken."""

import logging
import shutil

import pytest
import torch

from model import products
from tests.conftest import random_gpt


@pytest.fixture
def routes_rebuilt(monkeypatch):
    """Forget the cached routes before and after a test that changes the environment."""
    products._kernel.cache_clear(), products._onednn.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    products._kernel.cache_clear(), products._onednn.cache_clear()


def exact(x, weight, bias):
    out = x.double() @ weight.double().T
    return (out if bias is None else out + bias.double()).float()


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("rows", [1, 2, 3, 4, 5, 8, 33])
@pytest.mark.parametrize("n_in, n_out, with_bias", [(13, 33, True), (64, 1000, False), (200, 16, True)])
def test_every_route_computes_the_product(rows, n_in, n_out, with_bias, threads):
    # 13 and 200 are not multiples of the kernel's 16 partial sums; 33 and 1000 split unevenly across threads.
    generator = torch.Generator().manual_seed(rows * n_in)
    x, weight = torch.randn(rows, n_in, generator=generator), torch.randn(n_out, n_in, generator=generator)
    bias = torch.randn(n_out, generator=generator) if with_bias else None
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.no_grad():
            y = products.linear(x, weight, bias)
    finally:
        torch.set_num_threads(before)
    assert y.shape == (rows, n_out)
    torch.testing.assert_close(y, exact(x, weight, bias), rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler on this machine: the kernel cannot be built")
def test_the_kernel_is_built_and_a_rows_result_depends_on_neither_its_batch_nor_the_threads():
    # The kernel sums every output in the same order whatever the rows or threads: bit-for-bit
    # equality across batch sizes holds for it, not for MKL or oneDNN, so this checks it ran.
    assert products._kernel() is not None
    x, weight, bias = torch.randn(4, 300), torch.randn(500, 300), torch.randn(500)
    before = torch.get_num_threads()
    try:
        with torch.no_grad():
            torch.set_num_threads(2)
            together = products.linear(x, weight, bias)
            torch.set_num_threads(1)
            one_by_one = torch.cat([products.linear(x[i : i + 1], weight, bias) for i in range(4)])
    finally:
        torch.set_num_threads(before)
    assert torch.equal(together, one_by_one)


def test_gradients_other_dtypes_and_strided_inputs_are_computed_right():
    # Gradients and float64 go through torch; strided inputs skip the kernel (it needs contiguous memory).
    x = torch.randn(2, 8)
    weight = torch.randn(5, 8, requires_grad=True)
    y = products.linear(x, weight)  # gradients wanted
    y.sum().backward()
    torch.testing.assert_close(weight.grad, x.sum(0)[None, :].expand(5, 8))
    with torch.no_grad():
        for x_, w_ in ((x.double(), weight.double()), (x.t().contiguous().t(), weight.detach()), (x[:, :4], weight[:, :4].detach())):
            torch.testing.assert_close(products.linear(x_, w_), x_ @ w_.T)


def test_torch_only_when_asked_or_without_a_compiler(routes_rebuilt, caplog):
    x, weight, bias = torch.randn(3, 40), torch.randn(24, 40), torch.randn(24)
    routes_rebuilt.setenv("NEXT_TOKEN_LAB_PRODUCTS", "torch")
    with torch.no_grad():
        assert torch.equal(products.linear(x, weight, bias), torch.nn.functional.linear(x, weight, bias))
    assert products.routes() == "no compiled kernel, torch above"

    products._kernel.cache_clear(), products._onednn.cache_clear()
    routes_rebuilt.delenv("NEXT_TOKEN_LAB_PRODUCTS")
    routes_rebuilt.setenv("CC", "no-such-compiler")
    assert products._kernel() is None
    products._kernel.cache_clear()
    routes_rebuilt.setenv("CC", "false")  # a compiler that fails
    with caplog.at_level(logging.WARNING, logger="model.products"):
        assert products._kernel() is None
    assert "could not build" in caplog.text
    with torch.no_grad():
        torch.testing.assert_close(products.linear(x, weight, bias), exact(x, weight, bias), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("batch, steps", [(1, 1), (3, 1), (2, 9), (1, 40)])  # decode steps and prefills
def test_model_logits_are_the_same_on_every_route(routes_rebuilt, batch, steps):
    model = random_gpt()
    ids = torch.randint(0, model.config.vocab_size, (batch, steps), generator=torch.Generator().manual_seed(steps))
    with torch.no_grad():
        fast = model(ids).logits
        routes_rebuilt.setenv("NEXT_TOKEN_LAB_PRODUCTS", "torch")
        products._kernel.cache_clear(), products._onednn.cache_clear()
        plain = model(ids).logits
    torch.testing.assert_close(fast, plain, rtol=1e-4, atol=1e-4)
