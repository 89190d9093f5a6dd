"""Text utilities shared by the extractors: words, sentences, paragraphs, stopwords, syllables.

Everything here is linear in the length of the text; the regexes are compiled once.
"""

from __future__ import annotations

import re
from functools import lru_cache

# A word: letters/digits, optionally joined by an apostrophe, hyphen or inner dot ("U.S", "3.5").
WORD_RE = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*")
PARAGRAPH_BREAK_RE = re.compile(r"\n[ \t]*\n+")
# Sentence-ending punctuation, optionally followed by closing quotes/brackets, then whitespace.
_BOUNDARY_RE = re.compile(r"[.!?]+[\"'’”)\]]*(?=\s|$)")
# A line that starts a block of its own even without a blank line before it.
_BLOCK_START_RE = re.compile(r"\n(?=[ \t]*(?:#{1,6}\s|[-*+•]\s|\d{1,3}[.)]\s|>|\|))")


def word_list(text: str) -> list[str]:
    """The whitespace-separated words of a literal word list."""
    return text.split()


_ABBREVIATIONS = frozenset(
    word_list(
        """
    mr mrs ms dr prof sr jr st vs etc e.g i.e inc ltd co corp fig figs eq eqs no nos vol pp
    al approx dept est jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k a.m p.m gen
    col lt capt sen rep gov rev ref refs sec ch art para cf ibid ed eds mt ft
    """
    )
)

STOPWORDS = frozenset(
    word_list(
        """
    a about above across after afterwards again against all almost alone along already also
    although always am among amongst an and another any anyhow anyone anything anyway
    anywhere are around as at be became because become becomes becoming been before
    beforehand behind being below beside besides between beyond both but by can cannot could
    did do does doing done down due during each either else elsewhere enough etc even ever
    every everyone everything everywhere except few for former formerly from further
    furthermore had has have having he hence her here hereafter hereby herein hers herself
    him himself his how however i ie if in indeed into is it its itself just keep last
    latter latterly least less made make many may me meanwhile might mine more moreover most
    mostly much must my myself namely neither never nevertheless next no nobody none noone
    nor not nothing now nowhere of off often on once one only onto or other others otherwise
    our ours ourselves out over own per perhaps rather re same seem seemed seeming seems
    several she should show shown shows since so some somehow someone something sometime
    sometimes somewhere still such than that the their theirs them themselves then thence
    there thereafter thereby therefore therein thereupon these they this those though
    through throughout thru thus to together too toward towards under until up upon us use
    used uses using very via was we well were what whatever when whence whenever where
    whereafter whereas whereby wherein whereupon wherever whether which while whither who
    whoever whole whom whose why will with within without would yet you your yours yourself
    yourselves also been given obtained found find finds based include includes including
    e.g i.e viz et al
    """
    )
)


def words(text: str) -> list[str]:
    """The words of ``text`` in order, as written."""
    return WORD_RE.findall(text)


def paragraphs(text: str) -> list[str]:
    """Blocks separated by blank lines (stripped, empty ones dropped)."""
    return [p.strip() for p in PARAGRAPH_BREAK_RE.split(text) if p.strip()]


def _is_abbreviation(text: str, end: int) -> bool:
    """Whether the period at ``text[end]`` ends an abbreviation or an initial ("J.")."""
    start = end
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    token = text[start:end].lstrip("(\"'[").lower()
    return token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha())


def split_sentences(text: str) -> list[str]:
    """Sentences in order. Blank lines, headings and list items also end a sentence.

    Heuristic and language-agnostic enough for English prose, including lower-case text
    (no capital letter is required after a full stop); known abbreviations and initials
    don't end a sentence.
    """
    out: list[str] = []
    for block in paragraphs(_BLOCK_START_RE.sub("\n\n", text)):
        start = 0
        for m in _BOUNDARY_RE.finditer(block):
            if block[m.start()] == "." and m.end() - m.start() == 1 and _is_abbreviation(block, m.start()):
                continue
            sentence = block[start : m.end()].strip()
            if sentence:
                out.append(" ".join(sentence.split()))
            start = m.end()
        rest = block[start:].strip()
        if rest:
            out.append(" ".join(rest.split()))
    return out


@lru_cache(maxsize=65536)
def syllables(word: str) -> int:
    """Syllables in an English word by the usual vowel-group heuristic (at least 1)."""
    w = re.sub(r"[^a-z]", "", word.lower())
    if not w:
        return 1  # numbers and symbols read as one unit
    if len(w) <= 3:
        return 1
    count = len(re.findall(r"[aeiouy]+", w))
    if w.endswith("e") and not w.endswith(("le", "ee", "ye")):
        count -= 1  # silent final e
    elif w.endswith(("ed", "es")) and not w.endswith(("ted", "ded", "ses", "zes", "ces", "ges", "xes")):
        count -= 1  # "jumped", "makes": the ending adds no syllable
    return max(1, count)


_NUMBER_RE = re.compile(r"[\d.,\-]+")


def is_number(token: str) -> bool:
    """Digits with separators only ("3.5", "1,200", "12-4")."""
    return token[:1].isdigit() and _NUMBER_RE.fullmatch(token) is not None


# Punctuation that ends a key phrase (a dot only when it ends a sentence).
PHRASE_BREAK_RE = re.compile(r"[,;:!?()\[\]{}\"“”/\\|<>=+*…•]|\.(?=\s|$)|\s[-–—]+\s|[–—]|\n[ \t]*\n")


def phrase_runs(text: str) -> list[list[str]]:
    """Runs of lower-cased content words, cut at punctuation, stopwords and numbers.

    The candidate phrases of RAKE, and the n-gram source of TF-IDF and frequency ranking.
    """
    runs: list[list[str]] = []
    for segment in PHRASE_BREAK_RE.split(text.lower()):
        current: list[str] = []
        for word in WORD_RE.findall(segment):
            if word in STOPWORDS or is_number(word) or len(word) < 2:
                if current:
                    runs.append(current)
                    current = []
            else:
                current.append(word)
        if current:
            runs.append(current)
    return runs


def ngrams(runs: list[list[str]], min_n: int, max_n: int) -> list[str]:
    """Every n-gram (min_n ≤ n ≤ max_n) inside each run, in order, joined by spaces."""
    out: list[str] = []
    for run in runs:
        for n in range(min_n, max_n + 1):
            out.extend(" ".join(run[i : i + n]) for i in range(len(run) - n + 1))
    return out
