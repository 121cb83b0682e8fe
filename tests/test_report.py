"""The class report as an instructor sees it: loaded in headless Chromium, its needs-attention list, the
named-mistake counts, pass rates over submitters, a table sorted by a click, and each student's feedback.html."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from autograder.grading import report
from autograder.grading.feedback import feedback_html
from autograder.results import FAILED, NOT_RUN, PASSED, StudentResult, TestResult
from autograder.verdicts import Reason, Status
from exercises.checks import CheckFailure

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
NOT_FLIPPED = "the kernel was not flipped: that is correlate2d; flip it with kernel[::-1, ::-1]"


def flipped_output() -> str:
    """The output a failed check gives, built by the checks' own class so the report parses the real format."""
    return str(CheckFailure("convolve2d((8, 7) float64, (3, 3) float64)", "worst element at [0, 2]", NOT_FLIPPED))


def student(name, ex01=PASSED, ex04=PASSED, reason="", status=Status.OK, output="", otter=None):
    """A student with two ex01 tests, one ex04 test and one ex06 test not run."""
    tests = [TestResult("ex01_convolution", "correlate2d matches the reference", 1, float(ex01 == PASSED), ex01,
                        output, reason),
             TestResult("ex01_convolution", "convolve2d flips the kernel", 1, float(ex01 == PASSED), ex01,
                        output, reason),
             TestResult("ex04_pooling", "max pool2d keeps the largest value", 1, float(ex04 == PASSED), ex04,
                        "not submitted: ex04_pooling.py" if ex04 == FAILED else "",
                        Reason.NOT_SUBMITTED if ex04 == FAILED else ""),
             TestResult("ex06_lenet5", "lenet5 accuracy", 5, 0.0, NOT_RUN, "not run (--lenet skip)")]
    return StudentResult(str(name), tests, status=str(status), otter=otter or {})


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """Twelve ex01 submitters, seven of whom did not flip the kernel, plus students who need attention."""
    out = tmp_path_factory.mktemp("report")
    results = [student(f"s{i:02d}", ex01=FAILED, reason=Reason.WRONG_ANSWER, output=flipped_output(),
                       ex04=FAILED if i < 3 else PASSED) for i in range(7)]
    results += [student(f"s{i:02d}") for i in range(7, 12)]
    results += [student("t_loop", ex01=FAILED, reason=Reason.TIMEOUT, output="timeout after 2 s"),
                student("t_exit", ex01=FAILED, reason=Reason.EXITED, output="the code exited with status 0"),
                student("t_otter", otter={"ex01_convolution": {"earned": 0.0, "possible": 2.0}}),
                student("t_empty", status=Status.NOTHING_GRADED, ex01=FAILED, reason=Reason.NOT_SUBMITTED,
                        output="not submitted: ex01_convolution.py"),
                student("t_script", ex01=FAILED, reason=Reason.EXCEPTION,
                        output="your code raised ValueError: <script>document.title='owned'</script>")]
    for r in results:
        (out / r.student).mkdir()
    report.write_class_report(out / "report.html", results)
    return out, results


def chromium_dom(url: str) -> str:
    """The page's DOM after its scripts ran, as headless Chromium dumps it."""
    run = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", url],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


class Rows(HTMLParser):
    """The text of every cell of the table with id `table_id`, row by row."""

    def __init__(self, table_id):
        super().__init__()
        self.table_id, self.inside, self.rows, self.cell = table_id, False, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table(dom: str, table_id: str) -> list[list[str]]:
    parser = Rows(table_id)
    parser.feed(dom)
    return parser.rows


def attention_groups(dom: str) -> dict[str, str]:
    """Heading -> the text of its entry, from the needs-attention section."""
    match = re.search(r'<section id="attention">(.*?)</section>', dom, re.S)
    assert match, "the page has no needs-attention section"
    groups = re.findall(r'<li class="attention-group" data-heading="([^"]*)">(.*?)</li>', match.group(1), re.S)
    return {heading: " ".join(re.sub(r"<[^>]+>", "", body).split()) for heading, body in groups}


def test_the_needs_attention_list_comes_first_and_names_every_kind_of_trouble(klass):
    out, _ = klass
    dom = chromium_dom((out / "report.html").as_uri())
    assert dom.index('id="attention"') < dom.index('id="mistakes"') < dom.index('id="students"')
    groups = attention_groups(dom)
    assert groups == {
        "nothing graded": "nothing graded (1): t_empty (status nothing graded)",
        "suspected tampering (Otter disagreement)":
            "suspected tampering (Otter disagreement) (1): t_otter (DIFFERS in ex01)",
        "suspected tampering (exit or signal from student code)":
            "suspected tampering (exit or signal from student code) (1): t_exit (exited in ex01)",
        "timeouts": "timeouts (1): t_loop (timeout in ex01)"}, groups


