"""feedback.md: a student's points per exercise and, for every failed test, the check's three-part message;
the same message and picture as HTML for each test of Gradescope's results.json (`GradescopeHtml`)."""

from __future__ import annotations

import base64
import functools
import html
import re
from pathlib import Path

import jinja2
import numpy as np

from autograder.results import FAILED, NOT_RUN, PASSED, StudentResult, TestResult, _number
from autograder.stubs import EXERCISE_NAMES

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("autograder", "templates"),
                          keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                          undefined=jinja2.StrictUndefined, autoescape=False)
_MARKS = {PASSED: "PASS", FAILED: "FAIL", NOT_RUN: "NOT RUN"}


def fenced(text: str) -> str:
    """`text` as a Markdown code block whose fence is longer than any run of backticks in it, so that
    whatever a student's code made the text say stays literal (no headings, links or HTML)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text}\n{fence}"


def inline(text: str) -> str:
    """`text` on one line as a Markdown code span, delimited by a run of backticks the text does not hold."""
    text = " ".join(str(text).split())
    runs = {len(run) for run in re.findall(r"`+", text)}
    width = next(n for n in range(1, len(runs) + 2) if n not in runs)
    return f"{'`' * width} {text} {'`' * width}"


_ENV.filters.update(fenced=fenced, inline=inline)


FEEDBACK_TEMPLATE = "feedback.md.j2"


def load_template() -> None:
    """Compile feedback.md's template now (about 15 ms): a server that grading processes are forked from does it
    once for all of them."""
    _ENV.get_template(FEEDBACK_TEMPLATE)


def feedback_markdown(result: StudentResult) -> str:
    """The student's feedback page in Markdown."""
    total, possible = result.total()
    by_exercise = {name: [t for t in result.tests if t.exercise == name] for name in EXERCISE_NAMES}
    return _ENV.get_template(FEEDBACK_TEMPLATE).render(
        r=result, total=_number(total), possible=_number(possible), points=result.exercise_points(),
        by_exercise=by_exercise, shared={name: _shared_output(tests) for name, tests in by_exercise.items()},
        mark=_MARKS, num=_number, figure_alt=FIGURE_ALT)


def _shared_output(tests) -> str:
    """The one message every test of an exercise failed with ("not submitted", an import error), else ""."""
    outputs = {t.output for t in tests}
    if len(tests) > 1 and len(outputs) == 1 and all(t.status != PASSED for t in tests):
        return outputs.pop()
    return ""


#: At most this many answer pictures per student, and one per function (its first wrong answer), so a student
#: who fails everything costs little time.
MAX_FIGURES = 12


#: The words beside every answer picture, in feedback.md and on Gradescope.
FIGURE_ALT = "your answer, the expected one and their difference"
#: Gradescope's results.json embeds at most this many pictures per submission, each at most this many bytes of
#: PNG (a picture is 8 to 11 kB; base64 adds a third), so results.json stays near 100 kB at worst.
MAX_EMBEDDED_FIGURES = 4
MAX_EMBEDDED_BYTES = 48 * 1024
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class GradescopeHtml:
    """A test's Gradescope output in HTML: its text, escaped, in a `<pre>`, then the picture of the wrong answer
    (a PNG beside feedback.md, in `figure_dir`) as an `<img>` with a base64 `data:` URI.

    Call it as `render_html(test, text)` for `results.gradescope_results`. The text may hold whatever the
    student's code printed or raised, so every `<`, `>`, `&` and quote in it is escaped: no tag of the student's
    reaches the page. Pictures past `max_figures`, or larger than `max_bytes`, are named instead of embedded.
    """

    def __init__(self, figure_dir: Path, max_figures: int = MAX_EMBEDDED_FIGURES,
                 max_bytes: int = MAX_EMBEDDED_BYTES):
        if max_figures < 0 or max_bytes < 0:
            raise ValueError(f"max_figures and max_bytes must be >= 0, not {max_figures} and {max_bytes}")
        self.figure_dir, self.max_figures, self.max_bytes = Path(figure_dir), max_figures, max_bytes
        self.embedded = 0

    def __call__(self, test: TestResult, text: str) -> str:
        parts = [f"<pre>{html.escape(text)}</pre>"] if text else []
        if test.figure and test.status != PASSED:
            parts.append(self._figure(test.figure))
        return "\n".join(parts)

    def _figure(self, name: str) -> str:
        png = self._png(name)
        if png is None:
            return "<p>(the picture of this answer could not be read)</p>"
        if len(png) > self.max_bytes:
            return f"<p>(the picture of this answer is larger than {self.max_bytes} bytes: see feedback.md)</p>"
        if self.embedded >= self.max_figures:
            return f"<p>(picture left out: at most {self.max_figures} pictures per submission are shown)</p>"
        self.embedded += 1
        data = base64.b64encode(png).decode("ascii")
        return f'<p><img alt="{FIGURE_ALT}" src="data:image/png;base64,{data}"></p>'

    def _png(self, name: str) -> bytes | None:
        """The bytes of the grader's picture `name`: a PNG file directly in `figure_dir`, else None."""
        path = self.figure_dir / name
        if Path(name).name != name or not name.endswith(".png") or path.is_symlink() or not path.is_file():
            return None
        with open(path, "rb") as handle:
            png = handle.read(self.max_bytes + 1)
        return png if png.startswith(_PNG_SIGNATURE) else None


