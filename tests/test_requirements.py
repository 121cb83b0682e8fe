"""Version bounds are written once (autograder/course.py's REQUIREMENTS): the kit's pyproject is held to them,
the student bundle's is written from them, and the bundle's Keras backend is chosen as its install allows."""

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from autograder import course, release
from autograder.stubs import ROOT
from exercises import keras_backend

tomllib = pytest.importorskip("tomllib")

#: The kit grades with TensorFlow; jax is only the bundle's default backend.
BUNDLE_ONLY = {"jax"}


def requirements(project: dict) -> list[Requirement]:
    """Every requirement of a pyproject's `[project]`, the dependencies and every extra's."""
    listed = project.get("dependencies", []) + [r for extra in project.get("optional-dependencies", {}).values()
                                                for r in extra]
    return [Requirement(text) for text in listed]


def drift(pyproject_text: str) -> list[str]:
    """How the kit's pyproject disagrees with `course.REQUIREMENTS`: a bound that differs, a package not named."""
    found = requirements(tomllib.loads(pyproject_text)["project"])
    problems = [f"{r.name}{r.specifier} (course.py: {r.name}{course.REQUIREMENTS[r.name]})" for r in found
                if r.name in course.REQUIREMENTS and r.specifier != SpecifierSet(course.REQUIREMENTS[r.name])]
    missing = set(course.REQUIREMENTS) - BUNDLE_ONLY - {r.name for r in found}
    return problems + [f"{name} not named" for name in sorted(missing)]


KIT_PYPROJECT = (ROOT / "pyproject.toml").read_text()


def test_the_kit_pyproject_states_the_course_bounds():
    assert drift(KIT_PYPROJECT) == []


@pytest.mark.parametrize(("before", "after", "caught"), [
    ('"numpy>=2.0"', '"numpy>=1.26"', "numpy>=1.26 (course.py: numpy>=2.0)"),
    ('"tensorflow>=2.18"', '"tensorflow>=2.16"', "tensorflow>=2.16 (course.py: tensorflow>=2.18)"),
    ('"otter-grader[grading]==7.0.0"', '"otter-grader[grading]>=7"',
     "otter-grader>=7 (course.py: otter-grader==7.0.0)"),
    ('    "keras>=3.5",\n', "", "keras not named"),
])
def test_a_planted_drift_is_caught(before, after, caught):
    assert before in KIT_PYPROJECT, "the planted drift must change the real file's text"
    assert drift(KIT_PYPROJECT.replace(before, after)) == [caught]


def test_the_bundle_pyproject_is_written_from_the_table(tmp_path):
    written = release.write_release(tmp_path / "bundle")
    assert "pyproject.toml" in written
    project = tomllib.loads((tmp_path / "bundle" / "pyproject.toml").read_text())["project"]
    assert project["dependencies"] == [course.requirement(name) for name in course.STUDENT_DEPENDENCIES]
    assert project["optional-dependencies"] == {
        extra: [course.requirement(name) for name in names] for extra, names in course.STUDENT_EXTRAS.items()}
    assert {r.name for r in requirements(project)} == set(course.REQUIREMENTS), "a bound no install uses"


def test_a_template_without_its_marker_or_with_an_unknown_one_is_refused():
    template = (release.TEMPLATES / "pyproject.toml").read_text()
    with pytest.raises(ValueError, match='"@otter@" once, found 0'):
        release.pyproject_text(template.replace('"@otter@"', "[]"))
    with pytest.raises(ValueError, match="groups the course does not have"):
        release.pyproject_text(template + 'gpu = "@gpu@"\n')


def test_an_unknown_package_has_no_bound():
    assert course.requirement("jax") == "jax>=0.4.30"
    with pytest.raises(ValueError, match="no version bound for 'torch'"):
        course.requirement("torch")


def finder(*installed: str):
    return lambda name: object() if name in installed else None


@pytest.mark.parametrize(("environ", "installed", "backend"), [
    ({}, ("jax",), "jax"),                               # the default install
    ({}, ("jax", "tensorflow"), None),                   # Colab, the grader, `.[tensorflow]`: Keras's default
    ({}, ("tensorflow",), None),
    ({"KERAS_BACKEND": "torch"}, ("jax", "torch"), None),  # the student's own choice stands
    ({}, (), None),                                      # no backend at all: Keras says what is missing
])
def test_keras_runs_on_jax_only_where_nothing_else_was_chosen(environ, installed, backend):
    assert keras_backend(environ, finder(*installed)) == backend
