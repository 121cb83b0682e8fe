"""The sandbox survives the bad submissions of design/bad-submissions.md (rows named in each test).

Every test writes tiny student modules into a fresh folder and runs them through `Sandbox` with short
timeouts. Tests that need a layer this machine lacks (a distinct uid, namespaces) are skipped, not passed.
"""

from __future__ import annotations

import functools
import io
import json
import os
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from autograder import course
from autograder.sandbox import (
    AnswerTooLarge,
    CallTimedOut,
    Crashed,
    Forbidden,
    ForeignValue,
    ImportFailed,
    ImportTimedOut,
    IsolationError,
    Limits,
    MemoryExceeded,
    MissingFunction,
    NotSubmitted,
    StudentException,
    StudentValueError,
    SubmissionExited,
    isolation,
    process,
)
from autograder.sandbox import Sandbox as _Sandbox
from exercises.checks import CheckFailure, SubmissionError, check_array, check_raises_value_error, check_unchanged

_KERAS = course.keras_exercise()
#: The sandbox as the grader builds it: the course's forbidden lists and Keras names are passed in.
Sandbox = functools.partial(_Sandbox, forbidden=course.forbidden_imports(), keras_modules=(_KERAS.name,),
                            builder=_KERAS.builder, trainer=_KERAS.trainer, weights_file=course.WEIGHTS_FILE)
FAST = Limits(call_timeout_s=1.5, import_timeout_s=1.5)
CORRECT = """
import numpy as np

def correlate2d(image, kernel):
    image = np.asarray(image, dtype=np.float64)
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = (image[i:i + kh, j:j + kw] * kernel).sum()
    return out
"""
LAYERS = isolation.available_layers()
needs_uid = pytest.mark.skipif("uid" not in LAYERS, reason="needs root: a distinct sandbox uid per worker")
needs_namespaces = pytest.mark.skipif("namespaces" not in LAYERS, reason="needs bubblewrap namespaces")


@pytest.fixture
def tmp_path(traversable_tmp_path):
    """Every test here gets a folder a sandbox uid can pass through."""
    return traversable_tmp_path


def submission(tmp_path: Path, **modules: str) -> Path:
    """A world-readable submission folder holding `modules` (name -> source), as the intake makes it."""
    folder = tmp_path / "submission"
    folder.mkdir()
    for name, source in modules.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(source))
        (folder / f"{name}.py").chmod(0o644)
    folder.chmod(0o755)
    return folder