def test_the_mistake_summary_counts_students_over_the_submitters_and_links_them(klass):
    out, _ = klass
    dom = chromium_dom((out / "report.html").as_uri())
    rows = table(dom, "mistakes")
    flipped = [row for row in rows if NOT_FLIPPED in " ".join(row)]
    assert len(flipped) == 1, rows
    # Twelve s-students and t_loop, t_exit, t_otter and t_script handed in ex01; t_empty did not.
    assert flipped[0][1] == "7 of 16 submitters", flipped
    assert all(f'href="s{i:02d}/feedback.html"' in dom for i in range(7))


def test_pass_rates_count_only_the_students_who_submitted_and_keep_function_names(klass):
    out, _ = klass
    rows = table(chromium_dom((out / "report.html").as_uri()), "rates")
    pool = next(row for row in rows if row[:1] == ["ex04_pooling"])
    assert pool[1] == "max_pool2d keeps the largest value"
    # Seventeen students, three of whom did not hand in ex04: 14 of 14, not 14 of 17.
    assert pool[2] == "14 / 14", pool
    lenet = next(row for row in rows if row[:1] == ["ex06_lenet5"])
    assert lenet[3] == "not run"


def test_clicking_a_header_sorts_the_students_table(klass):
    out, results = klass
    unsorted = [row[0] for row in table(chromium_dom((out / "report.html").as_uri()), "students")[1:]]
    assert unsorted[0].startswith("s00")
    # ?sort=students:7:desc clicks the "total" header twice: highest total first.
    dom = chromium_dom((out / "report.html").as_uri() + "?sort=students:7:desc")
    rows = table(dom, "students")
    assert rows[0][7].startswith("total")
    totals = [float(row[7]) for row in rows[1:]]
    assert totals == sorted(totals, reverse=True) and totals != [float(r.csv_row()[7]) for r in results]
    assert 'aria-sort="descending"' in dom


def test_feedback_html_shows_the_feedback_and_keeps_student_text_literal(klass):
    out, results = klass
    page = (out / "t_script" / "feedback.html").read_text()
    assert "&lt;script&gt;" in page and "<script>" not in page
    dom = chromium_dom((out / "t_script" / "feedback.html").as_uri())
    assert "<title>convkit feedback: t_script</title>" in dom  # The student's script never ran.
    flipped = (out / "s00" / "feedback.html").read_text()
    assert NOT_FLIPPED in flipped


def test_feedback_html_shows_the_answer_pictures():
    result = student("pic", ex01=FAILED, reason=Reason.WRONG_ANSWER, output=flipped_output())
    result.tests[0].status, result.tests[0].output = PASSED, ""
    result.tests[1].figure = "convolve2d-flips.png"
    assert '<img src="convolve2d-flips.png"' in feedback_html(result)


@pytest.mark.parametrize("totals, possible, expected", [
    ([0, 5.5, 54.9, 55], 55, [1, 1, 0, 0, 0, 0, 0, 0, 0, 2]),   # a full mark lands in the top bin
    ([12, 12, 30, 60], 55, [0, 0, 2, 0, 0, 1, 0, 0, 0, 1]),     # a bonus above `possible` widens the axis
    ([], 0, [0] * 10),
])
def test_the_histogram_puts_every_total_in_one_bin(totals, possible, expected):
    bins = report.histogram_bins(totals, possible)
    assert [count for _, _, count in bins] == expected
    assert bins[0][0] == 0 and bins[-1][1] == max(possible, *totals, 1)


def test_the_histogram_svg_draws_each_bin_as_tall_as_its_count():
    svg = report.histogram_svg([1, 1, 1, 20, 20, 55], 55)
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', svg)]
    titles = re.findall(r"<title>([^<]*)</title>", svg)
    assert len(heights) == 10
    assert heights[0] == pytest.approx(1.5 * heights[3], abs=0.2) == pytest.approx(3 * heights[9], abs=0.2)
    assert titles[0] == "0-5.5 points: 3 students" and titles[9] == "49.5-55 points: 1 student"
    HTMLParser().feed(svg)  # well-formed enough to parse
    with pytest.raises(ValueError, match="bins must be at least 1"):
        report.histogram_bins([1], 10, bins=0)
