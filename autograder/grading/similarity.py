"""`convkit similarity CLASS_DIR`: pairs of submissions that share unusual code, shown side by side.

Winnowing (Schleimer, Wilkerson and Aiken, SIGMOD 2003) over normalized Python tokens, written here on the
standard library's `tokenize` rather than taken from copydetect, for two reasons: the class-wide filter
below is not one of copydetect's options (it takes boilerplate files, not "ignore what most of the class
wrote"), and the kit adds no dependency to every grading machine for one report.

- Normalization: comments, blank lines and indentation tokens are dropped; every identifier that is not a
  keyword, a builtin or an attribute name becomes `V`, numbers `N` and strings `S`. Renaming variables or
  reformatting therefore changes nothing.
- Fingerprints: the hashes of every k-gram of K tokens; of each window of W consecutive hashes the smallest
  is kept (any shared run of K + W - 1 tokens is guaranteed to be found).
- Boilerplate: fingerprints of the stub in exercises/ (the code every student was given) are removed.
- Common code: a fingerprint found in more than half of the submissions of that exercise (and at least 3)
  is removed too, since short numpy kernels are similar by necessity.
- Score of a pair: shared fingerprints / the smaller submission's fingerprints, over all its exercises;
  pairs are ranked by score, then by the number of shared fingerprints.
"""

from __future__ import annotations

import builtins
import html
import io
import itertools
import keyword
import tokenize
import zipfile
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from autograder.course import EXERCISES
from autograder.results import write_atomic

K, W = 12, 8
SIMILARITY_HTML = "similarity.html"
STUBS = Path(__file__).resolve().parents[2] / "exercises"
_KEEP = set(keyword.kwlist) | set(dir(builtins))
_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
         tokenize.ENCODING, tokenize.ENDMARKER}


def normalized_tokens(source: str) -> list[tuple[str, int]]:
    """(normalized token, line number) for the code of `source`; [] when it does not tokenize."""
    out: list[tuple[str, int]] = []
    previous = ""
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type in _SKIP:
                continue
            text = token.string
            if token.type == tokenize.NAME and text not in _KEEP and previous != ".":
                text = "V"
            elif token.type == tokenize.NUMBER:
                text = "N"
            elif token.type == tokenize.STRING or token.type == getattr(tokenize, "FSTRING_START", -1):
                text = "S"
            out.append((text, token.start[0]))
            previous = token.string
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return out
    return out


def fingerprints(source: str, salt: str = "") -> dict[int, set[int]]:
    """Winnowed fingerprints of `source`: hash -> the line numbers where its k-gram starts."""
    tokens = normalized_tokens(source)
    grams = [(zlib.crc32((salt + " ".join(t for t, _ in tokens[i:i + K])).encode()), tokens[i][1])
             for i in range(len(tokens) - K + 1)]
    kept: dict[int, set[int]] = defaultdict(set)
    for start in range(max(len(grams) - W + 1, 1 if grams else 0)):
        window = grams[start:start + W]
        value, line = min(window, key=lambda g: g[0])
        kept[value].add(line)
    return kept


def _sources(entry: Path) -> dict[str, str]:
    """Module file name -> source, for each exercise module in a student's folder or zip (first found)."""
    wanted = {e.module_file for e in EXERCISES}
    found: dict[str, str] = {}
    if entry.is_dir():
        for path in sorted(entry.rglob("*.py")):
            if path.name in wanted and "__MACOSX" not in path.parts:
                found.setdefault(path.name, path.read_text(encoding="utf-8", errors="replace"))
    elif entry.suffix == ".zip":
        with zipfile.ZipFile(entry) as archive:
            for name in sorted(archive.namelist()):
                base = name.rsplit("/", 1)[-1]
                if base in wanted and "__MACOSX" not in name:
                    found.setdefault(base, archive.read(name).decode("utf-8", errors="replace"))
    return found


@dataclass
class Pair:
    """Two students, their score (0..1), shared fingerprints, and per module the lines that match."""

    a: str
    b: str
    score: float
    shared: int
    lines: dict[str, tuple[set[int], set[int]]] = field(default_factory=dict)