def uid_processes(uid: int) -> list[int]:
    """Pids of the live processes whose real uid is `uid`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
        except (OSError, ValueError):
            continue
        uid_line = next((line for line in status.splitlines() if line.startswith("Uid:")), "")
        state = next((line for line in status.splitlines() if line.startswith("State:")), "")
        if uid_line.split()[1:2] == [str(uid)] and "zombie" not in state:
            found.append(int(entry.name))
    return found


@pytest.fixture
def image_and_kernel():
    rng = np.random.default_rng(7)
    return rng.normal(size=(6, 5)), rng.normal(size=(3, 2))


def test_a_correct_module_answers_like_the_reference_and_reuses_its_worker(tmp_path, image_and_kernel):
    image, kernel = image_and_kernel
    folder = submission(tmp_path, ex01_convolution=CORRECT + "\nCALLS = []\ndef calls():\n    CALLS.append(1)\n"
                        "    return len(CALLS)\n")
    with Sandbox(folder, FAST) as sandbox:
        student = sandbox.module("ex01_convolution")
        expected = np.array([[(image[i:i + 3, j:j + 2] * kernel).sum() for j in range(4)] for i in range(4)])
        check_array(student.correlate2d(image, kernel), expected, "correlate2d")
        started = time.monotonic()
        for _ in range(20):
            student.correlate2d(image, kernel)
        assert time.monotonic() - started < 1.0
        assert [student.calls(), student.calls()] == [1, 2]  # One worker kept its module state.


def test_isolation_layers_are_reported():
    assert set(isolation.ALWAYS) <= set(LAYERS)
    if os.geteuid() == 0 and isolation.bwrap_usable():
        assert {"uid", "namespaces"} <= set(LAYERS)


def test_a_missing_minimum_isolation_is_refused_with_cause_and_remedy(tmp_path, monkeypatch):
    monkeypatch.setattr(isolation, "available_layers", lambda: list(isolation.ALWAYS))
    with pytest.raises(IsolationError, match="namespaces.*Remedy"):
        Sandbox(submission(tmp_path), min_isolation="namespaces")
    with pytest.raises(IsolationError, match="'uid' is not available"):
        Sandbox(tmp_path / "submission", min_isolation="uid")
    assert Sandbox(tmp_path / "submission", min_isolation="process").isolation == isolation.ALWAYS


def test_without_bubblewrap_a_call_still_runs_under_rlimits(tmp_path, monkeypatch):
    monkeypatch.setattr(isolation, "bwrap_usable", lambda: False)
    folder = submission(tmp_path, ex05_parameters="""
        import resource
        def limits():
            return resource.getrlimit(resource.RLIMIT_AS)[0], resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        """)
    with Sandbox(folder, Limits(memory_mb=700, file_size_mb=3)) as sandbox:
        assert "namespaces" not in sandbox.isolation and "rlimits" in sandbox.isolation
        assert sandbox.call("ex05_parameters", "limits") == (700 << 20, 3 << 20)


def test_row02_a_syntax_error_is_an_import_error_with_its_line_and_other_modules_still_run(tmp_path):
    folder = submission(tmp_path, ex01_convolution="import numpy as np\n\ndef correlate2d(image, kernel)\n",
                        ex05_parameters="def dense_params(n, units, use_bias=True):\n    return n * units\n")
    with Sandbox(folder, FAST) as sandbox:
        with pytest.raises(ImportFailed) as raised:
            sandbox.call("ex01_convolution", "correlate2d", 1, 2)
        assert str(raised.value).startswith("import error: SyntaxError:") and "(line 3)" in str(raised.value)
        assert "sandbox" not in str(raised.value) and "/" not in str(raised.value)
        assert raised.value.reason == "import error"
        assert sandbox.call("ex05_parameters", "dense_params", 784, 1) == 784


def test_each_fresh_worker_runs_the_module_its_zygote_compiled_once_as_pythons_own_loader_would(tmp_path):
    source = ("import sys\n\ndef where():\n    spec = sys.modules[__name__].__spec__\n    return ["
              "type(__loader__).__name__, __file__, spec.origin, spec.cached, where.__code__.co_filename]\n")
    folder = submission(tmp_path, ex01_convolution=source, ex05_parameters="def f(:\n")
    with Sandbox(folder, FAST) as sandbox:
        name, file, origin, cached, code_file = sandbox.call("ex01_convolution", "where")
        sandbox.fresh()
        assert sandbox.call("ex01_convolution", "where")[0] == "PrecompiledLoader"
        with pytest.raises(ImportFailed, match=r"^import error: SyntaxError: .*\(line 1\)$"):
            sandbox.call("ex05_parameters", "f")
    assert name == "PrecompiledLoader"
    assert file == origin == code_file and file.endswith("/ex01_convolution.py")
    pyc = f"ex01_convolution.{sys.implementation.cache_tag}.pyc"
    assert cached == os.path.join(os.path.dirname(file), "__pycache__", pyc)


def test_row03_a_missing_function_is_named_and_a_wrong_signature_is_a_type_error(tmp_path):
    folder = submission(tmp_path, ex01_convolution="def correlate2d(image):\n    return image\n")
    with Sandbox(folder, FAST) as sandbox:
        student = sandbox.module("ex01_convolution")
        with pytest.raises(MissingFunction, match=r"ex01_convolution has no function convolve2d\(\)"):
            student.convolve2d(np.ones((2, 2)), np.ones((1, 1)))
        with pytest.raises(StudentException, match="TypeError: correlate2d.. takes 1 positional argument"):
            student.correlate2d(np.ones((2, 2)), np.ones((1, 1)))


def test_a_module_that_is_not_submitted_says_so(tmp_path):
    with Sandbox(submission(tmp_path), FAST) as sandbox, pytest.raises(NotSubmitted, match="ex02_padding.py"):
        sandbox.module("ex02_padding").zero_pad(np.ones((2, 2)), 1)


@pytest.mark.parametrize("body", [
    pytest.param("while True:\n        pass", id="row04-busy-loop"),
    pytest.param("signal.signal(signal.SIGALRM, signal.SIG_IGN)\n    signal.alarm(1)\n    while True:\n        pass",
                 id="row06-ignores-sigalrm"),
    pytest.param("time.sleep(10**6)", id="row07-sleep"),
])
def test_rows04_06_07_a_call_that_never_returns_times_out_and_a_fresh_worker_follows(tmp_path, body):
    folder = submission(tmp_path, ex01_convolution=f"import signal, time\n\ndef hang():\n    {body}\n\n"
                        "def fine():\n    return 42\n")
    with Sandbox(folder, Limits(call_timeout_s=1)) as sandbox:
        started = time.monotonic()
        with pytest.raises(CallTimedOut, match=r"^timed out after 1 s$"):
            sandbox.call("ex01_convolution", "hang")
        assert time.monotonic() - started < 3
        assert sandbox.call("ex01_convolution", "fine") == 42


def test_row05_an_endless_import_times_out_once_and_is_remembered(tmp_path):
    folder = submission(tmp_path, ex01_convolution="while True:\n    pass\n",
                        ex02_padding="def zero_pad(image, pad):\n    return 'padded'\n")
    with Sandbox(folder, FAST) as sandbox:
        with pytest.raises(ImportTimedOut, match=r"import timed out after 1.5 s"):
            sandbox.call("ex01_convolution", "correlate2d", 1, 2)
        started = time.monotonic()
        with pytest.raises(ImportTimedOut, match=r"import timed out after 1.5 s"):
            sandbox.call("ex01_convolution", "convolve2d", 1, 2)
        assert time.monotonic() - started < 0.1
        assert sandbox.call("ex02_padding", "zero_pad", 1, 1) == "padded"


@needs_uid
@pytest.mark.parametrize("bomb", [
    pytest.param("""
        def bomb():
            forks = 0
            for _ in range(300):
                try:
                    if os.fork() == 0:
                        time.sleep(600)
                        os._exit(0)
                except OSError:
                    break
                forks += 1
            return forks, os.getuid()
        """, id="forks"),
    pytest.param("""
        def bomb():
            threads = 0
            for _ in range(300):
                try:
                    threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
                except RuntimeError:
                    break
                threads += 1
            return threads, os.getuid()
        """, id="threads"),
])
def test_row08_a_fork_or_thread_bomb_is_bounded_and_leaves_nothing_behind(tmp_path, bomb):
    folder = submission(tmp_path, ex01_convolution="import os, threading, time\n" + textwrap.dedent(bomb))
    with Sandbox(folder, Limits(nproc=32)) as sandbox:
        started, (count, uid) = time.monotonic(), sandbox.call("ex01_convolution", "bomb")
        assert count < 32 and time.monotonic() - started < 5
        assert uid != 0 and uid_processes(uid)
    assert uid_processes(uid) == []


@pytest.mark.parametrize("body", [
    pytest.param("return np.ones(10**10)", id="numpy-array"),
    pytest.param("blocks = []\n    while True:\n        blocks.append(bytearray(10**7))", id="growing-list"),
])
def test_row09_a_memory_bomb_is_reported_as_a_memory_limit(tmp_path, body):
    folder = submission(tmp_path, ex01_convolution=f"import numpy as np\n\ndef bomb():\n    {body}\n\n"
                        "def fine():\n    return 1\n")
    with Sandbox(folder, Limits(memory_mb=600, call_timeout_s=5)) as sandbox:
        with pytest.raises(MemoryExceeded, match=r"^memory limit exceeded \(600 MB\)") as raised:
            sandbox.call("ex01_convolution", "bomb")
        assert raised.value.reason == "memory limit"
        assert sandbox.call("ex01_convolution", "fine") == 1


def test_row10_a_flood_of_output_is_thrown_away_and_the_answer_still_counts(tmp_path):
    """Row 10: what a module prints (1.1 GB here) goes to /dev/null: no verdict reads it, no feedback shows it
    (it could show the hidden tests' inputs), and it costs the trusted side nothing."""
    folder = submission(tmp_path, ex05_parameters="""
        import sys
        def dense_params(n, units, use_bias=True):
            for _ in range(1000):
                sys.stdout.write("10 passed " * 100_000)
                sys.stderr.write("E" * 100_000)
            print("THE END")
            return n * units + units
        """)
    started = time.process_time()
    with Sandbox(folder, Limits(call_timeout_s=20)) as sandbox:
        assert sandbox.call("ex05_parameters", "dense_params", 784, 10) == 7850
        assert not hasattr(sandbox, "output")
    assert time.process_time() - started < 0.5  # the trusted side read none of it


def test_row11_big_files_hit_the_file_size_limit_and_nothing_lands_outside(tmp_path):
    folder = submission(tmp_path, ex01_convolution="""
        import os
        def write(name, megabytes):
            path = os.path.join(os.environ["HOME"], name) if name != "ex01_convolution.py" else name
            with open(path, "wb") as f:
                for _ in range(megabytes):
                    f.write(b"x" * (1 << 20))
            return path, os.path.getsize(path)
        """)
    name = f"convkit-sandbox-test-{os.getpid()}"
    with Sandbox(folder, Limits(file_size_mb=4, tmp_mb=8)) as sandbox:
        with pytest.raises(StudentException, match="File too large"):
            sandbox.call("ex01_convolution", "write", name, 100)
        home_file, size = sandbox.call("ex01_convolution", "write", f"{name}-small", 1)
        assert size == 1 << 20
        if "uid" in sandbox.isolation:  # A worker in "process" mode runs as the grader's own user.
            with pytest.raises(StudentException, match="(OSError|PermissionError)"):
                sandbox.call("ex01_convolution", "write", "ex01_convolution.py", 1)
        if "namespaces" in sandbox.isolation:
            for part in range(3):  # The private /tmp holds 8 MB: the third 3 MB file cannot fit.
                try:
                    sandbox.call("ex01_convolution", "write", f"{name}-{part}", 3)
                except StudentException as error:
                    assert "No space left" in str(error)
                    break
            else:
                pytest.fail("the private /tmp took 9 MB beyond its 8 MB size")
    assert not Path(home_file).exists() and not list(Path("/tmp").glob(f"{name}*"))
    assert sorted(p.name for p in folder.iterdir()) == ["ex01_convolution.py"]


@pytest.mark.parametrize("statement", [
    pytest.param("sys.exit(0)", id="sys.exit"),
    pytest.param("raise SystemExit", id="SystemExit"),
    pytest.param("os._exit(0)", id="row13-os._exit"),
])
def test_rows12_13_exiting_in_a_function_fails_and_a_fresh_worker_follows(tmp_path, statement):
    folder = submission(tmp_path, ex01_convolution=f"import os, sys\n\ndef leave():\n    {statement}\n\n"
                        "def fine():\n    return 'ok'\n")
    with Sandbox(folder, FAST) as sandbox:
        with pytest.raises(SubmissionExited, match=r"^submission exited \(sys.exit / os._exit\)$"):
            sandbox.call("ex01_convolution", "leave")
        assert sandbox.call("ex01_convolution", "fine") == "ok"


def test_row13_exiting_at_import_is_remembered(tmp_path):
    folder = submission(tmp_path, ex01_convolution="import os\nos._exit(0)\n")
    with Sandbox(folder, FAST) as sandbox:
        for _ in range(2):
            with pytest.raises(SubmissionExited, match="submission exited at import"):
                sandbox.call("ex01_convolution", "correlate2d", 1, 2)


def test_row14_atexit_tricks_have_no_effect_the_answer_is_judged_as_data(tmp_path, image_and_kernel):
    image, kernel = image_and_kernel
    folder = submission(tmp_path, ex01_convolution="""
        import atexit, os
        import numpy as np
        atexit.register(os._exit, 0)
        def correlate2d(image, kernel):
            return np.zeros((4, 4))
        """)
    with Sandbox(folder, FAST) as sandbox:
        out = sandbox.call("ex01_convolution", "correlate2d", image, kernel)
    with pytest.raises(CheckFailure, match="elements differ"):
        check_array(out, np.ones((4, 4)), "correlate2d")


@pytest.mark.parametrize("statement, type_name", [
    pytest.param("raise KeyboardInterrupt('stop')", "KeyboardInterrupt", id="KeyboardInterrupt"),
    pytest.param("raise Custom('boom')", "ex01_convolution.Custom", id="custom-BaseException"),
    # pytest is not on a numpy worker's disk (its file view holds numpy only), so pytest.exit's exception
    # class, a BaseException named Exit, is raised under its own name.
    pytest.param("raise type('Exit', (BaseException,), {})('done')", "Exit", id="pytest.exit"),
])
def test_row15_base_exceptions_fail_the_test_and_the_worker_goes_on(tmp_path, statement, type_name):
    folder = submission(tmp_path, ex01_convolution=f"""
class Custom(BaseException):
    pass

COUNT = [0]

def count():
    COUNT[0] += 1
    return COUNT[0]

def stop():
    {statement}
""")
    with Sandbox(folder, FAST) as sandbox:
        assert sandbox.call("ex01_convolution", "count") == 1
        with pytest.raises(StudentException) as raised:
            sandbox.call("ex01_convolution", "stop")
        assert type(raised.value) is StudentException
        assert type_name in str(raised.value)
        assert sandbox.call("ex01_convolution", "count") == 2


def test_row16_a_segfault_is_a_crash_and_a_fresh_worker_follows(tmp_path):
    folder = submission(tmp_path, ex01_convolution="import ctypes\n\ndef crash():\n    ctypes.string_at(0)\n\n"
                        "def fine():\n    return 7\n")
    with Sandbox(folder, FAST) as sandbox:
        with pytest.raises(Crashed, match=r"^crashed \(SIGSEGV\)$"):
            sandbox.call("ex01_convolution", "crash")
        assert sandbox.call("ex01_convolution", "fine") == 7


@pytest.mark.parametrize("body, type_name", [
    pytest.param("class Liar:\n    def __eq__(self, other):\n        return True\n\ndef answer():\n"
                 "    return Liar()\n", "ex01_convolution.Liar", id="row19-lying-eq"),
    pytest.param("class Sneaky(np.ndarray):\n    def __array_ufunc__(self, *a, **k):\n        return True\n\n"
                 "def answer():\n    return np.zeros((4, 4)).view(Sneaky)\n", "ex01_convolution.Sneaky",
                 id="row20-ndarray-subclass"),
    pytest.param("def answer():\n    return np.ma.masked_all((4, 4))\n", "numpy.ma.MaskedArray",
                 id="row20-masked-array"),
    pytest.param("class Shifty:\n    __class__ = property(lambda self: exit(0))\n\ndef answer():\n"
                 "    return Shifty()\n", "ex01_convolution.Shifty", id="hostile-__class__"),
    pytest.param("def answer():\n    return np.array([(1, None)], dtype=[('a', 'i8'), ('b', 'O')])[0]\n",
                 "numpy.void", id="unsendable-numpy-scalar"),
])
def test_rows19_20_objects_that_are_not_plain_arrays_fail_with_their_type_name(tmp_path, body, type_name):
    folder = submission(tmp_path, ex01_convolution="import numpy as np\n\n" + body)
    with Sandbox(folder, FAST) as sandbox:
        out = sandbox.call("ex01_convolution", "answer")
    assert type(out) is ForeignValue and out.foreign_type_name == type_name
    with pytest.raises(CheckFailure, match=f"expected numpy.ndarray, got {type_name}"):
        check_array(out, np.zeros((4, 4)), "correlate2d")


@pytest.mark.parametrize("expression, message", [
    pytest.param("[[0.0] * 4] * 4", "got list", id="list"),
    pytest.param("3.5", "got float", id="scalar"),
    pytest.param("np.float64(3.5)", "got numpy.float64", id="numpy-scalar"),
    pytest.param("np.empty((4, 4), dtype=object)", "dtype object", id="object-dtype"),
    pytest.param("np.zeros((4, 4)) + 1j", "dtype complex128", id="complex"),
    pytest.param("np.full((4, 4), np.nan)", "non-finite value nan", id="nan"),
    pytest.param("np.zeros((0, 4))", r"shape \(0, 4\)", id="empty"),
    pytest.param("np.zeros(4)", r"shape \(4,\), expected shape \(4, 4\)", id="broadcastable"),
])
def test_row21_odd_answers_come_back_as_data_for_the_checks_to_judge(tmp_path, expression, message):
    folder = submission(tmp_path, ex01_convolution=f"import numpy as np\n\ndef answer():\n    return {expression}\n")
    with Sandbox(folder, FAST) as sandbox:
        out = sandbox.call("ex01_convolution", "answer")
    assert type(out) is not ForeignValue
    with pytest.raises(CheckFailure, match=message):
        check_array(out, np.zeros((4, 4)), "correlate2d")


def test_row22_in_place_changes_to_inputs_are_reported_to_the_checks(tmp_path, image_and_kernel):
    image, kernel = image_and_kernel
    folder = submission(tmp_path, ex01_convolution="""
        def correlate2d(image, kernel):
            image *= 2
            kernel[0, 0] = 5
            return image
        """)
    before_image, before_kernel, untouched = image.copy(), kernel.copy(), np.arange(3.0)
    with Sandbox(folder, FAST) as sandbox:
        sandbox.call("ex01_convolution", "correlate2d", image, kernel=kernel)
        assert sandbox.call("ex01_convolution", "correlate2d", untouched, kernel=np.ones((1, 1))).shape == (3,)
    np.testing.assert_array_equal(image, before_image)
    np.testing.assert_array_equal(kernel, before_kernel)
    for before, after in ((before_image, image), (before_kernel, kernel)):
        with pytest.raises(CheckFailure, match="modified in place"):
            check_unchanged(before, after, "correlate2d")
    check_unchanged(np.arange(3.0), np.arange(3.0), "an array no call was given")


@needs_namespaces
def test_row23_hunting_for_hidden_tests_finds_nothing(tmp_path):
    repo = Path(__file__).resolve().parents[1]
    secrets = [str(repo), str(repo / "solutions"), str(repo / "autograder" / "hidden"), str(tmp_path), "/work"]
    folder = submission(tmp_path, ex01_convolution=f"""
        import glob, importlib, os
        def hunt():
            cmdlines = []
            pids = [p for p in os.listdir("/proc") if p.isdigit()] if os.path.isdir("/proc") else []
            for pid in pids:
                if pid.isdigit():
                    try:
                        cmdlines.append(open(f"/proc/{{pid}}/cmdline", "rb").read().decode(errors="replace"))
                    except OSError:
                        pass
            kit = []
            for name in ("solutions", "autograder", "exercises", "tests", "autograder.hidden"):
                try:
                    kit.append(importlib.import_module(name).__name__)
                except ImportError:
                    pass
            return {{"found": [path for path in {secrets!r} if os.path.exists(path)], "top": sorted(os.listdir("/")),
                    "submission": glob.glob("/submission/*"), "cmdlines": cmdlines, "kit": kit,
                    "env": sorted(os.environ), "pids": sorted(int(p) for p in pids)}}
        """)
    with Sandbox(folder, FAST) as sandbox:
        seen = sandbox.call("ex01_convolution", "hunt")
    assert seen["found"] == [] and seen["kit"] == []
    assert seen["submission"] == ["/submission/ex01_convolution.py"]
    assert set(seen["top"]) <= {"usr", "bin", "lib", "lib64", "sbin", "lib32", "libx32", "etc", "root", "proc",
                                "dev", "tmp", "submission"}
    grader = Path("/proc/self/cmdline").read_bytes().decode(errors="replace")
    # A numpy worker's box has no /proc at all; were it there, it would show bwrap's init, the zygote, the worker.
    assert grader not in seen["cmdlines"] and len(seen["pids"]) <= 3
    assert set(seen["env"]) <= {"PATH", "HOME", "TMPDIR", "LANG", "PWD", "PYTHONHASHSEED", "MPLBACKEND",
                                "PYTHONDONTWRITEBYTECODE", "CUDA_VISIBLE_DEVICES", "TF_NUM_INTEROP_THREADS",
                                "TF_NUM_INTRAOP_THREADS", "TF_CPP_MIN_LOG_LEVEL", "OMP_NUM_THREADS",
                                "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "HDF5_USE_FILE_LOCKING"}


@needs_namespaces
def test_row23_a_kit_installed_beside_numpy_is_covered_inside_the_sandbox(tmp_path, monkeypatch):
    site = tmp_path / "site-packages"
    (site / "solutions").mkdir(parents=True)
    (site / "solutions" / "__init__.py").write_text("ANSWERS = 42\n")
    site.chmod(0o755)
    real_roots = isolation.python_roots()
    monkeypatch.setattr(isolation, "python_roots", lambda: [*real_roots, str(site)])
    monkeypatch.setattr("sys.path", [*__import__("sys").path, str(site)])
    folder = submission(tmp_path, ex01_convolution="""
        import os, sys
        def look():
            return [p for p in sys.path if p.endswith("site-packages")], os.path.exists(sys.path[-1] + "/solutions")
        """)
    with Sandbox(folder, FAST) as sandbox:
        paths, present = sandbox.call("ex01_convolution", "look")
    assert str(site) in paths and present is False


def test_row24_importing_the_solutions_is_an_import_error(tmp_path):
    folder = submission(tmp_path, ex01_convolution="from solutions.ex01_convolution import correlate2d\n")
    with Sandbox(folder, FAST) as sandbox, pytest.raises(ImportFailed) as raised:
        sandbox.call("ex01_convolution", "correlate2d", 1, 2)
    assert str(raised.value) == ("import error: ModuleNotFoundError: No module named 'solutions.ex01_convolution' "
                                 "(line 1)") or "No module named 'solutions'" in str(raised.value)


@needs_namespaces
def test_row25_network_access_fails_fast(tmp_path):
    folder = submission(tmp_path, ex01_convolution="""
        import socket
        def fetch():
            return socket.create_connection(("93.184.215.14", 80), timeout=30).recv(10)
        """)
    with Sandbox(folder, Limits(call_timeout_s=10)) as sandbox:
        started = time.monotonic()
        with pytest.raises(StudentException, match="OSError.*(unreachable|Network)"):
            sandbox.call("ex01_convolution", "fetch")
        assert time.monotonic() - started < 2


@needs_uid
def test_row26_writes_outside_tmp_fail_and_a_daemon_left_behind_is_killed(tmp_path):
    (tmp_path / "grades.csv").write_text("student,total\n")
    (tmp_path / "grades.csv").chmod(0o666 if "namespaces" in LAYERS else 0o644)
    folder = submission(tmp_path, ex01_convolution=f"""
        import os, time
        def forge():
            failures = 0
            for path in ("{tmp_path}/grades.csv", "/submission/results.json", "results.json"):
                try:
                    open(path, "w").write("student,total\\nme,100\\n")
                except OSError:
                    failures += 1
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    while True:
                        time.sleep(0.05)
                os._exit(0)
            return failures, os.getuid()
        """)
    with Sandbox(folder, FAST) as sandbox:
        failures, uid = sandbox.call("ex01_convolution", "forge")
        assert failures == 3 and uid_processes(uid)
    assert uid_processes(uid) == []
    assert (tmp_path / "grades.csv").read_text() == "student,total\n"


@needs_uid
@pytest.mark.parametrize("statement", ["os.kill(os.getppid(), 9)", "os.kill(-1, 9)"])
def test_row28_signalling_the_grader_has_no_effect(tmp_path, statement):
    folder = submission(tmp_path, ex01_convolution=f"import os\n\ndef attack():\n    {statement}\n    return 1\n\n"
                        "def fine():\n    return 2\n")
    with Sandbox(folder, FAST) as sandbox:
        try:
            sandbox.call("ex01_convolution", "attack")
        except (SubmissionError, StudentException):
            pass
        assert sandbox.call("ex01_convolution", "fine") == 2


@pytest.mark.parametrize("source", [
    pytest.param("from scipy.signal import correlate2d\n", id="at-import"),
    pytest.param("import importlib\n\ndef correlate2d(image, kernel):\n"
                 "    return importlib.import_module('scipy.signal').correlate2d(image, kernel, 'valid')\n",
                 id="inside-a-function"),
])
def test_row30_forbidden_imports_are_refused_in_the_numpy_exercises(tmp_path, source):
    folder = submission(tmp_path, ex01_convolution=source)
    with Sandbox(folder, FAST) as sandbox, pytest.raises(Forbidden) as raised:
        sandbox.call("ex01_convolution", "correlate2d", np.ones((3, 3)), np.ones((2, 2)))
    assert str(raised.value) == "forbidden API: scipy.signal is not allowed in ex01_convolution"
    assert raised.value.reason == "forbidden API"


HOOK_REMOVED = """
import importlib
import sys

sys.meta_path[:] = [finder for finder in sys.meta_path if type(finder).__name__ != "PolicyFinder"]


def correlate2d(image, kernel):
    return getattr(importlib.import_module("scipy." + "sig" + "nal"), "correlate2d")(image, kernel, "valid")
"""


def test_row30_a_module_that_removes_the_import_hook_still_finds_no_forbidden_package(tmp_path):
    if "namespaces" not in isolation.available_layers():
        pytest.skip("leaving packages out of the worker's file view needs bubblewrap")
    folder = submission(tmp_path, ex01_convolution=HOOK_REMOVED)
    # The allowlisted file view holds no scipy at all (not even an emptied scipy.signal).
    with Sandbox(folder, FAST) as sandbox, pytest.raises(StudentException, match="No module named 'scipy'"):
        sandbox.call("ex01_convolution", "correlate2d", np.ones((3, 3)), np.ones((2, 2)))


def test_an_exception_whose_message_cannot_be_printed_is_still_reported(tmp_path):
    folder = submission(tmp_path, ex01_convolution="""
        class Loud(ValueError):
            def __str__(self):
                raise SystemExit(0)
        def correlate2d(image, kernel):
            raise Loud()
        def fine():
            return 3
        """)
    with Sandbox(folder, FAST) as sandbox:
        with pytest.raises(StudentValueError, match=r"^ex01_convolution.Loud: <message not printable>$"):
            sandbox.call("ex01_convolution", "correlate2d", 1, 2)
        assert sandbox.call("ex01_convolution", "fine") == 3


def test_a_student_value_error_is_a_value_error_for_the_checks(tmp_path):
    folder = submission(tmp_path, ex02_padding="""
        def zero_pad(image, pad):
            raise ValueError("pad must be non-negative, got -1")
        def output_size(n, k):
            return n - k
        """)
    with Sandbox(folder, FAST) as sandbox:
        student = sandbox.module("ex02_padding")
        check_raises_value_error(lambda: student.zero_pad(np.ones((2, 2)), -1), "zero_pad", rule="pad < 0")
        with pytest.raises(StudentValueError, match="ValueError: pad must be non-negative"):
            student.zero_pad(np.ones((2, 2)), -1)
        with pytest.raises(CheckFailure, match="returned -1"):
            check_raises_value_error(lambda: student.output_size(2, 3), "output_size", rule="k > n")


def test_an_answer_over_the_size_cap_is_refused_without_reading_it(tmp_path):
    folder = submission(tmp_path, ex01_convolution="import numpy as np\n\ndef huge():\n"
                        "    return np.zeros(2_000_000)\n\ndef small():\n    return np.zeros(3)\n")
    with Sandbox(folder, Limits(answer_mb=1)) as sandbox:
        with pytest.raises(AnswerTooLarge, match="over 1 MB"):
            sandbox.call("ex01_convolution", "huge")
        assert sandbox.call("ex01_convolution", "small").tolist() == [0, 0, 0]


@needs_uid
def test_concurrent_workers_run_as_distinct_uids(tmp_path):
    folder = submission(tmp_path, ex01_convolution="import os\n\ndef uid():\n    return os.getuid()\n")
    with Sandbox(folder, FAST) as first, Sandbox(folder, FAST) as second:
        uids = {first.call("ex01_convolution", "uid"), second.call("ex01_convolution", "uid")}
    assert len(uids) == 2 and all(isolation.UID_BASE <= uid < isolation.UID_BASE + isolation.UID_COUNT
                                  for uid in uids)


LENET_LIKE = """
    import keras

    def build_lenet5(input_shape=(4, 4, 1), num_classes=3):
        return keras.Sequential([keras.Input(input_shape), keras.layers.Flatten(),
                                 keras.layers.Dense(num_classes, activation="softmax")])

    def train_lenet5(model, x_train, y_train):
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model.fit(x_train, y_train, epochs=1, batch_size=8, verbose=0)
    """


def test_keras_optional_packages_wait_in_a_keras_worker_until_the_student_uses_them(tmp_path):
    source = """
    import sys

    import keras

    def states():
        before = [type(sys.modules.get(name)).__name__ for name in ("matplotlib.pyplot", "IPython")]
        import matplotlib.pyplot as plt

        figure = plt.figure()
        return [*before, type(sys.modules["matplotlib.pyplot"]).__name__, type(figure).__name__]
    """
    folder = submission(tmp_path, ex06_lenet5=source)
    with Sandbox(folder, FAST, keras_limits=Limits.for_keras(call_timeout_s=60)) as sandbox:
        pyplot, ipython, used, figure = sandbox.call("ex06_lenet5", "states")
    assert pyplot == "_LazyModule" and ipython in ("_LazyModule", "NoneType")  # NoneType: not installed here.
    assert [used, figure] == ["module", "Figure"]


@pytest.mark.slow
def test_keras_model_json_and_predictions_come_back_as_data(tmp_path):
    folder = submission(tmp_path, ex06_lenet5=LENET_LIKE)
    rng = np.random.default_rng(0)
    x = rng.random((16, 4, 4, 1), dtype=np.float32)
    with Sandbox(folder, FAST, keras_limits=Limits.for_keras(call_timeout_s=60)) as sandbox:
        config = json.loads(sandbox.keras_model_json(num_classes=5))
        probabilities = sandbox.keras_predict(x, weights=None, train=(x, rng.integers(0, 3, 16)))
        rebuilt = sandbox.keras_predict(x, weights=None, train=(x, rng.integers(0, 3, 16)),
                                        model_json=sandbox.keras_model_json())
    assert config["class_name"] == "Sequential"
    assert config["config"]["layers"][-1]["config"]["units"] == 5
    for answer in (probabilities, rebuilt):
        assert type(answer) is np.ndarray and answer.shape == (16, 3)
        np.testing.assert_allclose(answer.sum(axis=1), 1, rtol=1e-5)


@pytest.mark.slow
def test_keras_predictions_with_submitted_weights_match_the_same_model_run_here(tmp_path):
    keras = pytest.importorskip("keras")
    folder = submission(tmp_path, ex06_lenet5=LENET_LIKE)
    namespace: dict = {}
    exec(textwrap.dedent(LENET_LIKE), namespace)  # The test's own copy of the module, as an oracle.
    model = namespace["build_lenet5"]()
    rng = np.random.default_rng(1)
    model.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in model.get_weights()])
    model.save_weights(folder / "lenet5.weights.h5")
    (folder / "lenet5.weights.h5").chmod(0o644)
    x = rng.random((8, 4, 4, 1), dtype=np.float32)
    with Sandbox(folder, FAST) as sandbox:
        probabilities = sandbox.keras_predict(x)
        with pytest.raises(NotSubmitted, match="other.weights.h5"):
            sandbox.keras_predict(x, weights="other.weights.h5")
    np.testing.assert_allclose(probabilities, keras.ops.convert_to_numpy(model(x)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", [[0, 10**20], [1] * 40, [-1]], ids=["huge-dimension", "too-many-axes", "negative"])
def test_a_forged_object_array_shape_is_a_wire_error_not_a_grader_crash(shape):
    from autograder.sandbox import inside as sandbox_worker

    with pytest.raises(sandbox_worker.WireError, match="bad object array shape"):
        sandbox_worker.Codec([]).decode({"t": "objarray", "shape": shape})


NPY_CASES = {"float64": np.ones((6, 6)), "int64-1d": np.arange(3), "0d": np.asarray(np.float32(2.5)),
             "empty": np.zeros((0, 3), dtype=np.int8), "fortran": np.ones((2, 3), order="F"),
             "strided": np.arange(12).reshape(3, 4)[:, ::2], "str": np.array(["ab", "c"]),
             "complex": np.array([1 + 2j]), "bool": np.array([True]), "big-endian": np.zeros((2, 2, 2), dtype=">i4"),
             "datetime": np.asarray(np.datetime64("2020-01-01")), "bytes": np.array([b"xy"]),
             "void": np.zeros(2, dtype="V3"), "structured": np.zeros(3, dtype=[("a", "<i4"), ("b", "<f8")]),
             "ten-axes": np.zeros((1,) * 10)}


@pytest.mark.parametrize("array", NPY_CASES.values(), ids=NPY_CASES.keys())
def test_npy_blobs_are_numpys_own_both_ways(array):
    from autograder.sandbox import inside as sandbox_worker

    saved = io.BytesIO()
    np.save(saved, array, allow_pickle=False)
    assert sandbox_worker.npy_bytes(array) == saved.getvalue()
    for loaded in (sandbox_worker.load_npy(saved.getvalue()), np.load(io.BytesIO(sandbox_worker.npy_bytes(array)))):
        assert loaded.dtype == array.dtype and loaded.shape == array.shape and np.array_equal(loaded, array)
        assert loaded.flags.f_contiguous == array.flags.f_contiguous


@pytest.mark.parametrize("header, data", [
    (b"{'descr': '<f8', 'fortran_order': False, 'shape': (1000,), }", b"\0" * 8),
    (b"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", b"\0" * 24),
    (b"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", b"\0" * 8),
    (b"{'descr': '<f8', 'fortran_order': False, 'shape': (10000000000, 10000000000), }", b"\0" * 8),
    (b"{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }", b"\0" * 8),
    (b"{'descr': '<f8', 'fortran_order': False, 'shape': (__import__('os'),), }", b""),
], ids=["short-data", "long-data", "object", "huge", "negative", "code"])
def test_a_forged_npy_header_is_a_wire_error(header, data):
    from autograder.sandbox import inside as sandbox_worker

    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    blob = sandbox_worker.NPY_MAGIC + len(header).to_bytes(2, "little") + header + data
    with pytest.raises(sandbox_worker.WireError):
        sandbox_worker.load_npy(blob)


# A model whose to_json() describes another architecture than the one it runs: a Dense layer of 4 units
# hidden in front of the Dense(num_classes) that its JSON shows.
LYING_ABOUT_ITS_LAYERS = LENET_LIKE + """
    honest_json = build_lenet5().to_json()

    class Liar(keras.Sequential):
        def to_json(self, **kwargs):
            return honest_json

    _honest_build = build_lenet5

    def build_lenet5(input_shape=(4, 4, 1), num_classes=3):
        return Liar([keras.Input(input_shape), keras.layers.Flatten(), keras.layers.Dense(4),
                     keras.layers.Dense(num_classes, activation="softmax")])
    """


def test_predictions_come_from_the_architecture_the_json_describes_rebuilt_apart_from_the_student(tmp_path):
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(2)
    x = rng.random((8, 4, 4, 1), dtype=np.float32)
    namespace: dict = {}
    exec(textwrap.dedent(LYING_ABOUT_ITS_LAYERS), namespace)  # The test's own copy, to save the weights.
    honest, liar = namespace["_honest_build"](), namespace["build_lenet5"]()
    honest.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in honest.get_weights()])
    for name, source, model in (("honest", LENET_LIKE, honest), ("liar", LYING_ABOUT_ITS_LAYERS, liar)):
        (tmp_path / name).mkdir()
        folder = submission(tmp_path / name, ex06_lenet5=source)
        model.save_weights(folder / "lenet5.weights.h5")
        (folder / "lenet5.weights.h5").chmod(0o644)
    with Sandbox(tmp_path / "honest" / "submission", FAST) as sandbox:
        model_json = sandbox.keras_model_json()
        probabilities = sandbox.keras_predict(x, model_json=model_json)
    np.testing.assert_allclose(probabilities, keras.ops.convert_to_numpy(honest(x)), rtol=1e-5, atol=1e-6)
    with Sandbox(tmp_path / "liar" / "submission", FAST) as sandbox:
        assert sandbox.keras_model_json() == model_json, "the liar's JSON is the honest one"
        assert sandbox.keras_predict(x).shape == (8, 3), "its own model runs with its own weights"
        with pytest.raises(StudentException, match="(?i)layer|weight|shape"):
            sandbox.keras_predict(x, model_json=model_json)


