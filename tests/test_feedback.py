"""feedback.md: whatever a student's code makes a message say stays literal text in the Markdown."""

from markdown_it import MarkdownIt

from autograder.grading.feedback import feedback_markdown
from autograder.results import FAILED, PASSED, StudentResult, TestResult

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
