"""The driver loop shared by every method, and the method interface.

A method is a small object with pure steps over arrays (in the spirit of
optax): ``configure`` validates its options, ``init`` builds a state from the
start point, ``step`` maps a state to the next one, ``candidates`` names the
points it could return (last iterate, ergodic average).  Everything else --
iteration and time limits, non-finite detection, certification of the
candidates at checkpoints, choosing the point to return, callbacks, oracle
counting, history, progress -- lives here, once.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

from .._validation import check_callable, check_max_iter, check_positive, check_time_limit
from ..backend import all_finite, backend_name, namespace
import numpy as np

from ..result import Result

__all__ = ["Method", "Oracle", "NonFiniteError", "StepCollapsedError", "Progress", "run"]

OUTPUTS = ("best", "last", "average")


class NonFiniteError(ArithmeticError):
    """Raised by a step whose operator values or iterates became NaN/inf."""


class StepCollapsedError(ArithmeticError):
    """Raised by an adaptive step that cannot find an admissible step size."""


class Oracle:
    """Counts evaluations of the problem's operator made by a method."""

    __slots__ = ("F", "calls")

    def __init__(self, problem):
        self.F = problem.operator
        self.calls = 0

    def __call__(self, z):
        self.calls += 1
        return self.F(z)


class Progress(NamedTuple):
    """What a callback receives at each certification checkpoint."""

    iteration: int
    residual: float
    z: Any
    certificate: Any
    elapsed: float
    oracle_calls: int


@dataclass
class Method:
    """Interface of a registered method (see the module docstring)."""

    name: str = ""
    summary: str = ""
    #: candidates this method can return besides the last iterate
    outputs: tuple = ("last", "average")
    default_output: str = "best"

    def configure(self, problem, **options) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def init(self, problem, oracle: Oracle, z0, cfg) -> Any:  # pragma: no cover
        raise NotImplementedError

    def step(self, problem, oracle: Oracle, state, cfg) -> Any:  # pragma: no cover
        raise NotImplementedError

    def candidates(self, state, cfg) -> dict:  # pragma: no cover
        """``{name: (point, F(point) or None)}`` for each candidate point."""
        raise NotImplementedError

    def diagnostics(self, state, cfg) -> dict:
        return {}

    def warnings(self, problem, cfg) -> list:
        return []


def _auto_interval(k: int) -> int:
    # certify often early (fast problems stop early), then about every 5 % of
    # the iterations so far: overshoot <= 5 %, certification cost <= ~2 %
    return max(1, min(100, k // 20))


def _certify_candidates(problem, method, state, cfg, output, counter):
    """Certify the candidate points allowed by ``output``; return the best (cert, z)."""
    cands = method.candidates(state, cfg)
    names = [output] if output != "best" else [n for n in ("last", "average") if n in cands]
    best = None
    for name in names:
        z, Fz = cands[name]
        if not all_finite(namespace(z), z):
            continue
        if Fz is None:
            counter[0] += 1
        cert = problem.certify(z, Fz=Fz, point=name)
        if best is None or not (cert.value >= best[0].value):
            best = (cert, z)
    return best


def run(problem, method: Method, *, x0=None, tol=1e-6, max_iter=10_000, time_limit=None,
        callback: Callable | None = None, progress: bool = False, check_every=None,
        output: str | None = None, **options) -> Result:
    """Run ``method`` on ``problem`` until the certified residual is at most ``tol``."""
    tol = check_positive("tol", tol)
    max_iter = check_max_iter(max_iter)
    time_limit = check_time_limit(time_limit)
    check_callable("callback", callback)
    if check_every is not None:
        check_every = check_max_iter(check_every) if not isinstance(check_every, bool) else None
        if check_every is None:
            raise TypeError("check_every must be a positive integer or None")
    output = method.default_output if output is None else output
    allowed = ("best",) + tuple(method.outputs)
    if output not in allowed:
        raise ValueError(f"output must be one of {allowed} for method {method.name!r}, got {output!r}")

    z0 = problem.initial_point() if x0 is None else problem.check_point("x0", x0)
    cfg = method.configure(problem, **options)
    warns = list(method.warnings(problem, cfg))
    if problem.monotone is False:
        warns.append("the operator is not monotone: the method's convergence guarantee does not "
                      "apply; the certificate still measures the returned point exactly")

    start = time.perf_counter()
    oracle = Oracle(problem)
    counter = [0]  # certification evaluations
    history = {"iteration": [], "residual": [], "elapsed": [], "oracle_calls": []}
    state = method.init(problem, oracle, z0, cfg)
    best = _certify_candidates(problem, method, state, cfg, output, counter)
    if best is None:
        raise ValueError("the operator is not finite at the starting point x0")

    # overflow/NaN are detected and reported as status="diverged"; NumPy's
    # warnings about them would only repeat that (errstate is NumPy-only)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _loop(problem, method, state, cfg, output, counter, best, oracle, history, start,
                     tol, max_iter, time_limit, callback, progress, check_every, warns)


def _loop(problem, method, state, cfg, output, counter, best, oracle, history, start, tol,
          max_iter, time_limit, callback, progress, check_every, warns):
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=max_iter, desc=method.name, unit="it")

    def record(k, cert):
        elapsed = time.perf_counter() - start
        history["iteration"].append(k)
        history["residual"].append(cert.value)
        history["elapsed"].append(elapsed)
        history["oracle_calls"].append(oracle.calls)
        return elapsed

    record(0, best[0])
    status = "converged" if best[0].value <= tol else None
    k, next_check = 0, (check_every or 1)
    try:
        while status is None:
            if k >= max_iter:
                status = "max_iter"
                break
            try:
                state = method.step(problem, oracle, state, cfg)
            except NonFiniteError:
                status = "diverged"
                break
            except StepCollapsedError:
                status = "stalled"
                break
            k += 1
            at_check = k >= next_check or k == max_iter
            if at_check:
                cand = _certify_candidates(problem, method, state, cfg, output, counter)
                if cand is None or not math.isfinite(cand[0].value):
                    status = "diverged"
                    break
                best = cand
                elapsed = record(k, cand[0])
                next_check = k + (check_every or _auto_interval(k))
                if bar is not None:
                    bar.update(k - bar.n)
                    bar.set_postfix(residual=f"{cand[0].value:.2e}")
                if cand[0].value <= tol:
                    status = "converged"
                    break
                if callback is not None and callback(
                    Progress(k, cand[0].value, cand[1], cand[0], elapsed, oracle.calls)
                ):
                    status = "stopped"
                    break
            if time.perf_counter() - start >= time_limit:
                if not at_check:
                    cand = _certify_candidates(problem, method, state, cfg, output, counter)
                    if cand is not None and math.isfinite(cand[0].value):
                        best = cand
                        record(k, cand[0])
                status = "converged" if best[0].value <= tol else "time_limit"
                break
        if status == "max_iter" and history["iteration"][-1] != k:
            cand = _certify_candidates(problem, method, state, cfg, output, counter)
            if cand is not None and math.isfinite(cand[0].value):
                best = cand
                record(k, cand[0])
    finally:
        if bar is not None:
            bar.close()

    cert, z = best
    parts = problem.split(z)
    return Result(
        z=z,
        certificate=cert,
        status=status,
        tol=tol,
        method=method.name,
        backend=backend_name(namespace(z)),
        iterations=k,
        oracle_calls=oracle.calls,
        certify_calls=counter[0],
        elapsed=time.perf_counter() - start,
        x=parts.get("x"),
        y=parts.get("y"),
        value=problem.value(z),
        history=history,
        warnings=warns,
        info=method.diagnostics(state, cfg),
    )