SITE_SEARCH = """
import glob, importlib, os, sys

def _candidates():
    patterns = ["/usr/lib/python3*/*-packages", "/usr/local/lib/python3*/*-packages", "/usr/lib/python3*/*/*-packages",
                "/root/.pyenv/versions/*/lib/python*/site-packages", "/opt/*/lib/python*/site-packages",
                "/usr/local/lib/python3*/site-packages", sys.prefix + "/lib/python*/site-packages",
                sys.base_prefix + "/lib/python*/site-packages"]
    found = [p for p in sys.path if p]
    for pattern in patterns:
        found += glob.glob(pattern)
    return [p for p in found if os.path.isfile(os.path.join(p, "scipy", "__init__.py"))]

def scipy_folders():
    return _candidates()

def correlate2d(image, kernel):
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PolicyFinder"]
    for folder in _candidates():
        sys.path.insert(0, folder)
        try:
            module = importlib.import_module("scipy." + "sig" + "nal")
            return module.correlate2d(image, kernel, "valid")
        except ImportError:
            continue
    raise RuntimeError("no scipy found")
"""


@needs_namespaces
def test_row36_no_forbidden_package_is_on_a_numpy_workers_disk(tmp_path):
    """Row 36: the worker's file view is an allowlist; scipy is in no site folder it can see, so a module
    that searches every site-packages and dist-packages folder and imports from there finds nothing."""
    import scipy  # The trusted side has scipy installed: the test is meaningful only then.
    assert os.path.isdir(os.path.dirname(scipy.__file__))
    folder = submission(tmp_path, ex01_convolution=SITE_SEARCH)
    with Sandbox(folder, FAST) as sandbox:
        assert sandbox.call("ex01_convolution", "scipy_folders") == []
        with pytest.raises(StudentException, match="no scipy found"):
            sandbox.call("ex01_convolution", "correlate2d", np.ones((3, 3)), np.ones((2, 2)))
        assert sandbox.call("ex01_convolution", "scipy_folders") == []


