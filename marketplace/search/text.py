"""Chinese text into search tokens, queries into terms, matches into <mark>: no database here.

A document is indexed twice over (docs/architecture.md, "Search"):

- **words**: rjieba's search-engine mode (`cut_for_search`), so a long word also gives its
  dictionary sub-words (越秀区 → 越秀, 越秀区). A word hit ranks above a mere run of characters.
- **chars**: every Han character on its own, in order, and each run of Latin letters or of digits
  as one token ("iPad2" → ipad, 2). A query term is matched as a *phrase* of these tokens, so a
  term is found wherever its characters stand side by side: single characters (老), two-character
  words whatever the segmenter made of their context (老人 inside 空巢老人家), mixed runs (80岁).

Queries are cut into terms at anything that is not a Han character, letter or digit, so quotes,
`*`, `:`, brackets, `%`, `_`, `\\` and the like are separators, never syntax; the index layer
quotes every token it sends to the database (keywords such as NEAR or OR are then plain words).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import rjieba
from markupsafe import Markup, escape

# CJK unified ideographs, extension A, compatibility ideographs (NFKC folds most of these), B–F.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
_TOKEN_CHAR = re.compile(f"[{_HAN}a-z0-9]")
_CHAR_TOKENS = re.compile(f"[{_HAN}]|[a-z]+|[0-9]+")
_RUNS = re.compile(f"[{_HAN}]+|[a-z]+|[0-9]+")
_TERM = re.compile(f"[{_HAN}a-z0-9]+")

MAX_TERMS = 5  # more words only narrow the result further; five keep a query cheap
MAX_TERM_CHARS = 30
# Forms cap a story at 2,000 characters; any longer text is indexed by its start (a tsvector holds at
# most 1 MB and positions up to 16,383), so no write can fail on its index.
MAX_INDEXED_CHARS = 10_000


def normalise(text: str) -> str:
    """Full-width forms folded (ＡＢ１ → ab1), lower case: what both the index and queries see."""
    return unicodedata.normalize("NFKC", text or "").lower()


def char_tokens(text: str) -> list[str]:
    """Han characters one by one, Latin and digit runs whole, everything else dropped."""
    return _CHAR_TOKENS.findall(normalise(text))


def word_tokens(text: str) -> list[str]:
    """Words and sub-words (search-engine mode); Latin and digit runs as in `char_tokens`."""
    return _RUNS.findall(" ".join(rjieba.cut_for_search(normalise(text))))


@dataclass(frozen=True)
class Document:
    """The four token texts a search table keeps for one object (space-separated tokens)."""

    title_words: str
    title_chars: str
    body_words: str
    body_chars: str

    @classmethod
    def of(cls, title: str, body: Iterable[str]) -> Document:
        """Tokens of a title (ranked first) and of the other texts (story, labels, places)."""
        title, rest = title[:MAX_INDEXED_CHARS], "\n".join(part[:MAX_INDEXED_CHARS] for part in body if part)
        return cls(" ".join(word_tokens(title)), " ".join(char_tokens(title)),
                   " ".join(word_tokens(rest)), " ".join(char_tokens(rest)))


@dataclass(frozen=True)
class Term:
    """One query term: the phrase of character tokens that must occur, and its word if it is one."""

    text: str  # normalised, as typed (used for highlighting)
    chars: tuple[str, ...]
    word: str | None  # the whole term when the segmenter sees one word in it (ranked higher)


@dataclass(frozen=True)
class Query:
    """A parsed search: every term must match (AND)."""

    terms: tuple[Term, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return bool(self.terms)


def parse(text: str) -> Query:
    """The terms of what a reader typed; punctuation and query syntax only separate terms."""
    terms: list[Term] = []
    for raw in _TERM.findall(normalise(text))[:MAX_TERMS]:
        raw = raw[:MAX_TERM_CHARS]
        words = [w for piece in rjieba.cut(raw) for w in _RUNS.findall(piece)]
        terms.append(Term(raw, tuple(_CHAR_TOKENS.findall(raw)), words[0] if len(words) == 1 else None))
    return Query(tuple(dict.fromkeys(terms)))


def _folded(text: str) -> tuple[str, list[int]]:
    """The text's token characters, normalised, and where each came from in the original."""
    chars: list[str] = []
    origin: list[int] = []
    for i, c in enumerate(text):
        for n in normalise(c):
            if _TOKEN_CHAR.fullmatch(n):
                chars.append(n)
                origin.append(i)
    return "".join(chars), origin


def spans(text: str, query: Query | None) -> list[tuple[int, int]]:
    """Where the query's terms occur in the original text, as merged [start, end) ranges."""
    if not query or not text:
        return []
    folded, origin = _folded(text)
    found: list[tuple[int, int]] = []
    for term in query.terms:
        needle = "".join(term.chars)
        start = folded.find(needle)
        while needle and start >= 0:
            found.append((origin[start], origin[start + len(needle) - 1] + 1))
            start = folded.find(needle, start + len(needle))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, query: Query | None, *, limit: int | None = None) -> Markup:
    """The text escaped, matches wrapped in <mark>; with `limit`, a window around the first match."""
    text = text or ""
    found = spans(text, query)
    prefix = suffix = ""
    if limit is not None and len(text) > limit:
        begin = max(0, min(found[0][0] - limit // 4, len(text) - limit)) if found else 0
        prefix, suffix = ("…" if begin else ""), ("…" if begin + limit < len(text) else "")
        text = text[begin:begin + limit]
        found = [(max(s - begin, 0), min(e - begin, len(text))) for s, e in found if e > begin and s < begin + limit]
    out = [escape(prefix)]
    at = 0
    for start, end in found:
        out += [escape(text[at:start]), Markup("<mark>"), escape(text[start:end]), Markup("</mark>")]
        at = end
    out += [escape(text[at:]), escape(suffix)]
    return Markup("").join(out)
