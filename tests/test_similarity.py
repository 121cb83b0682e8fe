"""The similarity report: a copied pair (variables renamed, comments changed) ranks first; honest students
who wrote the same short kernel, and the stub's given code, rank below it."""

from __future__ import annotations

import subprocess
import sys

from autograder.grading import similarity

HONEST = '''import numpy as np


def correlate2d(image, kernel):
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    out = np.zeros((image.shape[0] - kernel.shape[0] + 1, image.shape[1] - kernel.shape[1] + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kernel.shape[0], j:j + kernel.shape[1]] * kernel)
    return out


def convolve2d(image, kernel):
    return correlate2d(image, np.asarray(kernel)[::-1, ::-1])
'''

COPIED = '''import numpy as np


def _check(image, kernel):
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("image and kernel must be 2-D")
    if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("kernel larger than the image")


def correlate2d(image, kernel):
    image = np.asarray(image, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    _check(image, kernel)
    rows, cols = image.shape[0] - kernel.shape[0] + 1, image.shape[1] - kernel.shape[1] + 1
    result = np.zeros((rows, cols))
    for dy in range(kernel.shape[0]):
        for dx in range(kernel.shape[1]):
            result += kernel[dy, dx] * image[dy:dy + rows, dx:dx + cols]
    return result


def convolve2d(image, kernel):
    flipped = np.flip(np.asarray(kernel), axis=(0, 1))
    return correlate2d(image, flipped)
'''


def renamed(source: str) -> str:
    """The copy a second student hands in: every variable renamed, a comment added, blank lines moved."""
    for old, new in [("image", "img"), ("kernel", "w"), ("rows", "n_r"), ("cols", "n_c"), ("result", "acc"),
                     ("dy", "a"), ("dx", "b"), ("flipped", "wf"), ("_check", "_validate")]:
        source = source.replace(old, new)
    return "# my own work\n" + source.replace("\n\n\n", "\n\n")


def make_class(root):
    for name, source in [("copier_one", COPIED), ("copier_two", renamed(COPIED)),
                         ("honest_a", HONEST), ("honest_b", HONEST.replace("out", "o")),
                         ("honest_c", HONEST.replace("out", "res"))]:
        (root / name).mkdir(parents=True)
        (root / name / "ex01_convolution.py").write_text(source)
    return root


def test_the_copied_pair_ranks_first_and_the_shared_short_kernel_below(tmp_path):
    pairs, _ = similarity.compare_class(make_class(tmp_path / "class"))
    assert {pairs[0].a, pairs[0].b} == {"copier_one", "copier_two"}, [(p.a, p.b, p.score) for p in pairs]
    assert pairs[0].score > 0.8
    honest = [p for p in pairs if p.a.startswith("honest") and p.b.startswith("honest")]
    assert honest and all(p.score < pairs[0].score / 2 for p in honest), [(p.a, p.b, p.score) for p in honest]


def test_without_the_class_filter_the_honest_students_would_look_like_copies(tmp_path, monkeypatch):
    # Planting the bug the filter prevents: when common fragments count, honest pairs score as high as copies.
    make_class(tmp_path / "class")
    monkeypatch.setattr(similarity, "Counter", lambda values: {h: 0 for h in values})
    pairs, _ = similarity.compare_class(tmp_path / "class")
    honest = [p for p in pairs if p.a.startswith("honest") and p.b.startswith("honest")]
    assert max(p.score for p in honest) > 0.8


def test_renaming_and_comments_do_not_change_the_fingerprints():
    assert similarity.fingerprints(COPIED).keys() == similarity.fingerprints(renamed(COPIED)).keys()


def test_the_cli_writes_the_side_by_side_page(tmp_path):
    make_class(tmp_path / "class")
    run = subprocess.run([sys.executable, "-m", "autograder", "similarity", str(tmp_path / "class"),
                          "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "copier_one & copier_two" in run.stdout.splitlines()[0]
    page = (tmp_path / "out" / similarity.SIMILARITY_HTML).read_text()
    assert page.count('class="pair"') == 10 and 'class="hit"' in page and "_validate" in page