@needs_namespaces
def test_row36_the_allowlist_view_empties_every_site_folder_but_numpy():
    args = isolation.bwrap_command(Path("/tmp"), ["python"], uid=None, tmp_mb=1, allowed_packages=("numpy",))
    tmpfs = {args[i + 1] for i, a in enumerate(args) if a == "--tmpfs"}
    import numpy
    site = os.path.dirname(os.path.dirname(numpy.__file__))
    assert site in tmpfs
    assert any(f"/usr/lib/python3{suffix}" in t for t in tmpfs for suffix in ("/", ".")) or not [
        p for p in isolation.site_folders() if p.startswith("/usr/")]
    binds = [args[i + 1] for i, a in enumerate(args) if a == "--ro-bind"]
    assert os.path.join(site, "numpy") in binds and os.path.join(site, "scipy") not in binds


POOL_STEERING = """
import numpy as np

def average_pool2d(x, size=2, stride=2):
    out = x[::stride, ::stride].astype(np.float64)
    x[...] = 7          # Overwrite the caller's feature map ...
    return out

def max_pool2d(x, size=2, stride=2):
    return np.full((x.shape[0] // stride, x.shape[1] // stride), 7, dtype=x.dtype)   # ... and answer 7.
"""


def test_row38_writing_into_an_input_does_not_steer_a_later_expected_answer(tmp_path):
    """Row 38: a constant max_pool2d after an average_pool2d that overwrote the uint8 map gains nothing: the
    caller's map keeps its values, the expected answer made from it is the true one, and the write is caught."""
    folder = submission(tmp_path, ex04_pooling=POOL_STEERING)
    fmap = np.random.default_rng(3).integers(0, 255, size=(6, 6), dtype=np.uint8)
    original = fmap.copy()
    with Sandbox(folder, FAST) as sandbox:
        sandbox.call("ex04_pooling", "average_pool2d", fmap)
        got = sandbox.call("ex04_pooling", "max_pool2d", fmap)
    np.testing.assert_array_equal(fmap, original)
    expected = fmap.reshape(3, 2, 3, 2).max(axis=(1, 3))
    with pytest.raises(CheckFailure):
        check_array(got, expected, "max_pool2d")
    with pytest.raises(CheckFailure, match="modified in place"):
        check_unchanged(original, fmap, "average_pool2d: the x argument")


