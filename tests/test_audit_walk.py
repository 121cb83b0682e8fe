"""The audit's own walk of a syntax tree visits the nodes `ast.walk` visits, in the same order (an alias of numpy
is known before the calls below it only in that order)."""

import ast
from pathlib import Path

from autograder.grading.audit import _breadth_first, forbidden_uses

ROOT = Path(__file__).resolve().parents[1]


def test_the_walk_visits_every_node_in_ast_walks_order():
    sources = sorted((ROOT / "autograder").rglob("*.py")) + sorted((ROOT / "solutions").glob("*.py"))
    assert len(sources) > 20
    for path in sources:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert [id(node) for node in _breadth_first(tree)] == [id(node) for node in ast.walk(tree)], path


def test_an_alias_counts_for_the_calls_below_it_and_not_for_those_above():
    source = "x = n.convolve\ndef f():\n    import numpy as n\n    return n.correlate\n"
    assert forbidden_uses(source) == ["n.correlate"]