def compare_class(class_dir: Path, stubs: Path = STUBS) -> tuple[list[Pair], dict[str, dict[str, str]]]:
    """Every pair of students who submitted a common module, best first; and each student's sources."""
    class_dir = Path(class_dir)
    if not class_dir.is_dir():
        raise ValueError(f"class_dir: {class_dir} is not a folder")
    sources = {entry.name.removesuffix(".zip"): _sources(entry) for entry in sorted(class_dir.iterdir())
               if entry.is_dir() or entry.suffix == ".zip"}
    prints: dict[str, dict[str, dict[int, set[int]]]] = {}
    for module in {m for s in sources.values() for m in s}:
        stub = stubs / module
        boiler = set(fingerprints(stub.read_text(encoding="utf-8"))) if stub.is_file() else set()
        per = {student: fingerprints(s[module]) for student, s in sources.items() if module in s}
        counts = Counter(h for fp in per.values() for h in fp)
        common = {h for h, c in counts.items() if c >= 3 and c > len(per) / 2}
        for student, fp in per.items():
            prints.setdefault(student, {})[module] = {h: v for h, v in fp.items() if h not in boiler | common}
    pairs = []
    for a, b in itertools.combinations(sorted(prints), 2):
        shared, smaller, lines = 0, 0, {}
        for module in sorted(set(prints[a]) & set(prints[b])):
            fa, fb = prints[a][module], prints[b][module]
            both = set(fa) & set(fb)
            shared += len(both)
            smaller += min(len(fa), len(fb))
            if both:
                lines[module] = (set().union(*(fa[h] for h in both)), set().union(*(fb[h] for h in both)))
        if set(prints[a]) & set(prints[b]):
            # Two submissions whose every fingerprint is boilerplate or common code share nothing unusual.
            pairs.append(Pair(a, b, shared / smaller if smaller else 0.0, shared, lines))
    pairs.sort(key=lambda p: (-p.score, -p.shared, p.a, p.b))
    return pairs, sources


def _listing(source: str, marked: set[int]) -> str:
    """The source as numbered lines, each line a matched k-gram starts on highlighted (K tokens span on)."""
    rows = []
    for number, line in enumerate(source.splitlines(), start=1):
        css = ' class="hit"' if number in marked else ""
        rows.append(f'<span{css}>{number:4d}  {html.escape(line)}</span>')
    return "\n".join(rows)


def write_page(path: Path, pairs: list[Pair], sources: dict[str, dict[str, str]], top: int = 10) -> None:
    """similarity.html: the ranked pairs, and the top `top` pairs' shared modules side by side."""
    parts = ["<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>convkit similarity</title>",
             "<style>body{font-family:system-ui,sans-serif;margin:2rem;} table{border-collapse:collapse}"
             " td,th{border-bottom:1px solid #ddd;padding:.2rem .6rem;text-align:right}"
             " .side{display:flex;gap:1rem}"
             " pre{background:#f7f7f7;padding:.5rem;font-size:.8rem;flex:1;overflow-x:auto}"
             " .hit{background:#ffe08a} td:nth-child(2),th:nth-child(2){text-align:left}</style>\n</head>\n<body>\n"
             "<h1>Similarity of submissions</h1>",
             "<p>Winnowed fingerprints of normalized tokens (identifiers renamed); the stubs' code and fragments "
             "found in more than half of the class are ignored. A high score is a reason to read both, not a "
             "verdict.</p>\n<table id=\"pairs\">\n<tr><th>rank</th><th>students</th><th>score</th><th>shared</th></tr>"]
    for rank, pair in enumerate(pairs, start=1):
        parts.append(f"<tr class=\"pair\"><td>{rank}</td><td><a href=\"#pair{rank}\">{html.escape(pair.a)} &amp; "
                     f"{html.escape(pair.b)}</a></td><td>{pair.score:.2f}</td><td>{pair.shared}</td></tr>")
    parts.append("</table>")
    for rank, pair in enumerate(pairs[:top], start=1):
        parts.append(f"<h2 id=\"pair{rank}\">{rank}. {html.escape(pair.a)} &amp; {html.escape(pair.b)} "
                     f"({pair.score:.2f})</h2>")
        for module, (la, lb) in sorted(pair.lines.items()):
            parts.append(f"<h3>{html.escape(module)}</h3>\n<div class=\"side\">"
                         f"<pre>{_listing(sources[pair.a][module], la)}</pre>"
                         f"<pre>{_listing(sources[pair.b][module], lb)}</pre></div>")
    parts.append("</body>\n</html>\n")
    write_atomic(Path(path), "\n".join(parts))