SHM_HOG = """
import os

def fill(megabytes):
    written = 0
    chunk = b"x" * (1 << 20)
    try:
        for index in range(megabytes):
            with open(f"/dev/shm/hog{index}", "wb") as handle:   # Many files: the per-file cap is not the limit.
                handle.write(chunk)
            written += 1
    except OSError:
        pass
    return written
"""


@needs_namespaces
def test_row39_posix_shared_memory_is_capped_and_private(tmp_path):
    """Row 39: /dev/shm inside the box is its own tmpfs of `tmp_mb`: a module cannot park more there."""
    limits = Limits(call_timeout_s=10, import_timeout_s=5, tmp_mb=8)
    folder = submission(tmp_path, ex01_convolution=SHM_HOG)
    with Sandbox(folder, limits) as sandbox:
        assert sandbox.call("ex01_convolution", "fill", 40) <= 8
    assert not any(name.startswith("hog") for name in os.listdir("/dev/shm"))


OUTSIDE_AS = {
    # Pieces under the file-size limit, each unmapped once filled: the memory stays, the address space is freed.
    "memfd": """
import mmap, os
KEPT = []
def hold(mb):
    for _ in range(mb // 8):
        fd = os.memfd_create("hold")
        os.ftruncate(fd, 8 << 20)
        with mmap.mmap(fd, 8 << 20) as area:
            area.write(b"x" * (8 << 20))
        KEPT.append(fd)
    return mb
""",
    "sysv-shm": """
import ctypes
def hold(mb):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    for _ in range(mb // 8):
        segment = libc.shmget(0, ctypes.c_size_t(8 << 20), 0o1600)
        address = libc.shmat(segment, None, 0)
        if segment < 0 or address in (None, ctypes.c_void_p(-1).value):
            raise OSError(ctypes.get_errno(), "shmget/shmat")
        ctypes.memset(address, 1, 8 << 20)
        libc.shmdt(ctypes.c_void_p(address))  # Detached but not removed: the segment keeps its memory.
    return mb
""",
}
needs_cgroup = pytest.mark.skipif("cgroup" not in LAYERS, reason="needs a cgroup tree the grader may write")


