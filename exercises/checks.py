"""The one check library: public tests, hidden tests and Otter tests all judge answers with these functions.

Every failure is a `CheckFailure` whose message has three parts, so a student can act on it:

    what was checked      correlate2d(image (5, 7) float64, kernel (2, 2) float64): output values
    got vs expected       worst element at [2, 3]: got 4.0, expected 1.0 (12 of 24 elements differ)
    hint                  the likely mistake, e.g. "you flipped the kernel: that is convolve2d, not correlate2d"

Messages never print whole expected arrays: only shapes, dtypes and the single worst element.
The checks are strict on purpose. An answer must be a plain `numpy.ndarray` (not a list, a subclass, a
masked array or an object that claims to be equal to everything), with a real dtype, the exact shape and
finite values, before its values are compared with a tolerance.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import numpy as np

#: Default tolerances for float64 answers compared with a float64 reference.
RTOL = 1e-6
ATOL = 1e-6
#: Looser tolerances used when a student's float32 answer is allowed.
RTOL_FLOAT32 = 1e-4
ATOL_FLOAT32 = 1e-4

#: A known mistake: an array a buggy implementation would return, and the hint naming that bug.
Mistake = tuple[Any, str]


class SubmissionError(Exception):
    """The submission could not give an answer at all (timed out, crashed, exited, was not submitted).

    Raised by the grader's sandbox proxy, never by student code; checks let it through unchanged so the
    test reports the real reason instead of a wrong-answer message.
    """


class CheckFailure(AssertionError):
    """A student's answer failed a check.

    Cause: the answer differs from the specification in type, shape or values.
    Remedy: read the message's three lines, fix the function, and run the tests again.
    """

    def __init__(self, what: str, detail: str, hint: str | None = None, arrays: tuple | None = None):
        self.what = what
        self.detail = detail
        self.hint = hint
        #: (got, expected) as float64 when same-shaped arrays differ in value; the grader draws them.
        self.arrays = arrays
        lines = [f"checked: {what}", f"got vs expected: {detail}"]
        if hint:
            lines.append(f"hint: {hint}")
        super().__init__("\n".join(lines))


def fail(what: str, detail: str, hint: str | None = None, arrays: tuple | None = None) -> NoReturn:
    """Raise a `CheckFailure` with the three-part message (and the arrays it compared, if any)."""
    __tracebackhide__ = True  # pytest reports the test's line, not this helper's
    raise CheckFailure(what, detail, hint, arrays)


def describe(value: Any) -> str:
    """A short description of an argument for messages: shape and dtype for arrays, repr for the rest."""
    if isinstance(value, np.ndarray):
        return f"{value.shape} {value.dtype}"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def call_text(name: str, *args: Any, **kwargs: Any) -> str:
    """`name(arg descriptions)`: how a check names the call it judged, e.g. `conv2d((5, 7) uint8, ...)`."""
    parts = [describe(a) for a in args] + [f"{k}={describe(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def _type_name(value: Any) -> str:
    foreign = getattr(value, "foreign_type_name", None) if not isinstance(value, np.ndarray) else None
    if isinstance(foreign, str):
        return foreign  # A value the grader's sandbox could not bring back as data; this is its type's name.
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _matching_mistake(got: np.ndarray, mistakes: Sequence[Mistake], rtol: float, atol: float) -> str | None:
    """The hint of the first known mistake whose array equals `got` (same shape, values within tolerance)."""
    for candidate, hint in mistakes:
        candidate = np.asarray(candidate)
        if candidate.shape == got.shape and np.allclose(got, candidate, rtol=rtol, atol=atol):
            return hint
    return None


def _shape_mistake(got_shape: tuple, mistakes: Sequence[Mistake], expected_shape: tuple) -> str | None:
    """The hint of the first known mistake that has the same wrong shape as the answer."""
    for candidate, hint in mistakes:
        shape = np.shape(candidate)
        if shape == got_shape and shape != expected_shape:
            return hint
    return None


def check_ndarray(got: Any, what: str, *, require_float: bool = True) -> np.ndarray:
    """Check that `got` is a plain ndarray with a real dtype (a float dtype if `require_float`)."""
    __tracebackhide__ = True  # pytest reports the test's line, not this helper's
    if type(got) is not np.ndarray:
        fail(what, f"expected numpy.ndarray, got {_type_name(got)}",
             "return a numpy array, e.g. build the output with np.zeros(...) and fill it"
             if not isinstance(got, np.ndarray) else "return a plain numpy.ndarray, not a subclass")
    if got.dtype.kind not in "fiu":
        fail(what, f"expected a real numeric dtype, got dtype {got.dtype}",
             "complex, object, bool and string arrays are not accepted; use float64")
    if require_float and got.dtype.kind != "f":
        fail(what, f"expected a float dtype, got dtype {got.dtype}",
             "the output must be float even when the input is an integer (e.g. uint8) image: "
             "convert with image.astype(np.float64) before computing, or the sums overflow and truncate")
    return got


def check_array(
    got: Any,
    expected: np.ndarray,
    what: str,
    *,
    hint: str | None = None,
    mistakes: Sequence[Mistake] = (),
    rtol: float | None = None,
    atol: float | None = None,
    require_float: bool = True,
) -> None:
    """Check an array answer against the expected one: type, dtype kind, exact shape, finiteness, values.

    `mistakes` lists arrays that known bugs would produce, each with its hint; when the answer equals one
    of them (or has its wrong shape) that hint is shown instead of the general `hint`.
    A float32 answer is compared with float32 tolerances.
    """
    __tracebackhide__ = True  # pytest reports the test's line, not this helper's
    got = check_ndarray(got, what, require_float=require_float)
    expected = np.asarray(expected)
    if got.shape != expected.shape:
        shape_hint = _shape_mistake(got.shape, mistakes, expected.shape) or hint
        fail(what, f"shape {got.shape}, expected shape {expected.shape}", shape_hint)
    if not np.all(np.isfinite(got)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(got))[0])
        fail(what, f"non-finite value {got[bad]} at index {list(bad)}",
             "look for a division by zero or an overflow (uint8 arithmetic wraps around)")
    if rtol is None or atol is None:
        loose = got.dtype == np.float32
        rtol = rtol if rtol is not None else (RTOL_FLOAT32 if loose else RTOL)
        atol = atol if atol is not None else (ATOL_FLOAT32 if loose else ATOL)
    got64 = got.astype(np.float64)
    expected64 = expected.astype(np.float64)
    close = np.isclose(got64, expected64, rtol=rtol, atol=atol)
    if close.all():
        return
    error = np.abs(got64 - expected64) - rtol * np.abs(expected64)
    worst = np.unravel_index(int(np.argmax(error)), got.shape)
    index = [int(i) for i in worst]
    detail = (f"worst element at {index}: got {got64[worst]:.6g}, expected {expected64[worst]:.6g} "
              f"({int((~close).sum())} of {close.size} elements differ)")
    fail(what, detail, _matching_mistake(got64, mistakes, rtol, atol) or hint, arrays=(got64, expected64))


def check_int(got: Any, expected: int, what: str, *, hint: str | None = None,
              mistakes: Sequence[tuple[int, str]] = ()) -> None:
    """Check an integer answer (a Python int or numpy integer; never a bool or a float)."""
    __tracebackhide__ = True  # pytest reports the test's line, not this helper's
    if isinstance(got, bool) or not isinstance(got, (int, np.integer)):
        fail(what, f"expected an int, got {_type_name(got)} {describe(got)}", "return a whole number (int)")
    if int(got) != int(expected):
        known = next((h for value, h in mistakes if int(value) == int(got)), None)
        fail(what, f"got {int(got)}, expected {int(expected)}", known or hint)


#: Arrays a sandboxed call wrote into, by id: the sandbox never copies such changes back into the caller's
#: array (a later expected answer computed from it stays the one made from the original values), so it
#: records the write here instead, and `check_unchanged` reads it. Weak references: nothing is kept alive.
_WRITTEN: dict[int, Any] = {}


def note_written(array: np.ndarray) -> None:
    """Record that a call outside this process wrote into `array` (the caller's copy is left as it was)."""
    import weakref
    key = id(array)
    _WRITTEN[key] = weakref.ref(array, lambda _ref: _WRITTEN.pop(key, None))


def was_written(array: Any) -> bool:
    """Whether `note_written(array)` was called for this very array object."""
    ref = _WRITTEN.get(id(array))
    return ref is not None and ref() is array


def check_unchanged(before: np.ndarray, after: Any, what: str) -> None:
    """Check that an input array still holds its original values after the call (and that no sandboxed
    call wrote into it: the sandbox reports such writes instead of copying them back)."""
    __tracebackhide__ = True  # pytest reports the test's line, not this helper's
    if was_written(after) or not (isinstance(after, np.ndarray) and after.shape == before.shape
                                  and np.array_equal(after, before, equal_nan=True)):
        fail(what, "the input array was modified in place",
             "work on a copy (e.g. image.astype(np.float64) or np.pad, which return new arrays) "
             "instead of writing into the caller's array")


def error_name(error: BaseException) -> str:
    """The type name of an exception as the student wrote it (`ZeroDivisionError`), also for one that
    crossed from a sandbox worker, which carries the real name in `type_name`; with its line when known."""
    name = getattr(error, "type_name", None)
    name = name if isinstance(name, str) and name else type(error).__name__
    line = getattr(error, "line", None)
    return f"{name} (line {line})" if type(line) is int else name


def check_raises_value_error(call: Callable[[], Any], what: str, *, rule: str,
                             valid_call: Callable[[], Any] | None = None, valid_what: str = "") -> None:
    """Check that `call()` raises ValueError; `rule` is the rule the bad argument breaks.

    With `valid_call` (the same function on arguments that break no rule, described by `valid_what`), a
    function that raises ValueError whatever it is given fails too: rejecting must come from checking.
    """
    __tracebackhide__ = True  # pytest reports the test's line, not this helper's
    if valid_call is not None:
        try:
            valid_call()
        except ValueError as error:
            fail(valid_what or what, f"raised ValueError on arguments that break no rule ({error})",
                 f"raise ValueError only when {rule}")
        except (NotImplementedError, SubmissionError):
            raise
        except Exception:  # noqa: BLE001, S110 - other mistakes on valid arguments are other tests' business.
            pass
    try:
        result = call()
    except ValueError:
        return
    except (NotImplementedError, SubmissionError):
        raise
    except Exception as error:  # noqa: BLE001 - any other exception is the wrong answer, reported as such.
        fail(what, f"raised {error_name(error)}, expected ValueError",
             f"raise ValueError with a message naming the argument when {rule}")
    fail(what, f"returned {describe(result)}, expected a ValueError",
         f"check the arguments first and raise ValueError when {rule}")

