"""Text analysis shared by both backends: words, Snowball stems, exact tokens, the query
language (quoted phrases, OR, -exclude, the last word as a prefix) and highlighted snippets.

Never raises for any input: whatever cannot be read as a word is ignored.
"""

import re
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer  # type: ignore[import-untyped]  # no type information shipped
from django.utils.html import escape

LANGUAGES = {"en": "english", "nb": "norwegian", "ru": "russian"}
# A word, or a compound of words joined by the characters serials, e-mail addresses, product
# codes and file names use (AB-1234-X, anna@example.org, v2.1.3, SKU_88/B).
JOINERS = "@.-+/_"
WORD = re.compile(r"\w+(?:[@.\-+/_]\w+)*")
PART = re.compile(r"[^\W_]+")
MAX_QUERY = 500  # characters of a query that are read; the rest is ignored
MAX_TERMS = 12  # words of a query that are read


def language_of(code: str | None, fallback: str = "en") -> str:
    code = (code or "").lower().split("-")[0]
    if code in LANGUAGES:
        return code
    fallback = (fallback or "en").lower().split("-")[0]
    return fallback if fallback in LANGUAGES else "en"


@lru_cache(maxsize=8)
def _stemmer(language: str):
    return snowballstemmer.stemmer(LANGUAGES[language])


@lru_cache(maxsize=65536)
def stem(word: str, language: str) -> str:
    word = word.lower()
    if word.isdigit():
        return word
    return _stemmer(language).stemWord(word)


def is_compound(token: str) -> bool:
    return any(c in JOINERS for c in token)


def analyse(text: str, language: str) -> tuple[str, list[str]]:
    """(the stems of every word in order, separated by spaces; the compound tokens, lower-case)."""
    stems: list[str] = []
    compounds: list[str] = []
    for match in WORD.finditer(text or ""):
        token = match.group()
        if is_compound(token):
            compounds.append(token.lower())
        stems.extend(stem(part, language) for part in PART.findall(token))
    return " ".join(stems), compounds


def compounds(text: str) -> list[str]:
    """The compound tokens of `text`, lower-case, in order (`analyse`'s second half, unstemmed)."""
    return [m.group().lower() for m in WORD.finditer(text or "") if is_compound(m.group())]


def exact_tokens(text: str) -> str:
    """Tokens matched exactly, never stemmed: compounds as they are, plus their single words."""
    found: list[str] = []
    for match in WORD.finditer(text or ""):
        token = match.group().lower()
        found.append(token)
    return " ".join(dict.fromkeys(found))


# --- the query language ------------------------------------------------------------------------


@dataclass
class Term:
    text: str  # as typed (one word, a compound, or several words for a phrase)
    phrase: bool = False
    prefix: bool = False

    @property
    def words(self) -> list[str]:
        return [m.group() for m in WORD.finditer(self.text)]


@dataclass
class Query:
    groups: list[list[Term]] = field(default_factory=list)  # AND of ORs
    excluded: list[Term] = field(default_factory=list)
    raw: str = ""

    @property
    def empty(self) -> bool:
        return not self.groups

    def positive_words(self) -> list[str]:
        return [w for group in self.groups for term in group for w in term.words]


TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def parse(raw: str, *, prefix: bool = True) -> Query:
    """Read what a person typed: words (all must match), "quoted phrases", OR between two
    alternatives, -word to exclude. Everything else (operators of other syntaxes, quotes left
    open, control characters) is read as plain words or ignored."""
    raw = (raw or "").replace("\x00", " ")[:MAX_QUERY]
    raw = "".join(c if c.isprintable() else " " for c in raw)
    query = Query(raw=raw)
    pending_or = False
    count = 0
    matches = list(TOKEN.finditer(raw))
    ends_open = bool(raw) and not raw[-1].isspace() and not raw.endswith('"')
    for index, match in enumerate(matches):
        if count >= MAX_TERMS:
            break
        negated, quoted, bare = match.group(1), match.group(2), match.group(3)
        if quoted is not None:
            text = " ".join(m.group() for m in WORD.finditer(quoted))
            if not text:
                continue
            term = Term(text, phrase=len(text.split()) > 1)
        else:
            if bare == "OR":
                pending_or = bool(query.groups)
                continue
            negated = "-" if bare.startswith("-") and len(bare) > 1 else ""
            words = [m.group() for m in WORD.finditer(bare)]
            if not words:
                continue
            text = " ".join(words)
            term = Term(text, phrase=len(words) > 1)
            last = index == len(matches) - 1
            if prefix and last and ends_open and not negated and len(words) == 1:
                term.prefix = not is_compound(words[0])
        count += 1
        if negated:
            query.excluded.append(term)
        elif pending_or and query.groups:
            query.groups[-1].append(term)
        else:
            query.groups.append([term])
        pending_or = False
    return query