def without_seccomp(monkeypatch) -> None:
    """Simulate a machine whose architecture the worker's seccomp filter has no numbers for."""
    monkeypatch.setattr(isolation, "seccomp_usable", lambda: False)
    unfiltered = process.WORKER_SOURCE.replace("filtered = install_seccomp(", "filtered = False and install_seccomp(")
    monkeypatch.setattr(process, "WORKER_SOURCE", unfiltered)


@needs_cgroup
@pytest.mark.parametrize("filtered", [True, False], ids=["seccomp", "no-seccomp"])
@pytest.mark.parametrize("kind", sorted(OUTSIDE_AS))
def test_row39_memory_outside_the_address_space_limit_counts_in_the_workers_cgroup(tmp_path, monkeypatch, kind,
                                                                                   filtered):
    """Row 39: RLIMIT_AS does not count memfd or SysV shared memory; the worker's cgroup does, so holding
    1.5 GB under a 256 MB limit ends in a memory-limit verdict, not a host short of memory. (With the
    seccomp layer a numpy worker may make neither: shmget and memfd_create fail with ENOSYS.)"""
    if not filtered:
        without_seccomp(monkeypatch)
    limits = Limits(call_timeout_s=20, import_timeout_s=10, memory_mb=256)
    folder = submission(tmp_path, ex01_convolution=OUTSIDE_AS[kind])
    refused = filtered and "seccomp" in isolation.available_layers()
    with Sandbox(folder, limits) as sandbox, pytest.raises(StudentException if refused else MemoryExceeded,
                                                            match="Errno 38" if refused else None):
        sandbox.call("ex01_convolution", "hold", 1536)


@needs_cgroup
def test_the_cgroup_layer_kills_what_a_worker_started_even_outside_its_session(tmp_path):
    """Every process a worker starts is in its cgroup: closing the sandbox leaves none of them running."""
    folder = submission(tmp_path, ex01_convolution="""
        import os, time
        def spawn():
            pid = os.fork()
            if pid == 0:
                os.setsid()
                time.sleep(600)
                os._exit(0)
            return pid
        """)
    sandbox = Sandbox(folder, FAST)
    sandbox.call("ex01_convolution", "spawn")
    group = sandbox._worker.cgroup
    assert len(group.pids()) >= 3  # bubblewrap or setpriv's python, the zygote, its child, the stray ...
    sandbox.close()
    assert group.pids() == set() and not any(path.exists() for path in group.paths)


def test_row37_pictures_of_wrong_answers_are_drawn_only_after_the_worker_is_gone(tmp_path, monkeypatch):
    """Row 37: drawing a picture takes time only after a failure; were it drawn between calls, the pause
    before the next call would tell the module its verdict. Every picture must be drawn with no worker alive."""
    from autograder import sandbox as sandbox_module
    from autograder.grading import feedback
    from autograder.grading import student as grading

    alive = []
    real_start, real_draw = sandbox_module.Sandbox._start_worker, feedback.answer_figure
    drawn_while_alive = []

    def start(self, *args, **kwargs):
        worker = real_start(self, *args, **kwargs)
        alive.append(worker)
        return worker

    def draw(*args, **kwargs):
        drawn_while_alive.append(any(w.proc.poll() is None for w in alive))
        return real_draw(*args, **kwargs)

    monkeypatch.setattr(sandbox_module.Sandbox, "_start_worker", start)
    monkeypatch.setattr(feedback, "answer_figure", draw)
    folder = submission(tmp_path, ex01_convolution="""
        import numpy as np
        def correlate2d(image, kernel):
            return np.zeros((image.shape[0] - kernel.shape[0] + 1, image.shape[1] - kernel.shape[1] + 1))
        def convolve2d(image, kernel):
            return correlate2d(image, kernel)
        """)
    out = tmp_path / "out" / "student"
    out.mkdir(parents=True)
    spec = grading.GradingSpec(student="s", submission_dir=str(folder), out_dir=str(out), timeout_s=2.0,
                               files=["ex01_convolution.py"])
    grading.grade(spec)
    assert drawn_while_alive and not any(drawn_while_alive)



STATEFUL = """
import os, time

CALLS = 0

def probe(earlier_daemon):
    global CALLS
    CALLS += 1
    home = os.environ["HOME"]
    files = sorted(name for name in os.listdir(home) if name.startswith("mark"))
    shm = sorted(name for name in os.listdir("/dev/shm") if name.startswith("convkit-mark"))
    open(os.path.join(home, f"mark{CALLS}"), "w").close()
    try:
        open(f"/dev/shm/convkit-mark-{os.getpid()}", "w").close()
    except OSError:
        pass
    try:
        os.kill(earlier_daemon, 0)
        daemon_alive = earlier_daemon > 0
    except OSError:
        daemon_alive = False
    daemon = os.fork()
    if daemon == 0:
        time.sleep(600)
        os._exit(0)
    return {"calls": CALLS, "files": files, "shm": shm, "daemon": daemon, "daemon_alive": daemon_alive}
"""


def test_row37_each_test_starts_in_a_fresh_worker_that_finds_nothing_of_the_tests_before(tmp_path):
    """Row 37, part 2: what a module keeps (globals, files in its tmp dir, /dev/shm under bubblewrap, a daemon)
    reaches the later calls of one test, and nothing of it reaches the next test: `fresh()` gives it a new
    process, an empty tmp dir, and kills what the last one left running."""
    folder = submission(tmp_path, ex01_convolution=STATEFUL)
    with Sandbox(folder, FAST) as sandbox:
        first = sandbox.call("ex01_convolution", "probe", 0)
        same_test = sandbox.call("ex01_convolution", "probe", first["daemon"])
        assert same_test["calls"] == 2 and same_test["files"] == ["mark1"] and same_test["daemon_alive"]
        sandbox.fresh()
        next_test = sandbox.call("ex01_convolution", "probe", same_test["daemon"])
    assert next_test["calls"] == 1 and next_test["files"] == [] and not next_test["daemon_alive"]
    if "namespaces" in LAYERS:  # Without bubblewrap /dev/shm is the machine's own, shared and not emptied.
        assert next_test["shm"] == []



