"""A GPT-2 decoder that reads top to bottom: config, cache, attention, block, model.

The module and parameter names follow Hugging Face's GPT-2 layout (``wte``, ``h.0.attn.c_attn``,
…), so a checkpoint maps onto it name for name. Its projections are stored ``[out, in]`` like
``nn.Linear``; ``model/checkpoint.py`` transposes GPT-2's Conv1D ``[in, out]`` tensors on the way
in and out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .masks import MaskKind, build_attention_mask, masked_softmax
from .padding import positions_from_mask
from .products import linear


@dataclass(frozen=True)
class GPTConfig:
    vocab_size: int = 50257
    n_positions: int = 1024
    n_embd: int = 768
    n_layer: int = 12
    n_head: int = 12
    layer_norm_epsilon: float = 1e-5
    dropout: float = 0.0

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    def __post_init__(self) -> None:
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd {self.n_embd} is not divisible by n_head {self.n_head}")


class KVCache:
    """Keys and values of every layer, preallocated as ``[B, H, max_length, D]`` (llama style).

    ``length`` columns are filled. A forward pass writes its new columns for each layer, then
    ``advance`` moves ``length`` on, so a step costs one write instead of a concatenation.
    """

    def __init__(
        self,
        config: GPTConfig,
        batch_size: int,
        max_length: int,
        device: torch.device | str,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        shape = (batch_size, config.n_head, max_length, config.head_dim)
        self.keys = [torch.zeros(shape, device=device, dtype=dtype) for _ in range(config.n_layer)]
        self.values = [torch.zeros(shape, device=device, dtype=dtype) for _ in range(config.n_layer)]
        self.max_length = max_length
        self.length = 0

    def update(
        self, layer: int, keys: torch.Tensor, values: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Store this step's keys/values for ``layer``; return everything cached so far."""
        end = self.length + keys.shape[2]
        if end > self.max_length:
            raise ValueError(f"KV cache holds {self.max_length} positions, asked for {end}")
        self.keys[layer].narrow(2, self.length, keys.shape[2]).copy_(keys)
        self.values[layer].narrow(2, self.length, values.shape[2]).copy_(values)
        return self.keys[layer].narrow(2, 0, end), self.values[layer].narrow(2, 0, end)

    def advance(self, steps: int) -> None:
        self.length += steps

    def reorder(self, rows: torch.Tensor) -> None:
        """Keep cache rows ``rows`` (in that order): what beam search needs after each step."""
        self.keys = [k.index_select(0, rows) for k in self.keys]
        self.values = [v.index_select(0, rows) for v in self.values]


@dataclass
class GPTOutput:
    """What one forward pass computed.

    ``hidden_states[i]`` is the residual stream entering block ``i``; ``hidden_states[-1]`` is the
    last block's output (before the final layer norm). ``attentions[i]`` is layer ``i``'s
    probabilities ``[B, H, T, S]``. ``mask`` is the exact boolean mask applied, ``[B or 1, 1, T, S]``.
    """

    logits: torch.Tensor
    mask: torch.Tensor
    position_ids: torch.Tensor
    attentions: tuple[torch.Tensor, ...] | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None


class Projection(nn.Module):
    """An affine map with ``weight`` ``[out, in]``, ``nn.Linear``'s layout.

    In this layout each output's weights are one contiguous row, which a decode step's product
    (``model/products.py``) streams in place: one output, one dot product.
    """

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_out, n_in))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return linear(x.reshape(-1, x.shape[-1]), self.weight, self.bias).view(*x.shape[:-1], -1)


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.n_head = config.n_head
        self.c_attn = Projection(config.n_embd, 3 * config.n_embd)
        self.c_proj = Projection(config.n_embd, config.n_embd)
        self.dropout = config.dropout
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor,
        sdpa_mask: torch.Tensor | None,
        sdpa_causal: bool,
        cache: KVCache | None,
        layer: int,
        need_weights: bool,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        batch, steps, width = x.shape
        # [B, T, 3·W] → three [B, H, T, D] views (fewer ops than split + view + transpose each).
        q, k, v = self.c_attn(x).view(batch, steps, 3, self.n_head, -1).permute(2, 0, 3, 1, 4).unbind(0)
        if cache is not None:
            k, v = cache.update(layer, k, v)
        dropout = self.dropout if self.training else 0.0
        probs = None
        if need_weights:
            # Explicit path: the probabilities are what the lab displays.
            scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
            probs = masked_softmax(scores, mask)
            y = F.dropout(probs, dropout, self.training) @ v
        else:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=sdpa_mask, dropout_p=dropout, is_causal=sdpa_causal)
            if sdpa_mask is not None:
                # A row that may read nothing is defined as the zero vector (as in masked_softmax).
                y = torch.where(sdpa_mask.any(-1, keepdim=True), y, torch.zeros((), dtype=y.dtype, device=y.device))
        y = y.transpose(1, 2).reshape(batch, steps, width)
        return self.resid_dropout(self.c_proj(y)), probs


