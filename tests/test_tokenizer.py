import pytest

from model import get_tokenizer
from model.tokenizer import ENCODINGS

SAMPLES = [
    "The quick brown fox jumps over the lazy dog.",
    "我喜欢吃苹果，因为它很好吃",
    "emoji 🍎👩‍👩‍👧 family",
    "def f(x):\n    return x ** 2  # square\n",
    "runs   of    whitespace\n\n\t\t end  ",
    "3.14159 + 2718 = 1234567890",
    "before <|endoftext|> after",
    "",
]


@pytest.fixture(autouse=True)
def fresh_tokenizers(no_network):
    """Build every encoding again with the network blocked, proving nothing is downloaded."""
    get_tokenizer.cache_clear()
    yield
    get_tokenizer.cache_clear()


@pytest.mark.parametrize("name", sorted(ENCODINGS))
@pytest.mark.parametrize("text", SAMPLES)
def test_round_trip(name, text):
    tokenizer = get_tokenizer(name)
    assert tokenizer.decode(tokenizer.encode(text)) == text
    pieces = tokenizer.pieces(tokenizer.encode(text))
    assert b"".join(p.bytes for p in pieces) == text.encode("utf-8")


def test_known_ids_match_tiktoken_reference():
    # Ids published for "hello world 你好" by the verified offline copies of tiktoken's files.
    assert get_tokenizer("gpt2").encode("hello world 你好") == [31373, 995, 220, 19526, 254, 25001, 121]
    assert get_tokenizer("cl100k_base").encode("hello world 你好") == [15339, 1917, 220, 57668, 53901]
    assert get_tokenizer("o200k_base").encode("hello world 你好") == [24912, 2375, 220, 177519]


def test_matches_tiktoken_get_encoding(tmp_path, monkeypatch):
    """Our encodings equal tiktoken's own (fed the same files through its cache recipe)."""
    import gzip
    import hashlib

    import tiktoken
    import tiktoken.registry
    from tiktoken_ext import openai_public

    urls = {
        "r50k_base": "https://openaipublic.blob.core.windows.net/encodings/r50k_base.tiktoken",
        "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
    }
    from model.tokenizer import TOKENIZER_DIR

    for name, url in urls.items():
        data = gzip.decompress((TOKENIZER_DIR / f"{name}.tiktoken.gz").read_bytes())
        (tmp_path / hashlib.sha1(url.encode()).hexdigest()).write_bytes(data)
        assert url in open(openai_public.__file__).read()
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(tiktoken.registry, "ENCODINGS", {})
    text = "\n".join(SAMPLES) + " Hello, 世界! <|endoftext|> ’quotes’ 🙂"
    for ours, theirs in [("gpt2", "r50k_base"), ("cl100k_base", "cl100k_base"), ("o200k_base", "o200k_base")]:
        reference = tiktoken.get_encoding(theirs)
        assert get_tokenizer(ours).encode(text) == reference.encode_ordinary(text)
        assert get_tokenizer(ours).encode(text, allow_special=True) == reference.encode(text, allowed_special="all")
        # Only <|endoftext|> becomes special: another special token's string stays text.
        fim = "a<|fim_prefix|>b<|endoftext|>"
        assert get_tokenizer(ours).encode(fim, allow_special=True) == reference.encode_ordinary("a<|fim_prefix|>b") + [reference.eot_token]


def test_endoftext_is_text_unless_allowed():
    tokenizer = get_tokenizer("gpt2")
    assert 50256 not in tokenizer.encode("<|endoftext|>")
    assert tokenizer.encode("<|endoftext|>", allow_special=True) == [50256]
    assert [p.special for p in tokenizer.pieces([50256, 31373])] == [True, False]


def test_partial_utf8_pieces_are_hex_and_grouped():
    tokenizer = get_tokenizer("gpt2")
    pieces = tokenizer.pieces(tokenizer.encode("你好🍎"))
    assert all("\ufffd" not in p.text for p in pieces)
    partial = [p for p in pieces if p.partial]
    assert partial, "gpt2 splits 你 and 🍎 into byte pieces"
    assert all(p.text.startswith("<") and p.text.endswith(">") for p in partial)
    groups: dict[int, list] = {}
    for piece in pieces:
        groups.setdefault(piece.group, []).append(piece)
    texts = ["".join(p.bytes.decode("latin-1") for p in g).encode("latin-1").decode("utf-8") for g in groups.values()]
    assert "".join(texts) == "你好🍎"
    assert [g[0].group_text for g in groups.values()] == texts
    # 🍎 is four bytes, split over several gpt2 tokens that form one group
    assert any(len(g) > 1 and g[0].group_text == "🍎" for g in groups.values())


def test_chips_mark_whitespace_as_the_figures_do_but_leave_hex_labels_alone():
    import html

    from viz.common import visible_token
    from viz.tokens import token_chips

    tokenizer = get_tokenizer("gpt2")
    pieces = tokenizer.pieces(tokenizer.encode("a b\tc 🍎"))
    chips = token_chips(pieces)
    texts = [p.text for p in pieces]
    assert visible_token(" b") == "·b" and '<span class="ntl-text">·b</span>' in chips
    hex_label = next(p.text for p in pieces if p.partial)
    assert " " in hex_label and f'<span class="ntl-text">{html.escape(hex_label)}</span>' in chips, texts
    assert visible_token(hex_label) == hex_label  # figure axes too: the spaces only separate bytes
    assert visible_token("<a b>") == "<a·b>"  # text that merely looks bracketed is still marked