KERNEL_MEMORY = """
import ctypes, ctypes.util, os

libc = ctypes.CDLL(None, use_errno=True)
librt = ctypes.CDLL(ctypes.util.find_library("rt") or "librt.so.1", use_errno=True)
librt.mq_open.restype = ctypes.c_int
libc.shmat.restype = ctypes.c_void_p
KEY = 0x636b6974  # the same key in every test: a later test finds what an earlier one left

def leave(tag):
    # System V shared memory, a semaphore set and a message queue under a fixed key, and a POSIX queue.
    segment = libc.shmget(KEY, 4096, 0o1600)  # IPC_CREAT | 0600
    if segment >= 0:
        address = libc.shmat(segment, None, 0)
        ctypes.memmove(address, tag.encode() + b"\\0", len(tag) + 1)
        libc.shmdt(ctypes.c_void_p(address))
    semaphores = libc.semget(KEY, 1, 0o1600)
    queue = libc.msgget(KEY, 0o1600)
    posix = librt.mq_open(b"/convkit-mark", os.O_CREAT | os.O_RDWR, 0o600, None)
    return {"shm": segment >= 0, "sem": semaphores >= 0, "msg": queue >= 0, "mq": posix >= 0}

def find():
    found = []
    segment = libc.shmget(KEY, 0, 0)
    if segment >= 0:
        address = libc.shmat(segment, None, 0o10000)  # SHM_RDONLY
        found.append("shm:" + ctypes.string_at(address).decode())
    if libc.semget(KEY, 0, 0) >= 0:
        found.append("sem")
    if libc.msgget(KEY, 0) >= 0:
        found.append("msg")
    if librt.mq_open(b"/convkit-mark", os.O_RDONLY, 0, None) >= 0:
        found.append("mq")
    return found
"""


@pytest.mark.skipif(not ({"uid", "namespaces"} & set(LAYERS)), reason="needs a sandbox uid or bubblewrap")
@pytest.mark.parametrize("filtered", [True, False], ids=["seccomp", "no-seccomp"])
def test_row51_kernel_objects_a_test_left_are_gone_in_the_next_test(tmp_path, monkeypatch, filtered):
    """Row 51: System V shared memory, semaphores and message queues, and POSIX message queues, outlive the
    process that made them: a module could leave its answers (or its clock) in them for the next test. The
    zygote removes them between two children. With the seccomp layer they cannot be made at all; without it
    (an architecture the filter has no numbers for, simulated here) the zygote's clean-up is what counts."""
    if not filtered:
        without_seccomp(monkeypatch)
    folder = submission(tmp_path, ex01_convolution=KERNEL_MEMORY)
    refused = "seccomp" in isolation.available_layers()
    with Sandbox(folder, FAST) as sandbox:
        made = sandbox.call("ex01_convolution", "leave", "first test")
        assert made == {"shm": not refused, "sem": not refused, "msg": not refused, "mq": False}
        # POSIX message queues are refused outright (RLIMIT_MSGQUEUE is 0).
        same_test = sandbox.call("ex01_convolution", "find")[:1]
        assert same_test == ([] if refused else ["shm:first test"])  # same test: still there
        sandbox.fresh()
        assert sandbox.call("ex01_convolution", "find") == []


TRACES = """
import os, time

def leave(seconds):
    # A message for the next test: the tmp dir's times set now, then CPU time and page faults that a parent
    # reaping this process would add to its own record in /proc.
    for folder in (os.environ["HOME"], "/dev/shm"):
        try:
            os.utime(folder)
        except OSError:
            pass
    block = bytearray(64 << 20)
    block[::4096] = b"x" * len(block[::4096])
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return os.getppid()

def read(parent):
    try:
        fields = open(f"/proc/{parent}/stat").read().rsplit(")", 1)[1].split()
        accounts = [int(fields[8]), int(fields[13]), int(fields[14])]  # faults and CPU of reaped children
    except OSError:
        accounts = None
    home = os.stat(os.environ["HOME"])
    return {"accounts": accounts, "tmp_age_s": time.time() - home.st_mtime}
"""


def test_row52_a_test_finds_no_trace_of_the_one_before_in_its_zygote_or_its_tmp_dir(tmp_path):
    """Row 52: a worker's parent adds up the CPU time and page faults of every child it reaps, in a record any
    worker can read, and a tmp dir keeps the times a worker set: either would carry a message from one test to
    the next. The kernel reaps the workers, and the zygote sets the tmp dir's times when it empties it."""
    folder = submission(tmp_path, ex01_convolution=TRACES)
    with Sandbox(folder, FAST) as sandbox:
        readings = []
        for seconds in (0.0, 0.5):
            sandbox.fresh()
            parent = sandbox.call("ex01_convolution", "leave", seconds)
            sandbox.fresh()
            readings.append(sandbox.call("ex01_convolution", "read", parent))
    assert readings[0]["accounts"] == readings[1]["accounts"]  # the same (or none), whatever the test before did
    assert readings[1]["tmp_age_s"] < 0.4  # set by the zygote after the 0.5 s test, not by the module before it

ADAPTIVE = """
import os
import numpy as np

CALLS = 0

def _guess():
    # How many answers this module remembers giving (in memory or in a file): the first is a wrong guess
    # (a flipped kernel), and a module that remembers it then answers right from the second call on.
    global CALLS
    path = os.path.join(os.environ.get("HOME", "/tmp"), "answers-given")
    try:
        remembered = int(open(path).read())
    except (OSError, ValueError):
        remembered = 0
    given = max(CALLS, remembered)
    CALLS = given + 1
    with open(path, "w") as handle:
        handle.write(str(given + 1))
    return given

def correlate2d(image, kernel):
    image, kernel = np.asarray(image, dtype=np.float64), np.asarray(kernel, dtype=np.float64)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("image and kernel must be 2-D, the kernel no larger than the image")
    if _guess() == 0:
        kernel = kernel[::-1, ::-1]
    kh, kw = kernel.shape
    out = np.empty((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = (image[i:i + kh, j:j + kw] * kernel).sum()
    return out

def convolve2d(image, kernel):
    return correlate2d(image, np.asarray(kernel)[::-1, ::-1])
"""


def _ex01_score(tmp_path: Path, name: str) -> float:
    from autograder.grading import student as grading

    folder = submission(tmp_path / name, ex01_convolution=ADAPTIVE)
    out = tmp_path / name / "out"
    out.mkdir()
    spec = grading.GradingSpec(student=name, submission_dir=str(folder), out_dir=str(out), timeout_s=5.0,
                               lenet="skip", files=["ex01_convolution.py"])
    result = grading.grade(spec)
    return sum(t.score for t in result.tests if t.exercise == "ex01_convolution")


def test_row37_a_module_that_adapts_to_what_it_remembers_gains_nothing_across_tests(tmp_path, monkeypatch):
    """Row 37, part 2, graded: a module that answers wrong once and right once it remembers having answered
    scores as if it remembered nothing. Planted: with the fresh worker per test switched off, the same
    module carries its memory from test to test and scores much more, so this test can fail."""
    (tmp_path / "fresh").mkdir()
    (tmp_path / "kept").mkdir()
    fresh = _ex01_score(tmp_path, "fresh")
    monkeypatch.setattr(_Sandbox, "fresh", lambda self: None)
    kept = _ex01_score(tmp_path, "kept")
    assert kept >= 8 and fresh <= 4, (fresh, kept)


FORGED_FRAME = """
import os, struct, sys

def forge():
    fd = int(sys.argv[2])
    os.write(fd, struct.pack("!QQ", 100, 255 << 20))   # Announces a 255 MB answer ...
    chunk = b"x" * (1 << 20)
    for _ in range(64):                                 # ... and streams 64 MB of it.
        os.write(fd, chunk)
    return 0
"""


BIG_ANSWERS = """
import os, struct, sys
import numpy as np

def big(mb):
    return np.ones(mb << 17)  # mb megabytes of float64

def garbage(mb):
    fd = int(sys.argv[2])
    header = b'{"blobs": [%d]}' % (mb << 20)
    os.write(fd, struct.pack("!QQ", len(header), mb << 20) + header)
    chunk = b"x" * (1 << 20)
    for _ in range(mb):
        os.write(fd, chunk)
    return 0
"""


