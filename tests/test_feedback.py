"""feedback.md and the Gradescope HTML: whatever a student's code makes a message say stays literal text."""

import base64
import html
import re

import numpy as np
import pytest
from markdown_it import MarkdownIt

from autograder.grading.feedback import GradescopeHtml, answer_figure, feedback_html, feedback_markdown
from autograder.results import FAILED, PASSED, StudentResult, TestResult, gradescope_results

INJECTED = "boom\n```\n\n<script>alert(1)</script>\n\n# Feedback for mallory\n\n**60 / 60 points**\n\n````"


def rendered(result: StudentResult) -> str:
    return MarkdownIt("commonmark").render(feedback_markdown(result))


def test_a_failure_message_cannot_close_its_code_block_or_add_html():
    result = StudentResult(student="mallory", tests=[
        TestResult("ex01_convolution", "edge kernel", 4, 0, FAILED, INJECTED),
        TestResult("ex01_convolution", "uint8", 6, 6, PASSED)])
    html = rendered(result)
    assert html.count("<h1>") == 1 and "<script>" not in html and "&lt;script&gt;" in html
    assert "<strong>60 / 60 points</strong>" not in html


def test_a_message_shared_by_every_test_and_the_warnings_stay_literal():
    result = StudentResult(student="mallory", warnings=["ignored (not an exercise file): x\n# owned `y`"],
                           status="invalid submission: zip member 'a\n## b'",
                           tests=[TestResult("ex02_padding", name, 5, 0, FAILED, INJECTED) for name in "ab"])
    html = rendered(result)
    assert html.count("<h1>") == 1 and html.count("<h2>") == 2  # "Warnings" and "ex02_padding"
    assert "<script>" not in html and "<strong>60 / 60 points</strong>" not in html
    assert "<code>ignored (not an exercise file): x # owned `y`</code>" in html


def embedded_pngs(output: str) -> list[bytes]:
    return [base64.b64decode(data) for data in re.findall(r'<img [^>]*src="data:image/png;base64,([^"]+)"', output)]


def test_gradescope_html_escapes_the_message_and_embeds_the_wrong_answers_picture(tmp_path):
    answer_figure(np.arange(12.0).reshape(3, 4), np.ones((3, 4)), tmp_path / "ex01-edge.png")
    result = StudentResult(student="mallory", tests=[
        TestResult("ex01_convolution", "edge kernel", 4, 0, FAILED, INJECTED, figure="ex01-edge.png"),
        TestResult("ex01_convolution", "uint8", 6, 6, PASSED)])
    data = gradescope_results(result, render_html=GradescopeHtml(tmp_path))
    failed, passed = data["tests"]
    assert failed["output_format"] == passed["output_format"] == "html"
    assert "<script>" not in failed["output"] and "&lt;script&gt;alert(1)&lt;/script&gt;" in failed["output"]
    assert html.unescape(failed["output"].split("<pre>")[1].split("</pre>")[0]) == INJECTED
    assert embedded_pngs(failed["output"]) == [(tmp_path / "ex01-edge.png").read_bytes()]
    assert passed["output"] == ""
    assert data["output_format"] == "text", "the top-level output names the student's files: never rendered"


def test_gradescope_html_caps_the_pictures_per_submission_and_their_size(tmp_path):
    png = b"\x89PNG\r\n\x1a\n" + bytes(100)
    for index in range(4):
        (tmp_path / f"f{index}.png").write_bytes(png)
    (tmp_path / "big.png").write_bytes(png + bytes(1000))
    (tmp_path / "fake.png").write_text("<svg onload=alert(1)>")
    (tmp_path / "link.png").symlink_to(tmp_path / "f0.png")
    render = GradescopeHtml(tmp_path, max_figures=2, max_bytes=500)
    outputs = [render(TestResult("ex01_convolution", name, 1, figure=name), "wrong")
               for name in ("f0.png", "big.png", "fake.png", "link.png", "../f1.png", "f1.png", "f2.png", "f3.png")]
    assert [len(embedded_pngs(o)) for o in outputs] == [1, 0, 0, 0, 0, 1, 0, 0]
    assert "larger than 500 bytes" in outputs[1] and "at most 2 pictures" in outputs[6]
    assert all("could not be read" in o for o in outputs[2:5]) and "svg" not in "".join(outputs)
    with pytest.raises(ValueError, match="max_figures"):
        GradescopeHtml(tmp_path, max_figures=-1)


def feedback_pages() -> list[StudentResult]:
    """Pages with a table, warnings, a status, a shared message, an injected message and a picture."""
    return [StudentResult(student="mallory", warnings=["ignored (not an exercise file): x\n# owned `y`"],
                          status="invalid submission: zip member 'a\n## b'",
                          tests=[TestResult("ex02_padding", name, 5, 0, FAILED, INJECTED) for name in "ab"]),
            StudentResult(student="ada", tests=[TestResult("ex01_convolution", "uint8", 6, 6, PASSED)]),
            StudentResult(student="ben", tests=[
                TestResult("ex01_convolution", "edge kernel", 4, 0, FAILED, "[ref]: /x\n*a* <b>", figure="e.png"),
                TestResult("ex04_pooling", "max_pool2d [H4]", 2, 0, "not run", "not run (--lenet skip)")])]


def test_feedback_html_renders_every_page_as_a_renderer_of_its_own_would():
    pages = feedback_pages() * 2
    for result, page in zip(pages, [feedback_html(result) for result in pages], strict=True):
        alone = MarkdownIt("commonmark", {"html": False}).enable("table").render(feedback_markdown(result))
        assert f"<body>\n{alone}</body>" in page
    assert "<table>" in page and "<img " in feedback_html(pages[2]) and "<script>" not in feedback_html(pages[0])
