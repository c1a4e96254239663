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
from typing import Any, Callable, ClassVar, NamedTuple

from .._validation import check_callable, check_max_iter, check_positive, check_time_limit
from ..backend import all_finite, backend_name, check_backend, namespace
import numpy as np

from ..result import Result

__all__ = ["Method", "Oracle", "NonFiniteError", "StepCollapsedError", "Progress", "run"]

OUTPUTS = ("best", "last", "average")


class NonFiniteError(ArithmeticError):
    """Raised by a step whose operator values or iterates became NaN/inf."""


class StepCollapsedError(ArithmeticError):
    """Raised by an adaptive step that cannot find an admissible step size."""


class Oracle:
    """Counts evaluations of the problem's operator made by a method.

    ``calls`` counts full evaluations of ``F``.  For finite sums
    (``problem.n_components`` set) :meth:`sample` evaluates a mean of
    components and ``components`` counts them, so that a method's total cost in
    component evaluations is ``n * calls + components``.
    """

    __slots__ = ("F", "calls", "components", "_problem")

    def __init__(self, problem):
        self.F = problem.operator
        self.calls = 0
        self.components = 0
        self._problem = problem

    def __call__(self, z):
        self.calls += 1
        return self.F(z)

    def sample(self, indices, z):
        """Mean of the components ``F_i(z)``, ``i`` in ``indices`` (finite sums only)."""
        self.components += len(indices)
        return self._problem.sample_mean(indices, z)

    def sample_diff(self, indices, u, v):
        """Mean of ``F_i(u) - F_i(v)``, ``i`` in ``indices``: ``2 len(indices)`` evaluations."""
        self.components += 2 * len(indices)
        return self._problem.sample_mean_diff(indices, u, v)

    def component_calls(self) -> int | None:
        """Component evaluations so far (full passes count ``n``); ``None`` if not a finite sum."""
        n = getattr(self._problem, "n_components", None)
        return None if n is None else n * self.calls + self.components


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
    outputs: ClassVar[tuple] = ("last", "average")
    default_output: ClassVar[str] = "best"
    #: whether the driver restarts this method by default (``restart=`` overrides)
    default_restart: ClassVar[bool] = False
    #: True when certifying the candidates costs no operator evaluation (then the
    #: driver certifies, and may restart, after every iteration)
    free_certificates: ClassVar[bool] = False
    #: restart anyway when the epoch exceeds this fraction of all iterations (PDLP's rule)
    artificial_restart: ClassVar[float] = math.inf
    #: True when the method's guarantee does not need a monotone operator (Small-Gain flows)
    nonmonotone_ok: ClassVar[bool] = False
    #: the backends this method runs on; those listing "numba" take ``backend=`` in configure
    backends: ClassVar[tuple] = ("numpy", "cupy")

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

    def restart_by_default(self, cfg) -> bool:
        """Whether the driver restarts this method when the user did not say."""
        return self.default_restart

    def restart(self, problem, oracle, state, name, z, Fz, cfg) -> Any:
        """A fresh state started at the certified candidate ``z`` (``Fz = F(z)``)."""
        return self.init(problem, oracle, z, cfg)

    def warnings(self, problem, cfg) -> list:
        return []

    def finalize(self, problem, cert, z, Fz, cfg) -> dict:
        """Extra ``Result.info`` entries for the returned point (e.g. a-posteriori bounds)."""
        return {}

    def check_interval(self, k: int, cfg) -> int:
        """Iterations until the next certification when ``check_every`` is not given."""
        return _auto_interval(k)