@pytest.mark.parametrize("text", ["\ud800 lone surrogate", "nul\x00byte", "\u202eright-to-left\u202c", "<|fim_prefix|>"])
def test_no_string_raises(text):
    for name in ENCODINGS:
        tokenizer = get_tokenizer(name)
        tokenizer.pieces(tokenizer.encode(text))
        tokenizer.pieces(tokenizer.encode(text, allow_special=True))


def test_truncated_bytes_never_form_a_character():
    tokenizer = get_tokenizer("gpt2")
    first_piece_of_ni = tokenizer.encode("你")[:1]
    (piece,) = tokenizer.pieces(first_piece_of_ni)
    assert piece.partial and piece.group_text.startswith("<")


def test_chips_stop_at_a_readable_number_but_counts_and_ids_cover_everything():
    from ui.tab_tokens import MAX_CHIPS, tokenize

    text = "to be or not " * 1000
    chips, stats, ids, _ = tokenize(text, False, False, "en")
    assert chips.count('class="ntl-chip"') == 3 * MAX_CHIPS
    assert ids["gpt2"] == get_tokenizer("gpt2").encode(text) and len(ids["gpt2"]) > MAX_CHIPS
    assert f"Showing the first {MAX_CHIPS:,} of {len(ids['gpt2']):,} tokens" in chips
    assert f"<td>{len(ids['gpt2']):,}</td>" in stats and f"<td>{len(text):,}</td>" in stats  # thousands separated, like the vocab


def test_one_token_is_not_called_tokens():
    from ui.tab_tokens import tokenize

    chips, *_ = tokenize("a", False, False, "en")
    assert "gpt2 · 1 token</h4>" in chips and "1 tokens" not in chips


def test_invisible_characters_get_a_visible_name_so_no_chip_is_blank():
    import re

    from viz.common import visible_token
    from viz.tokens import token_chips

    assert visible_token("\u200d") == "⟨ZWJ⟩" and visible_token(" ❤\ufe0f") == "·❤⟨VS16⟩"
    assert visible_token("\u202e") == "⟨U+202E⟩" and visible_token("é") == "é"
    for name in ("gpt2", "cl100k_base", "o200k_base"):
        tokenizer = get_tokenizer(name)
        chips = token_chips(tokenizer.pieces(tokenizer.encode("👩‍👩‍👧 ❤️ \u202eabc")))
        texts = re.findall(r'<span class="ntl-text">(.*?)</span>', chips)
        assert texts and all(text.strip() for text in texts), (name, texts)
        assert not any(c in "".join(texts) for c in "\u200d\ufe0f\u202e")


def test_a_special_token_chip_says_it_is_one_id_not_the_bytes_of_its_name():
    from viz.tokens import token_chips

    tokenizer = get_tokenizer("gpt2")
    as_special = token_chips(tokenizer.pieces(tokenizer.encode("Hi<|endoftext|>", allow_special=True)), show_bytes=True)
    as_text = token_chips(tokenizer.pieces(tokenizer.encode("Hi<|endoftext|>")), show_bytes=True)
    assert as_special.count("ntl-special") == 1 and "special: one id" in as_special
    assert "3C 7C 65 6E 64" not in as_special  # the name's bytes are not shown as if the model read them
    assert "ntl-special" not in as_text and '"ntl-bytes">3C<' in as_text  # typed as text, it is bytes like any text


def test_characters_a_reader_sees_as_one_are_listed_with_their_code_points():
    from viz.tokens import composed_characters

    text = "flag 🇨🇳, thumbs 👍🏽 👍🏽, family 👨\u200d👩\u200d👧, é and e\u0301, lines\r\n, 你好"
    assert composed_characters(text) == ["🇨🇳", "👍🏽", "👨\u200d👩\u200d👧", "e\u0301"]  # each once; é and \r\n are not
    assert composed_characters("plain text 你好 🍎") == []


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_tokens_tab_says_which_characters_are_several_code_points(language):
    from ui.tab_tokens import tokenize

    chips, *_ = tokenize("🇨🇳 e\u0301 👨\u200d👩\u200d👧", False, False, language)
    note = chips.split("</p>")[0].replace("<code>", "").replace("</code>", "")
    assert note.startswith('<p class="ntl-note">') and note.index("🇨🇳") < chips.index("<h4>gpt2")
    counted = "(2 code points, 8 bytes)" if language == "en" else "（2 个码位，8 个字节）"
    assert f"🇨🇳 = 🇨 + 🇳 {counted}".replace(" （", "（") in note
    assert "e = e + ◌\u0301" not in note and "e\u0301 = e + ◌\u0301" in note  # the accent shown on a dotted circle
    assert "👩 + ⟨ZWJ⟩ + 👧" in note and ("5 code points, 18 bytes" in note or "5 个码位，18 个字节" in note)
    plain, *_ = tokenize("Apples are tasty", False, False, language)
    assert "ntl-note" not in plain