def answer_figure(got: np.ndarray, expected: np.ndarray, path: Path) -> None:
    """Draw a wrong array answer beside the expected one and their difference, as a small PNG at `path`.

    Arrays of one axis are drawn as one row; of three or more axes, the 2-D slice (over the first two axes)
    holding the worst element is drawn, named in the title. The three panels are coloured with numpy and
    shown as one image (one set of axes is what makes a picture cheap: about 15 ms instead of 100):
    yours and expected on one viridis scale, the difference on a red-blue scale centred on 0; each panel's
    value range is written under it.
    """
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    where = ""
    if got.ndim == 1:
        got, expected = got[None, :], expected[None, :]
    elif got.ndim > 2:
        worst = np.unravel_index(int(np.argmax(np.abs(got - expected))), got.shape)
        where = f" at [:, :, {', '.join(str(int(i)) for i in worst[2:])}]"
        got, expected = got[(slice(None), slice(None), *worst[2:])], expected[(slice(None), slice(None), *worst[2:])]
    low, high = float(min(got.min(), expected.min())), float(max(got.max(), expected.max()))
    difference = got - expected
    limit = max(float(np.abs(difference).max()), 1e-12)
    span = max(high - low, 1e-12)
    if not np.isfinite([low, high, limit, span]).all():
        raise ValueError("the values are too large (or not finite) to picture")
    scale = f"dark {low:.3g} to yellow {high:.3g}"
    panels = [(colormaps["viridis"]((got - low) / span), f"your answer{where}", scale),
              (colormaps["viridis"]((expected - low) / span), "expected", scale),
              (colormaps["RdBu_r"]((difference + limit) / (2 * limit)), "yours - expected",
               f"blue {-limit:.3g} to red {limit:.3g}")]
    height, width = got.shape
    gap = np.ones((height, max(1, width // 4), 4))
    image = np.concatenate([panels[0][0], gap, panels[1][0], gap, panels[2][0]], axis=1)
    figure = Figure(figsize=(7.5, 2.6))
    axes = figure.add_axes((0.01, 0.14, 0.98, 0.72))
    axes.imshow(image, interpolation="nearest", aspect="auto")
    axes.set_axis_off()
    total = image.shape[1]
    for index, (_pixels, title, legend) in enumerate(panels):
        centre = 0.01 + 0.98 * (index * (width + gap.shape[1]) + width / 2) / total
        figure.text(centre, 0.9, title, ha="center", fontsize=9)
        figure.text(centre, 0.04, legend, ha="center", fontsize=8, color="#444")
    figure.savefig(path, dpi=72)


def feedback_html(result: StudentResult) -> str:
    """feedback.md rendered as a standalone HTML page (feedback.html beside it), its pictures shown.

    markdown-it renders with raw HTML disabled, so whatever a student's code printed stays literal text:
    a `<script>` in an error message is shown, never run. Only the pictures the grader drew (files beside
    the page) are linked, as Markdown images already are in feedback.md.
    """
    body = _markdown().render(feedback_markdown(result))
    title = jinja2.utils.markupsafe.escape(f"convkit feedback: {result.student}")
    return ("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{title}</title>\n<style>\n"
            " body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }\n"
            " pre { background: #f5f5f5; padding: .6rem; overflow-x: auto; } img { max-width: 100%; }\n"
            " table { border-collapse: collapse; } th, td { border-bottom: 1px solid #ddd; padding: .2rem .6rem; }\n"
            "</style>\n</head>\n<body>\n" + body + "</body>\n</html>\n")


@functools.cache
def _markdown():
    """The CommonMark renderer (tables on, raw HTML off) of every feedback.html, built once per process (about
    0.15 ms each); a render keeps nothing of the page it rendered, so pages rendered in turn do not mix."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table")