class MLP(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.c_fc = Projection(config.n_embd, 4 * config.n_embd)
        self.c_proj = Projection(4 * config.n_embd, config.n_embd)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # GPT-2 uses the tanh approximation of GELU ("gelu_new").
        return self.dropout(self.c_proj(F.gelu(self.c_fc(x), approximate="tanh")))


class Block(nn.Module):
    """Pre-LN transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.mlp = MLP(config)

    def forward(self, x, mask, sdpa_mask, sdpa_causal, cache, layer, need_weights):
        attended, probs = self.attn(self.ln_1(x), mask, sdpa_mask, sdpa_causal, cache, layer, need_weights)
        x = x + attended
        return x + self.mlp(self.ln_2(x)), probs


class _OutputLayer:
    """The tied output layer for inference: logits = ``h @ weight.T``, identical rows multiplied once.

    The bundled model's 31 320 unused ids share one row (``model/train.py``'s vocabulary trick), so
    only its 18 938 distinct rows are read and the logits are gathered back to the full
    vocabulary: the same logits (bit for bit on this CPU, measured), 2.65x less memory traffic. A
    checkpoint without repeated rows (GPT-2) reads the embedding in place.
    """

    def __init__(self, weight: torch.Tensor, key: tuple) -> None:
        self.key = key
        self.ids_to_rows: torch.Tensor | None = None
        self.weight = weight  # [distinct rows, n_embd]
        # Rows are grouped by the exact bit patterns of their first few columns (cheap), then the
        # grouping is checked on every column: rows that only start alike keep every row.
        head = weight[:, :16].contiguous()
        bits = head.view({2: torch.int16, 4: torch.int32, 8: torch.int64}[head.element_size()]).long()
        probe = torch.randint(-(2**31), 2**31, (head.shape[1],), generator=torch.Generator().manual_seed(0))
        first, inverse = _first_occurrences((bits * probe.to(weight.device)).sum(dim=1))
        if len(first) < 0.9 * weight.shape[0] and torch.equal(weight[first][inverse], weight):
            self.weight, self.ids_to_rows = weight[first], inverse

    def __call__(self, hidden: torch.Tensor) -> torch.Tensor:
        flat = hidden.reshape(-1, hidden.shape[-1])  # a 2-D gather below is ~20x faster than a 3-D one
        logits = linear(flat, self.weight)
        if self.ids_to_rows is not None:
            logits = logits.index_select(1, self.ids_to_rows)
        return logits.contiguous().view(*hidden.shape[:-1], -1)


def _first_occurrences(values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Where each distinct value first occurs, and which distinct value each element is."""
    distinct, inverse = torch.unique(values, return_inverse=True)
    positions = torch.arange(len(values), device=values.device)
    first = torch.full((len(distinct),), len(values), device=values.device).scatter_reduce(0, inverse, positions, "amin")
    return first, inverse