def test_hole8_an_answer_within_the_cap_costs_the_trusted_side_about_twice_its_size(tmp_path):
    """Hole 8: a 96 MB answer, or a 96 MB frame of garbage, costs the trusted side its bytes once for the
    frame and once for the array (it was six times the size: a growing buffer, a slice copy, a BytesIO
    copy and numpy's own)."""
    import tracemalloc

    folder = submission(tmp_path, ex01_convolution=BIG_ANSWERS)
    with Sandbox(folder, Limits(call_timeout_s=30, import_timeout_s=10, memory_mb=1024, answer_mb=128)) as sandbox:
        sandbox.call("ex01_convolution", "big", 1)
        tracemalloc.start()
        try:
            answer = sandbox.call("ex01_convolution", "big", 96)
            _, peak_answer = tracemalloc.get_traced_memory()
            assert answer.shape == (96 << 17,) and answer.flags.writeable
            del answer
            tracemalloc.reset_peak()
            with pytest.raises(Crashed):
                sandbox.call("ex01_convolution", "garbage", 96)
            _, peak_garbage = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak_answer < 2.3 * (96 << 20), peak_answer / (96 << 20)
    assert peak_garbage < 1.3 * (96 << 20), peak_garbage / (96 << 20)


def test_row47_a_forged_reply_frame_is_refused_before_its_body_is_read(tmp_path, monkeypatch):
    """Hole 8: a reply announcing more than the answer cap costs the trusted side its 16-byte head, not
    the announced megabytes: it is refused at once and the worker killed."""
    from autograder.sandbox import process

    most = [0]
    real = process.WorkerProcess._read_available

    def measured(self):
        try:
            real(self)
        finally:
            most[0] = max(most[0], len(self.head) + (len(self.body) if self.body is not None else 0))

    monkeypatch.setattr(process.WorkerProcess, "_read_available", measured)
    folder = submission(tmp_path, ex01_convolution=FORGED_FRAME)
    with Sandbox(folder, Limits(call_timeout_s=20, import_timeout_s=5, answer_mb=16)) as sandbox:
        with pytest.raises(AnswerTooLarge):
            sandbox.call("ex01_convolution", "forge")
    assert most[0] <= 2 << 20, f"the trusted side buffered {most[0] >> 20} MB of a forged frame"


def test_row47_terminal_escape_sequences_never_reach_the_grader(tmp_path):
    """Hole 8: an exception message's ANSI colour, cursor and title sequences are removed in the worker."""
    folder = submission(tmp_path, ex01_convolution="""
        def correlate2d(image, kernel):
            raise RuntimeError("\\x1b[2J\\x1b[31mred\\x1b[0m \\x1b]0;owned\\x07done\\r")
        """)
    with Sandbox(folder, FAST) as sandbox, pytest.raises(StudentException) as raised:
        sandbox.call("ex01_convolution", "correlate2d", 1, 2)
    assert str(raised.value) == "RuntimeError: red done"


WAITS = {"signal.pause": "import signal\n    signal.pause()",
         "SIGSTOP self": "import os, signal\n    os.kill(os.getpid(), signal.SIGSTOP)",
         "select nothing": "import select\n    select.select([], [], [])"}


@pytest.mark.parametrize("at_import", [False, True], ids=["at-call", "at-import"])
@pytest.mark.parametrize("name", sorted(WAITS))
def test_row48_a_worker_that_waits_forever_meets_the_wall_clock(tmp_path, name, at_import):
    """Row 48 (CMS and DMOJ acceptance cases): waiting without using CPU is stopped by the wall timeout."""
    body = WAITS[name]
    source = (f"def _wait():\n    {body}\n\n_wait()\n\ndef correlate2d(image, kernel):\n    return 0\n" if at_import
              else f"def correlate2d(image, kernel):\n    {body}\n")
    folder = submission(tmp_path, ex01_convolution=source)
    started = time.monotonic()
    with Sandbox(folder, FAST) as sandbox, pytest.raises(ImportTimedOut if at_import else CallTimedOut):
        sandbox.call("ex01_convolution", "correlate2d", 1, 2)
    assert time.monotonic() - started < 15


@needs_namespaces
def test_row49_devices_and_executables_in_the_box(tmp_path):
    """Row 49: /dev/full refuses writes, /dev/mem is absent, and a 2 GB sparse file is cut by the
    file-size limit."""
    folder = submission(tmp_path, ex01_convolution="""
        import os, subprocess
        def probe():
            seen = {}
            try:
                with open("/dev/full", "wb") as handle:
                    handle.write(b"x")
                    handle.flush()
                seen["full"] = "wrote"
            except OSError:
                seen["full"] = "refused"
            seen["mem"] = os.path.exists("/dev/mem")
            try:
                with open("/tmp/sparse", "wb") as handle:
                    handle.seek(2 << 30)
                    handle.write(b"x")
                seen["sparse"] = os.path.getsize("/tmp/sparse")
            except OSError:
                seen["sparse"] = "refused"
            return seen
        """)
    with Sandbox(folder, FAST) as sandbox:
        seen = sandbox.call("ex01_convolution", "probe")
    assert seen == {"full": "refused", "mem": False, "sparse": "refused"}


MEET = """
import os

def leave(token):
    with open("/dev/shm/meet", "w") as handle:
        handle.write(token)
    return os.listdir("/dev/shm")

def look():
    return os.listdir("/dev/shm")
"""


@needs_namespaces
def test_row50_two_sandboxes_cannot_meet_through_dev_shm(tmp_path):
    """Row 50 (isolate's cross-box rule): each box has its own /dev/shm."""
    first = submission(tmp_path / "a" if (tmp_path / "a").mkdir() is None else None, ex01_convolution=MEET)
    second = submission(tmp_path / "b" if (tmp_path / "b").mkdir() is None else None, ex01_convolution=MEET)
    with Sandbox(first, FAST) as one, Sandbox(second, FAST) as two:
        assert one.call("ex01_convolution", "leave", "hello") == ["meet"]
        assert two.call("ex01_convolution", "look") == []


EXEC_WRITTEN = """
import os, stat, subprocess, sys

def run_written():
    home = os.environ["HOME"]
    script = os.path.join(home, "escape")
    with open(script, "w") as handle:
        handle.write(f"#!{sys.executable}\\nimport os, socket\\nprint(os.getuid(), len(socket.if_nameindex()))\\n")
    os.chmod(script, stat.S_IRWXU)
    done = subprocess.run([script], capture_output=True, text=True, timeout=10)
    return done.stdout.split()
"""


@needs_namespaces
def test_row49_a_program_the_module_wrote_and_runs_is_as_sandboxed_as_the_module(tmp_path):
    """Row 49: executing a file it wrote gains nothing: the program runs as the worker's uid, with the
    worker's empty network namespace (only the loopback device), inside the worker's limits."""
    folder = submission(tmp_path, ex01_convolution=EXEC_WRITTEN)
    with Sandbox(folder, FAST) as sandbox:
        uid, interfaces = sandbox.call("ex01_convolution", "run_written")
    assert (int(uid) != 0) == isolation.is_root()
    assert int(interfaces) == 1  # "lo" only: no interface to reach anything through.


MEET_SOCKET = """
import socket, time

def listen():
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind("\\0convkit-meet")
    server.listen(1)
    global KEEP
    KEEP = server
    return "listening"

def connect():
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect("\\0convkit-meet")
        return "met"
    except OSError:
        return "alone"
"""


@needs_namespaces
def test_row50_two_sandboxes_cannot_meet_through_an_abstract_socket(tmp_path):
    """Row 50 (isolate's cross-box rule): abstract Unix sockets belong to a network namespace, and each
    box has its own."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = (submission(tmp_path / name, ex01_convolution=MEET_SOCKET) for name in "ab")
    with Sandbox(first, FAST) as one, Sandbox(second, FAST) as two:
        assert one.call("ex01_convolution", "listen") == "listening"
        assert one.call("ex01_convolution", "connect") == "met"  # The same box meets itself ...
        assert two.call("ex01_convolution", "connect") == "alone"  # ... another box does not.


def test_the_start_up_self_test_reports_missing_layers_and_refuses_below_the_minimum(monkeypatch):
    """Simulated machine without bubblewrap (and not root): the report names each missing layer and what
    it allows, and a minimum of "namespaces" is refused."""
    monkeypatch.setattr(isolation, "available_layers", lambda: list(isolation.ALWAYS))
    layers, report = isolation.check_config("process")
    assert layers == isolation.ALWAYS
    assert "MISSING uid" in report and "MISSING namespaces" in report and "solutions" in report
    assert "MISSING cgroup" in report and "shared memory" in report
    assert "MISSING seccomp" in report and "keyring" in report and "io_uring" in report
    with pytest.raises(IsolationError, match="namespaces"):
        isolation.check_config("namespaces")
    monkeypatch.setattr(isolation, "available_layers",
                        lambda: [*isolation.ALWAYS, "seccomp", "cgroup", "uid", "namespaces"])
    assert "MISSING" not in isolation.check_config("namespaces")[1]
