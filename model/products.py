"""``x @ weight.T + bias`` (``F.linear``) for inference on the CPU, by the fastest route measured.

A decode step multiplies a few rows by every weight matrix, so its speed is the speed of reading
the weights. torch's default route (``F.linear``, MKL) does that badly on this box (an AMD EPYC):
GPT-2-124M's 12 layers (340 MB), 2 threads, took 19.5 ms for one row and 28–29 ms for 4–8 rows,
where reading those weights once takes 8–9 ms. Two routes replace it, both reading the
``[out, in]`` weights in place (no copy):

- up to ``KERNEL_ROWS`` rows, ``few_rows_product.c``, which streams each weight once for all rows,
  one contiguous stream per thread, at 84–96 % of the bandwidth of ``torch.sum``. It is compiled
  with the system's C compiler on first use (about 0.2 s);
- more rows, oneDNN's linear (``torch.ops.mkldnn._linear_pointwise``): 2.0–2.8x faster than MKL
  from 4 to 256 rows (body of 124M, ms: 32 rows 22.8 vs 49.6, 128 rows 58 vs 129; the bundled
  model's output layer at 256 rows 4.8 vs 13.3).

Anything else (gradients wanted, another dtype or device, no compiler, no oneDNN) goes through
``F.linear``. ``NEXT_TOKEN_LAB_PRODUCTS=torch`` forces that route everywhere, e.g. to compare.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import torch
import torch.nn.functional as F

# Measured on the body of 124M, ms, kernel vs oneDNN: 1 row 8.7–11.3 vs 11.6–12.3, 3 rows 11 vs 13,
# 4 rows 12.8–14.1 vs 13.2–13.3 (a tie: the kernel keeps results batch-independent), 8 rows 23 vs 14.5.
KERNEL_ROWS = 4
SOURCE = Path(__file__).with_name("few_rows_product.c")
FLAGS = ("-O3", "-march=native", "-fopenmp", "-shared", "-fPIC")

log = logging.getLogger(__name__)


def _fast_routes_allowed() -> bool:
    return os.environ.get("NEXT_TOKEN_LAB_PRODUCTS", "fast") != "torch"


@functools.cache
def _kernel() -> ctypes.CDLL | None:
    """The compiled kernel, built in a private temporary folder; None where it cannot be built."""
    if not _fast_routes_allowed():
        return None
    compiler = shutil.which(os.environ.get("CC", "cc"))
    if compiler is None:
        log.info("no C compiler: few-row products go through oneDNN or torch")
        return None
    with tempfile.TemporaryDirectory(prefix="next-token-lab-") as folder:
        target = Path(folder) / "few_rows_product.so"
        try:
            subprocess.run([compiler, *FLAGS, str(SOURCE), "-o", str(target)], check=True, capture_output=True, timeout=60)
            library = ctypes.CDLL(str(target))  # ctypes releases the GIL during each call
        except (OSError, subprocess.SubprocessError) as error:
            log.warning("could not build %s (%s): few-row products go through oneDNN or torch", SOURCE.name, error)
            return None
    function = library.few_rows_product
    function.restype = None
    function.argtypes = [ctypes.c_void_p] * 4 + [ctypes.c_long] * 3 + [ctypes.c_int]
    return library


@functools.cache
def _onednn() -> bool:
    return _fast_routes_allowed() and torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise")


def routes() -> str:
    """The routes in use, in words (benchmarks print it)."""
    kernel = f"compiled kernel up to {KERNEL_ROWS} rows" if _kernel() is not None else "no compiled kernel"
    return f"{kernel}, {'oneDNN' if _onednn() else 'torch'} above"


def linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """``x @ weight.T + bias`` for ``x`` ``[rows, in]``, ``weight`` ``[out, in]``, ``bias`` ``[out]``."""
    # Cheapest tests first: a decode step makes ~50 of these calls.
    if (
        not torch.is_grad_enabled() and x.is_cpu and weight.is_cpu
        and x.dtype is torch.float32 and weight.dtype is torch.float32
        and x.dim() == weight.dim() == 2 and x.shape[1] == weight.shape[1]
        and (bias is None or (bias.is_cpu and bias.dtype is torch.float32 and bias.shape == weight.shape[:1]))
    ):
        rows = x.shape[0]
        if 0 < rows <= KERNEL_ROWS and (kernel := _kernel()) is not None and x.is_contiguous() \
                and weight.is_contiguous() and (bias is None or bias.is_contiguous()):
            (n_out, n_in) = weight.shape
            y = torch.empty(rows, n_out)
            kernel.few_rows_product(x.data_ptr(), weight.data_ptr(), 0 if bias is None else bias.data_ptr(),
                                    y.data_ptr(), rows, n_in, n_out, torch.get_num_threads())
            return y
        if _onednn():
            return torch.ops.mkldnn._linear_pointwise(x, weight, bias, "none", [], "")
    return F.linear(x, weight, bias)
