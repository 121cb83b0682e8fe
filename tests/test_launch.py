"""The one launcher (`autograder.sandbox.launch`): one ordered list of layers that every sandboxed process
goes through (the numpy worker and Otter's run alike), and one kill that ends the whole tree."""

import os
import time

import numpy as np
import pytest

from autograder import scratch
from autograder.otter import sandboxed
from autograder.sandbox import Limits, Sandbox, isolation, launch, process

EXERCISE = "ex01_convolution"
CORRECT = """
import numpy as np

def correlate2d(image, kernel):
    return np.array([[float((image[i:i + 2, j:j + 2] * kernel).sum()) for j in range(image.shape[1] - 1)]
                     for i in range(image.shape[0] - 1)])
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_layer_added_to_the_list_reaches_a_numpy_worker_and_an_otter_run(tmp_path, monkeypatch):
    """A layer planted at the end of `LAYERS` sees what the layers before it built, for both callers, and
    the argv it wraps is what starts: the marker each process writes before its program runs."""
    marker = tmp_path / "started"
    seen = []

    def planted(box: launch.Box) -> None:
        program = "otter" if sandboxed.RUNNER in box.argv else "worker" if process.WORKER_SOURCE in box.argv else "?"
        seen.append({"program": program, "uid": box.uid, "cgroup": box.cgroup is not None,
                     "bwrap": box.argv[0] == "bwrap", "home": box.env.get("HOME"), "path": box.env.get("PATH"),
                     "session": box.popen.get("start_new_session"), "limits": len(box.preexec)})
        box.argv = ["/bin/sh", "-c", 'echo "$0" >> "$1"; shift; exec "$@"', program, str(marker), *box.argv]

    monkeypatch.setattr(launch, "LAYERS", [*launch.LAYERS, planted])
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / f"{EXERCISE}.py").write_text(CORRECT)
    with Sandbox(submission, Limits(call_timeout_s=5, import_timeout_s=5)) as box:
        image, kernel = np.arange(12.0).reshape(3, 4), np.ones((2, 2))
        np.testing.assert_allclose(box.module(EXERCISE).correlate2d(image, kernel), [[10, 14, 18], [26, 30, 34]])
        layers = box.isolation
    bogus = tmp_path / "autograder.zip"
    bogus.write_bytes(b"not a zip")
    with pytest.raises(sandboxed.NoScore) as caught:
        sandboxed.run_isolated(submission / f"{EXERCISE}.py", EXERCISE, bogus, timeout_s=120)
    assert caught.value.reason == sandboxed.FAILED

    assert sorted(set(marker.read_text().split())) == ["otter", "worker"]
    assert {record["program"] for record in seen} == {"otter", "worker"}
    for record in seen:
        assert record["uid"] is not None if "uid" in layers else record["uid"] is None, record
        assert record["cgroup"] is ("cgroup" in layers), record
        assert record["bwrap"] is ("namespaces" in layers), record
        assert record["path"] == "/usr/bin:/bin" and record["home"], record
        assert record["session"] is True and record["limits"] == 1, record


def test_kill_ends_a_process_that_left_the_process_group(monkeypatch):
    """`kill` reaches what `killpg` alone misses: a child in a session of its own (by uid, or cgroup)."""
    if not isolation.is_root():
        pytest.skip("a uid of its own or a control group needs root")
    with scratch.folder("launch-test") as home:
        os.chmod(home, 0o755)

        def own(uid):
            if uid is not None:
                os.chown(home, uid, uid)

        script = f'setsid /bin/sh -c "echo \\$\\$ > {home}/pid; exec sleep 300" & exec sleep 300'
        box = launch.launch(["/bin/sh", "-c", script], home, Limits(), memory_bytes=256 << 20, namespaces=False,
                            use_uid=True, home=str(home), prepare=own)
        try:
            deadline = time.monotonic() + 10
            while not (home / "pid").exists() or not (home / "pid").read_text().strip():
                assert time.monotonic() < deadline, "the detached child never started"
                time.sleep(0.05)
            detached = int((home / "pid").read_text())
            assert _alive(detached) and os.getpgid(detached) != box.proc.pid
            box.kill()
            time.sleep(0.1)
            assert box.proc.returncode is not None and not _alive(detached)
        finally:
            box.kill()
            box.release()
        assert box.lease is None and box.cgroup is None


@pytest.mark.parametrize("kwargs, message", [
    ({"argv": []}, "argv must be a non-empty list"),
    ({"memory_bytes": 0}, "memory_bytes must be positive"),
    ({"home": None}, "home is required without namespaces"),
])
def test_bad_arguments_are_refused_with_a_clear_message(tmp_path, kwargs, message):
    arguments = {"argv": ["/bin/true"], "folder": tmp_path, "limits": Limits(), "memory_bytes": 1 << 20,
                 "namespaces": False, "use_uid": False, "home": str(tmp_path)} | kwargs
    with pytest.raises(ValueError, match=message):
        launch.launch(**arguments)
