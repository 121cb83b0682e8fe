"""The trusted grading processes: forked from the preloaded server, named by "module:function"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.grading import processes


def _exit_with(code: str) -> int:
    print(f"ran in {os.getcwd()} with CONVKIT_PROBE={os.environ.get('CONVKIT_PROBE')}")
    return int(code)


def _count_threads_after_a_product(path: str) -> int:
    import numpy as np

    matrix = np.ones((400, 400))
    matrix @ matrix
    with open(path, "w") as handle:
        handle.write(str(len(os.listdir("/proc/self/task"))))
    return 0


def test_a_grading_process_computes_on_one_thread(tmp_path):
    """`--jobs` runs grading processes side by side; BLAS threads of their own would only take turns."""
    answer = tmp_path / "threads"
    code = processes.run("tests.test_processes:_count_threads_after_a_product", (str(answer),), timeout=120,
                         cwd=tmp_path, environ=dict(os.environ), log_path=tmp_path / "log")
    assert code == 0 and answer.read_text() == "1"


def test_a_grading_process_runs_the_named_function_with_its_folder_environment_and_log(tmp_path):
    log = tmp_path / "log"
    code = processes.run("tests.test_processes:_exit_with", ("3",), timeout=120, cwd=tmp_path,
                         environ={**os.environ, "CONVKIT_PROBE": "yes"}, log_path=log)
    assert code == 3
    assert f"ran in {tmp_path} with CONVKIT_PROBE=yes" in processes.read_tail(log)


@pytest.mark.parametrize("target", ["tests.test_processes._exit_with", "a:b:c", "not a module:x", ""])
def test_a_target_that_is_not_module_colon_function_is_refused(tmp_path, target):
    with pytest.raises(ValueError, match="package.module:function"):
        processes.run(target, (), timeout=5, cwd=tmp_path, environ={}, log_path=tmp_path / "log")


def test_the_batchs_own_process_imports_neither_pytest_nor_matplotlib():
    """The CLI's imports are on the one-student command's critical path; the grading processes are forked from
    a server that imported pytest, matplotlib and the hidden suites once."""
    code = ("import sys\nimport autograder.cli, autograder.grading.batch, autograder.grading.report\n"
            "print(sorted(m for m in ('pytest', 'matplotlib') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]"


GRADE_AFTER_WARM = """
import shutil, sys
from pathlib import Path
import autograder.grading.warm
from autograder.grading import feedback, student
compiled = []
compile_template = feedback._ENV.compile
feedback._ENV.compile = lambda *args, **kwargs: compiled.append(args) or compile_template(*args, **kwargs)
folder = Path(sys.argv[1])
submission = folder / "submission"
submission.mkdir()
for module in Path("solutions").glob("ex0[1-5]_*.py"):
    shutil.copy(module, submission / module.name)
submission.chmod(0o755)
before = set(sys.modules)
result = student.grade(student.GradingSpec(student="ada", submission_dir=str(submission), out_dir=str(folder / "out"),
                                           lenet="skip", files=sorted(p.name for p in submission.iterdir())))
print(sorted(set(sys.modules) - before), len(compiled), result.exercise_points()["ex01_convolution"])
"""


def test_a_grading_process_forked_from_the_server_imports_and_compiles_nothing_more(traversable_tmp_path):
    """What a grading process would import or compile on its own it does once per student; the server does it once
    for the class (numpy.random, pytest's plugins, feedback.md's template)."""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", GRADE_AFTER_WARM, str(traversable_tmp_path)], cwd=root,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[] 0 (10.0, 10.0)"