class GPT(nn.Module):
    """GPT-2: token + learned position embeddings, pre-LN blocks, final norm, tied unembedding."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.n_positions, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.h = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.apply(self._init_weights)
        self._output: _OutputLayer | None = None  # inference view of the tied output layer, see _output_layer

    @staticmethod
    def _init_weights(module: nn.Module, std: float = 0.02) -> None:
        if isinstance(module, (Projection, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=std)
        if isinstance(module, Projection):
            nn.init.zeros_(module.bias)

    @property
    def device(self) -> torch.device:
        return self.wte.weight.device

    @property
    def dtype(self) -> torch.dtype:
        return self.wte.weight.dtype

    def num_parameters(self) -> int:
        """Parameters counted once (the unembedding is the token embedding)."""
        return sum(p.numel() for p in self.parameters())

    def unembed(self, hidden: torch.Tensor) -> torch.Tensor:
        """Final layer norm then the tied output layer: any residual stream → logits (logit lens)."""
        if torch.is_grad_enabled() and self.wte.weight.requires_grad:
            return F.linear(self.ln_f(hidden), self.wte.weight)  # differentiable, for training
        return self._output_layer()(self.ln_f(hidden))

    def unused_ids(self) -> torch.Tensor | None:
        """The ids of the largest group that shares one embedding row, or None: the bundled model's
        31 320 ids never seen in training. Any other group of identical rows is not that group,
        and its ids rank as ordinary ids."""
        rows = self._output_layer().ids_to_rows
        if rows is None:
            return None
        ids_per_row = torch.bincount(rows)
        return (rows == ids_per_row.argmax()).nonzero()[:, 0] if int(ids_per_row.max()) > 1 else None

    def _output_layer(self) -> "_OutputLayer":
        """The inference view of the output layer, rebuilt whenever the embedding changes."""
        weight = self.wte.weight
        key = (weight.data_ptr(), weight._version, weight.dtype, weight.device)
        if self._output is None or self._output.key != key:
            self._output = _OutputLayer(weight.detach(), key)
        return self._output

    def new_cache(self, batch_size: int, max_length: int | None = None) -> KVCache:
        return KVCache(
            self.config, batch_size, max_length or self.config.n_positions, self.device, self.dtype
        )

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        past_key_values: KVCache | None = None,
        mask_kind: MaskKind | str = MaskKind.CAUSAL,
        prefix_length: int = 0,
        window: int | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        last_logits_only: bool = False,
    ) -> GPTOutput:
        """Run ``input_ids`` ``[B, T]`` through the model.

        ``attention_mask`` ``[B, S]`` covers the cached columns and the new ones (1 = real token).
        Without ``position_ids``, positions count real tokens only (``cumsum(mask) - 1``), so pads
        never shift them. ``last_logits_only`` skips the output layer for all but the last column,
        which is all generation needs.
        """
        batch, steps = input_ids.shape
        past = past_key_values.length if past_key_values is not None else 0
        total = past + steps
        if position_ids is None:
            if attention_mask is not None:
                position_ids = positions_from_mask(attention_mask)[:, past:]
            else:
                position_ids = torch.arange(past, total, device=input_ids.device)[None].expand(batch, -1)
        if int(position_ids.max()) >= self.config.n_positions:
            raise ValueError(
                f"position {int(position_ids.max())} is beyond this model's context of "
                f"{self.config.n_positions} tokens"
            )
        mask = build_attention_mask(
            mask_kind, steps, total, attention_mask,
            prefix_length=prefix_length, window=window, device=input_ids.device,
        )
        # SDPA's own causal kernel is faster than an explicit mask; use it when that is all the mask says.
        plain_causal = MaskKind(mask_kind) is MaskKind.CAUSAL and past == 0 and (attention_mask is None or bool(attention_mask.all()))
        sdpa_mask = None if plain_causal or bool(mask.all()) else mask
        sdpa_causal = plain_causal and steps > 1

        x = self.drop(self.wte(input_ids) + self.wpe(position_ids))
        hidden_states = [x] if output_hidden_states else None
        attentions = [] if output_attentions else None
        for layer, block in enumerate(self.h):
            x, probs = block(x, mask, sdpa_mask, sdpa_causal, past_key_values, layer, output_attentions)
            if output_hidden_states:
                hidden_states.append(x)
            if output_attentions:
                attentions.append(probs)
        if past_key_values is not None:
            past_key_values.advance(steps)
        logits = self.unembed(x[:, -1:] if last_logits_only else x)
        return GPTOutput(
            logits=logits,
            mask=mask,
            position_ids=position_ids,
            attentions=tuple(attentions) if output_attentions else None,
            hidden_states=tuple(hidden_states) if output_hidden_states else None,
        )


def default_device() -> torch.device:
    """CUDA when present, then Apple's MPS, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