def query_stems(word: str, languages: list[str]) -> list[str]:
    return list(dict.fromkeys(stem(word, language) for language in languages))


# --- snippets ------------------------------------------------------------------------------------

PASSAGE = "\n\x1e\n"  # separates a document's passages (a ticket's entries)
SNIPPET_WORDS = 30
OPEN, CLOSE = "\x02", "\x03"


def _word_matches(word: str, wanted: set[str], prefixes: list[str], languages: list[str]) -> bool:
    lower = word.lower()
    if lower in wanted:
        return True
    for part in PART.findall(word):
        lower_part = part.lower()
        if lower_part in wanted or any(stem(part, lang) in wanted for lang in languages):
            return True
        if any(lower_part.startswith(p) for p in prefixes):
            return True
    return False


def _matcher(wanted: set[str], prefixes: list[str], languages: list[str]):
    """`_word_matches` for one query, remembered per word: a thread repeats its words, and each
    new word costs a stem per language."""
    seen: dict[str, bool] = {}

    def matches(word: str) -> bool:
        known = seen.get(word)
        if known is None:
            known = seen[word] = _word_matches(word, wanted, prefixes, languages)
        return known

    return matches


def wanted_forms(query: Query, languages: list[str]) -> tuple[set[str], list[str]]:
    wanted: set[str] = set()
    prefixes: list[str] = []
    for group in query.groups:
        for term in group:
            for word in term.words:
                wanted.add(word.lower())
                for part in PART.findall(word):
                    wanted.update(query_stems(part, languages))
                    if term.prefix:
                        prefixes.append(part.lower())
    return wanted, prefixes


@dataclass
class Snippet:
    html: str
    passage: int  # index of the passage it comes from
    text: str  # the plain text of the window, for telling where it came from
    matched: bool


def matcher(query: Query, languages: list[str]):
    """Whether a word matches the query, remembered per word: one for a page of results, whose
    titles and snippets share most of their words (each new word costs a stem per language)."""
    wanted, prefixes = wanted_forms(query, languages)
    return _matcher(wanted, prefixes, languages)


def highlight(text: str, query: Query, languages: list[str], *, matches=None) -> str:
    return _mark(text, matches or matcher(query, languages))


def _mark(text: str, matches) -> str:
    out: list[str] = []
    position = 0
    for match in WORD.finditer(text):
        out.append(escape(text[position : match.start()]))
        word = match.group()
        if matches(word):
            out.append(f"<mark>{escape(word)}</mark>")
        else:
            out.append(escape(word))
        position = match.end()
    out.append(escape(text[position:]))
    return "".join(out)


def snippet(
    body: str, query: Query, languages: list[str], size: int = SNIPPET_WORDS, *, matches=None
) -> Snippet:
    """The window of `size` words with the most matching words, from the best passage.
    `matches`: a `matcher` of the query to share between the snippets of a page."""
    matches = matches or matcher(query, languages)
    best: tuple[int, int, int, int] | None = None  # (hits, -passage, start, end)
    passages = (body or "").split(PASSAGE)
    for number, passage in enumerate(passages):
        words = list(WORD.finditer(passage))
        if not words:
            continue
        flags = [matches(m.group()) for m in words]
        window = min(size, len(words))
        hits = sum(flags[:window])
        best_here, start_here = hits, 0
        for start in range(1, len(words) - window + 1):
            hits += flags[start + window - 1] - flags[start - 1]
            if hits > best_here:
                best_here, start_here = hits, start
        if best is None or best_here > best[0]:
            best = (best_here, number, start_here, window)
    if best is None:
        return Snippet("", 0, "", False)
    hits, number, start, window = best
    passage = passages[number]
    words = list(WORD.finditer(passage))
    begin = words[start].start() if start else 0
    end_index = start + window - 1
    end = words[end_index].end() if end_index < len(words) - 1 else len(passage)
    piece = passage[begin:end].strip()
    html = _mark(piece, matches)
    if begin > 0:
        html = "… " + html
    if end < len(passage.rstrip()):
        html += " …"
    return Snippet(html, number, piece, hits > 0)
