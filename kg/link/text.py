"""Text normalisation shared by the matchers: tokens that compare equal across spelling variants.

A phrase becomes a tuple of tokens: lower case, British spellings made American
(``tumour`` -> ``tumor``, from ``mappings/mesh/spellings.tsv``), simple plurals
made singular, words of the same meaning made one (``disorder`` -> ``disease``,
``prostatic`` -> ``prostate``, from ``mappings/mesh/word-variants.tsv``),
apostrophe-s dropped, punctuation and hyphens split, the prefixes ``non``,
``pre``, ``post`` and ``anti`` joined to the next word.  Upper-case
abbreviations that the abbreviation table knows keep their case under a ``#``
marker so that ``SLE`` matches but the word ``sle`` inside a sentence does not.
"""

from __future__ import annotations

import re
from functools import cache

from ..resources import read_tsv

_TOKEN = re.compile(r"[A-Za-z0-9]+")
_POSSESSIVE = re.compile(r"(?<=[A-Za-z])['’]s\b")
#: endings a word keeps although it ends in ``s`` (diabetes -> diabete is fine, but not these)
_KEEP_S = ("ss", "us", "is", "ys", "os")
_DROP = frozenset({"the"})
#: prefixes written joined, hyphenated or apart ("nonalcoholic", "non-alcoholic", "non alcoholic"): joined to the
#: next word
_PREFIXES = frozenset({"non", "pre", "post", "anti"})
_GAP = frozenset({"-", " ", "‐", "–"})


@cache
def _variants() -> dict[str, str]:
    return {w: canonical for w, canonical in read_tsv("mappings", "mesh", "word-variants.tsv")}


@cache
def _spellings() -> tuple[re.Pattern[str], dict[str, str]]:
    pairs = {british: american for british, american in read_tsv("mappings", "mesh", "spellings.tsv")}
    pattern = re.compile("|".join(sorted(map(re.escape, pairs), key=len, reverse=True)))
    return pattern, pairs


_WORDS: dict[str, str] = {}


def word(token: str) -> str:
    """One lower-case token in its canonical spelling and number."""
    known = _WORDS.get(token)
    if known is not None:
        return known
    pattern, pairs = _spellings()
    w = pattern.sub(lambda m: pairs[m.group(0)], token)
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 3 and w.endswith("s") and not w.endswith(_KEEP_S):
        w = w[:-1]
    w = _variants().get(w, w)
    _WORDS[token] = w
    return w


def raw_tokens(text: str) -> list[tuple[str, int, int]]:
    """(word as written, start, end) of a text's words; a prefix in :data:`_PREFIXES` is joined to the next word
    when one hyphen or space stands between them (``Non-Radiographic`` -> ``NonRadiographic``)."""
    out: list[tuple[str, int, int]] = []
    glue = False
    for m in _TOKEN.finditer(text):
        raw = m.group(0)
        if glue and out and text[out[-1][2]:m.start()] in _GAP:
            prev = out.pop()
            out.append((prev[0] + raw, prev[1], m.end()))
            glue = False
            continue
        glue = raw.lower() in _PREFIXES
        out.append((raw, m.start(), m.end()))
    return out


def tokens(text: str, abbreviations: frozenset[str] = frozenset()) -> list[str]:
    """The normalised tokens of a text; known upper-case abbreviations become ``#ABBR``."""
    out = []
    for raw, _, _ in raw_tokens(_POSSESSIVE.sub("", text)):
        if raw in abbreviations:
            out.append("#" + raw)
            continue
        low = raw.lower()
        if low not in _DROP:
            out.append(word(low))
    return out


@cache  # the same labels are keyed by every matcher compiled in a process
def key(text: str) -> tuple[str, ...]:
    """The normalised form of a whole label (no abbreviation marking)."""
    return tuple(tokens(text))


def inversions(label: str) -> list[str]:
    """Natural-order forms of an inverted MeSH heading.

    ``Diabetes Mellitus, Type 2`` -> ``Type 2 Diabetes Mellitus``;
    ``Leukemia, Myeloid, Acute`` -> ``Acute Myeloid Leukemia`` and ``Myeloid, Acute Leukemia``.
    """
    parts = [p.strip() for p in label.split(",") if p.strip()]
    if len(parts) < 2:
        return []
    forms = [" ".join(reversed(parts)), " ".join(parts[1:] + parts[:1])]
    return list(dict.fromkeys(f for f in forms if f != label))
