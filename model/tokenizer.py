"""Offline tiktoken encodings (gpt2, cl100k_base, o200k_base) and an honest view of each token.

The rank files ship gzipped in ``assets/tokenizers`` and are checked against tiktoken's published
sha256 before use. Encodings are built directly with ``tiktoken.Encoding``, so tiktoken's
downloader and cache are never touched: no network access is ever attempted.
"""

from __future__ import annotations

import base64
import codecs
import gzip
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import tiktoken

TOKENIZER_DIR = Path(__file__).resolve().parent.parent / "assets" / "tokenizers"
ENDOFTEXT = "<|endoftext|>"

# Split patterns and special tokens as defined by tiktoken_ext/openai_public.py (tiktoken 0.14, MIT).
_R50K_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
_CL100K_PATTERN = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
_O200K_PATTERN = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)


@dataclass(frozen=True)
class _EncodingSpec:
    rank_file: str
    sha256: str
    pattern: str
    special_tokens: dict[str, int]


# gpt2 uses the r50k_base ranks: same merges, pattern and special token (tiktoken's own docs).
ENCODINGS: dict[str, _EncodingSpec] = {
    "gpt2": _EncodingSpec(
        "r50k_base.tiktoken.gz",
        "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
        _R50K_PATTERN,
        {ENDOFTEXT: 50256},
    ),
    "cl100k_base": _EncodingSpec(
        "cl100k_base.tiktoken.gz",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        _CL100K_PATTERN,
        {
            ENDOFTEXT: 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            "<|endofprompt|>": 100276,
        },
    ),
    "o200k_base": _EncodingSpec(
        "o200k_base.tiktoken.gz",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        _O200K_PATTERN,
        {ENDOFTEXT: 199999, "<|endofprompt|>": 200018},
    ),
}


@dataclass(frozen=True)
class TokenPiece:
    """One token as a student should see it.

    ``text`` is the token's own characters, or — when its bytes are not valid UTF-8 on their own
    (a third of 你, a piece of an emoji) — its hex bytes such as ``<E4 BD>``; ``partial`` marks that.
    Consecutive tokens whose bytes only together form whole characters share a ``group``;
    ``group_text`` is what that group decodes to.
    """

    id: int
    bytes: bytes
    text: str
    partial: bool
    special: bool
    group: int
    group_text: str


class Tokenizer:
    """A thin, explicit wrapper over one ``tiktoken.Encoding``."""

    def __init__(self, name: str, encoding: tiktoken.Encoding) -> None:
        self.name = name
        self.encoding = encoding
        self.eot_id = encoding.eot_token

    @property
    def vocab_size(self) -> int:
        return self.encoding.n_vocab

    def encode(self, text: str, allow_special: bool = False) -> list[int]:
        """Text → ids. A typed ``<|endoftext|>`` is ordinary text unless ``allow_special``; other
        special tokens (``<|fim_prefix|>``, ...) stay text either way, as the page's box promises."""
        if allow_special:
            return self.encoding.encode(text, allowed_special={ENDOFTEXT}, disallowed_special=())
        return self.encoding.encode_ordinary(text)

    def decode(self, ids: list[int]) -> str:
        """Ids → text; bytes that are not valid UTF-8 become U+FFFD, as in every tokenizer."""
        return self.encoding.decode(ids)

    def token_bytes(self, token_id: int) -> bytes:
        return self.encoding.decode_single_token_bytes(token_id)

    def pieces(self, ids: list[int]) -> list[TokenPiece]:
        """Each id with its exact bytes, a display text, and its character group."""
        special_ids = set(self.encoding._special_tokens.values())
        raw = [self.token_bytes(i) for i in ids]
        groups = _character_groups(raw)
        pieces = []
        for token_id, data, (group, group_text) in zip(ids, raw, groups):
            try:
                text, partial = data.decode("utf-8"), False
            except UnicodeDecodeError:
                text, partial = "<" + " ".join(f"{b:02X}" for b in data) + ">", True
            pieces.append(TokenPiece(token_id, data, text, partial, token_id in special_ids, group, group_text))
        return pieces


def _character_groups(token_bytes: list[bytes]) -> list[tuple[int, str]]:
    """Group consecutive tokens until their bytes end on a UTF-8 character boundary.

    Returns, per token, its group index and the text the whole group decodes to (bytes that can
    never form a character are shown as hex, never as U+FFFD).
    """
    result: list[tuple[int, str]] = []
    members: list[int] = []
    buffer = b""
    decoder = codecs.getincrementaldecoder("utf-8")()
    group = 0

    def close(text: str) -> None:
        nonlocal buffer, members, group
        result.extend((group, text) for _ in members)
        buffer, members = b"", []
        group += 1
        decoder.reset()

    for index, data in enumerate(token_bytes):
        members.append(index)
        buffer += data
        try:
            decoder.decode(data, final=False)
        except UnicodeDecodeError:
            close("<" + " ".join(f"{b:02X}" for b in buffer) + ">")
            continue
        if not decoder.getstate()[0]:  # no bytes waiting for the rest of a character
            close(buffer.decode("utf-8"))
    if members:
        close("<" + " ".join(f"{b:02X}" for b in buffer) + ">")
    return result


def _load_ranks(spec: _EncodingSpec) -> dict[bytes, int]:
    path = TOKENIZER_DIR / spec.rank_file
    contents = gzip.decompress(path.read_bytes())
    digest = hashlib.sha256(contents).hexdigest()
    if digest != spec.sha256:
        raise RuntimeError(f"{path} is corrupt: sha256 {digest}, expected {spec.sha256}")
    ranks = {}
    for line in contents.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


@lru_cache(maxsize=None)
def get_tokenizer(name: str = "gpt2") -> Tokenizer:
    """One of ``gpt2``, ``cl100k_base``, ``o200k_base``, built from the shipped rank files."""
    if name not in ENCODINGS:
        raise ValueError(f"unknown tokenizer {name!r}; choose one of {sorted(ENCODINGS)}")
    spec = ENCODINGS[name]
    encoding = tiktoken.Encoding(
        name=name,
        pat_str=spec.pattern,
        mergeable_ranks=_load_ranks(spec),
        special_tokens=spec.special_tokens,
    )
    return Tokenizer(name, encoding)