def _auto_interval(k: int) -> int:
    # certify often early (fast problems stop early), then about every 5 % of
    # the iterations so far: overshoot <= 5 %, certification cost <= ~2 %
    return max(1, min(100, k // 20))


def _certify_candidates(problem, method, state, cfg, output, counter):
    """Certify the candidates allowed by ``output``; return the best ``(cert, z, F(z) or None)``.

    A candidate without ``F(z)`` is certified by the problem itself, which
    makes the evaluations it needs: counted as one certification call.
    """
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
            best = (cert, z, Fz)
    return best


def _select_backend(problem, method, backend, options):
    """Apply ``backend=``: move the problem's arrays if needed, pick the method's kernels."""
    backend = check_backend(backend)
    if backend is None:
        return problem
    if backend not in method.backends:
        have = sorted(n for n, m in _registry().items() if backend in m.backends)
        raise ValueError(f"method {method.name!r} has no {backend} path; backend={backend!r} is "
                         f"available for: {', '.join(have)}")
    current = backend_name(problem.xp) if hasattr(problem, "xp") else "numpy"
    wanted = "cupy" if backend == "cupy" else "numpy"
    if current != wanted:
        mover = getattr(problem, "to_backend", None)
        if mover is None:
            raise TypeError(f"backend={backend!r} needs {type(problem).__name__} built from "
                            f"{wanted} arrays (its arrays are {current}); build it from "
                            f"{wanted} arrays")
        problem = mover(wanted)
    if backend == "numba":
        options["backend"] = "numba"
    return problem


def _registry():
    from . import METHODS

    return METHODS


def run(problem, method: Method, *, x0=None, tol=1e-6, max_iter=10_000, time_limit=None,
        callback: Callable | None = None, progress: bool = False, check_every=None,
        output: str | None = None, restart=None, restart_factor=0.2, backend=None,
        **options) -> Result:
    """Run ``method`` on ``problem`` until the certified residual is at most ``tol``."""
    tol = check_positive("tol", tol)
    max_iter = check_max_iter(max_iter)
    time_limit = check_time_limit(time_limit)
    check_callable("callback", callback)
    if check_every is not None:
        check_every = check_max_iter(check_every, name="check_every")
    output = method.default_output if output is None else output
    allowed = ("best",) + tuple(method.outputs)
    if output not in allowed:
        raise ValueError(f"output must be one of {allowed} for method {method.name!r}, got {output!r}")
    if restart is not None and not isinstance(restart, bool):
        raise TypeError(f"restart must be True, False or None, got {type(restart).__name__}")
    restart_factor = check_positive("restart_factor", restart_factor)
    if restart_factor >= 1.0:
        raise ValueError(f"restart_factor must lie in (0, 1), got {restart_factor}")

    problem = _select_backend(problem, method, backend, options)
    z0 = problem.initial_point() if x0 is None else problem.check_point("x0", x0)
    if getattr(problem, "batch", None) is not None and _per_game(problem, method, options):
        return _run_batch(problem, method, z0, tol, max_iter, time_limit, callback, progress,
                          options)
    cfg = method.configure(problem, **options)
    restart = method.restart_by_default(cfg) if restart is None else restart
    warns = list(method.warnings(problem, cfg))
    if problem.monotone is False and not method.nonmonotone_ok:
        warns.append("the operator is not monotone: the method's convergence guarantee does not "
                      "apply; the certificate still measures the returned point exactly")
    loop = _Loop(problem, method, cfg, output, tol, max_iter, time_limit, callback, check_every,
                 restart_factor if restart else None)
    # overflow/NaN are detected and reported as status="diverged"; NumPy's
    # warnings about them would only repeat that (errstate is NumPy-only)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return loop.run(z0, progress, warns)


def _per_game(problem, method, options) -> bool:
    """Whether a batch of games is solved game by game (each its own status) or as one problem."""
    if hasattr(method, "batch_init") and method.batch_ok(problem, options):
        return True
    if getattr(problem, "joint_batch", False):
        return False
    have = sorted(n for n, m in _registry().items() if hasattr(m, "batch_init"))
    raise TypeError(f"{method.name} solves one game at a time; a batch of games ({problem!r}) "
                    f"needs a method with a per-game loop ({', '.join(have)}), or solve "
                    "problem.game(b) in a loop")


def _run_batch(problem, method, z0, tol, max_iter, time_limit, callback, progress, options):
    from ._batch import run_batched

    cfg = method.batch_configure(problem, **options)
    warns = list(method.warnings(problem, cfg))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return run_batched(problem, method, z0=z0, tol=tol, max_iter=max_iter,
                           time_limit=time_limit, callback=callback, progress=progress, cfg=cfg,
                           warns=warns)


class _Loop:
    """One solve: the iteration, checkpoints, restarts and the Result."""

    def __init__(self, problem, method, cfg, output, tol, max_iter, time_limit, callback,
                 check_every, restart_factor):
        self.problem, self.method, self.cfg, self.output = problem, method, cfg, output
        self.tol, self.max_iter, self.time_limit = tol, max_iter, time_limit
        self.callback, self.check_every, self.restart_factor = callback, check_every, restart_factor
        self.oracle = Oracle(problem)
        self.counter = [0]  # evaluations spent on certification only
        self.history = {"iteration": [], "residual": [], "elapsed": [], "oracle_calls": []}
        self.restarts = 0
        self.auto_interval = ((lambda k: 1) if method.free_certificates
                              else (lambda k: method.check_interval(k, cfg)))
        self.n_components = getattr(problem, "n_components", None)
        if self.n_components is not None:
            self.history["component_calls"] = []

    def certify(self, state):
        return _certify_candidates(self.problem, self.method, state, self.cfg, self.output,
                                   self.counter)

    def record(self, k, cert):
        elapsed = time.perf_counter() - self.start
        h = self.history
        h["iteration"].append(k)
        h["residual"].append(cert.value)
        h["elapsed"].append(elapsed)
        h["oracle_calls"].append(self.oracle.calls)
        if self.n_components is not None:
            h["component_calls"].append(self.oracle.component_calls())
        return elapsed

    def run(self, z0, progress, warns):
        self.start = time.perf_counter()
        method, cfg, problem = self.method, self.cfg, self.problem
        state = method.init(problem, self.oracle, z0, cfg)
        best = self.certify(state)
        if best is None:
            raise ValueError("the operator is not finite at the starting point x0")
        self.record(0, best[0])
        ref = best[0].value  # residual at the last (re)start
        epoch_start = 0
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=self.max_iter, desc=method.name, unit="it")
        status = "converged" if best[0].value <= self.tol else None
        k, next_check, best_k = 0, (self.check_every or 1), 0
        try:
            while status is None:
                if k >= self.max_iter:
                    status = "max_iter"
                    break
                try:
                    state = method.step(problem, self.oracle, state, cfg)
                except NonFiniteError:
                    status = "diverged"
                    break
                except StepCollapsedError as exc:
                    status = "stalled"
                    if str(exc):  # the method says why it cannot progress (e.g. a cycle)
                        warns.append(str(exc))
                    cand = self.certify(state)
                    if cand is not None and cand[0].value < best[0].value:
                        best, best_k = cand, k
                        self.record(k, cand[0])
                    break
                k += 1
                timed_out = time.perf_counter() - self.start >= self.time_limit
                if not (k >= next_check or k == self.max_iter or timed_out):
                    continue
                cand = self.certify(state)
                if cand is None or not math.isfinite(cand[0].value):
                    status = "diverged"
                    break
                if cand[0].value <= best[0].value:
                    # return the best certified point seen, not merely the latest
                    best, best_k = cand, k
                elapsed = self.record(k, cand[0])
                next_check = k + (self.check_every or self.auto_interval(k))
                if bar is not None:
                    bar.update(k - bar.n)
                    bar.set_postfix(residual=f"{cand[0].value:.2e}")
                if cand[0].value <= self.tol:
                    status = "converged"
                elif timed_out:
                    status = "time_limit"
                elif self.callback is not None and self.callback(
                        Progress(k, cand[0].value, cand[1], cand[0], elapsed, self.oracle.calls)):
                    status = "stopped"
                elif self.restart_factor is not None and k < self.max_iter and (
                        cand[0].value <= self.restart_factor * ref
                        or (k - epoch_start >= method.artificial_restart * k and cand[0].value < ref
                            and k >= 64)):
                    # restart from the better-certified candidate (average or last) when
                    # the certified residual fell enough, or (as PDLP does) when the
                    # epoch has grown long while still improving on its start
                    Fz = cand[2]
                    if Fz is None:
                        self.counter[0] += 1
                        Fz = problem.operator(cand[1])
                    state = method.restart(problem, self.oracle, state, cand[0].point, cand[1],
                                           Fz, cfg)
                    ref = cand[0].value
                    epoch_start = k
                    self.restarts += 1
        finally:
            if bar is not None:
                bar.close()
        return self.result(best, best_k, status, k, state, warns)

    def result(self, best, best_k, status, k, state, warns):
        cert, z, Fz = best
        parts = self.problem.split(z)
        info = self.method.diagnostics(state, self.cfg)
        info["certified_iteration"] = best_k
        info.update(self.method.finalize(self.problem, cert, z, Fz, self.cfg))
        if self.restart_factor is not None:
            info["restarts"] = self.restarts
        if self.n_components is not None:
            # finite sums: cost in component evaluations (a full pass is n of them)
            info["component_calls"] = self.oracle.component_calls()
            info["certify_component_calls"] = self.n_components * self.counter[0]
        return Result(
            z=z,
            certificate=cert,
            status=status,
            tol=self.tol,
            method=self.method.name,
            backend=backend_name(namespace(z)),
            iterations=k,
            oracle_calls=self.oracle.calls,
            certify_calls=self.counter[0],
            elapsed=time.perf_counter() - self.start,
            x=parts.get("x"),
            y=parts.get("y"),
            value=self.problem.value(z, Fz=Fz, certificate=cert),
            history=self.history,
            warnings=warns,
            info=info,
        )
