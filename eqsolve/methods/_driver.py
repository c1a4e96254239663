"""The one driver loop shared by every method, for single games and batches alike.

:func:`run` checks the driver's arguments, configures the method (which
validates its own options), and runs one :class:`_Loop`: the time limit, the
callback (with a certificate), the progress bar, the history and the
:class:`~eqsolve.result.Result` live there, once.  What advances between two
checkpoints is an *engine*:

* :class:`_Single` steps one problem, certifies the method's candidates at
  checkpoints, keeps the best certified point and restarts the method;
* :class:`~eqsolve.methods._batch.Batch` advances a batch of games in lock
  step through the method's :class:`~eqsolve.methods.base.BatchMethod`, each
  game certified after each of its iterations and frozen when done.

The driver touches a method only through its hooks and its
:class:`~eqsolve.methods.base.Traits`.
"""

from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np

from .._validation import check_callable, check_max_iter, check_positive, check_time_limit
from ..backend import all_finite, check_backend, namespace
from ..problems.base import ComputeInterrupted
from ._batch import Batch
from ._checkpoint import Checkpoint, make_result
from .base import (MIN_EPOCH, Candidate, Method, NonFiniteError, Oracle, Progress,
                   StepCollapsedError, Terminated)
from .registry import METHODS, get_method

__all__ = ["run", "iterate"]

OUTPUTS = ("best", "last", "average")


def auto_interval(k: int) -> int:
    """Iterations until the next certification when ``check_every`` is not given."""
    # certify often early (fast problems stop early), then about every 5 % of
    # the iterations so far: overshoot <= 5 %, certification cost <= ~2 %
    return max(1, min(100, k // 20))


def _select_backend(problem, entry, backend, options):
    """Apply ``backend=``: move the problem's arrays if needed, pick the method's kernels."""
    backend = check_backend(backend)
    if backend is None:
        return problem
    if backend not in entry.backends():
        have = sorted(n for n, m in METHODS.items() if backend in m.backends())
        raise ValueError(f"method {entry.name!r} has no {backend} path; backend={backend!r} is "
                         f"available for: {', '.join(have)}")
    wanted = "cupy" if backend == "cupy" else "numpy"
    if problem.backend != wanted:
        problem = problem.to_backend(wanted)
    if backend == "numba":
        options["backend"] = "numba"
    return problem


def run(problem, method, *, x0=None, tol=1e-6, max_iter=10_000, time_limit=None,
        callback: Callable | None = None, progress: bool = False, check_every=None,
        output: str | None = None, restart=None, restart_factor=0.2, backend=None,
        **options) -> Result:
    """Run ``method`` (a registered name or class, or a configured method) on ``problem``
    until the certified residual is at most ``tol``.

    The arguments are those of :func:`eqsolve.solve`; ``restart`` (``None``:
    the method's default) and ``restart_factor`` (restart when the certified
    residual fell below this fraction of its value at the last restart)
    control the driver's restarts.
    """
    tol = check_positive("tol", tol, allow_zero=True)
    max_iter = check_max_iter(max_iter)
    time_limit = check_time_limit(time_limit)
    check_callable("callback", callback)
    if check_every is not None:
        check_every = check_max_iter(check_every, name="check_every")
    if restart is not None and not isinstance(restart, bool):
        raise TypeError(f"restart must be True, False or None, got {type(restart).__name__}")
    restart_factor = check_positive("restart_factor", restart_factor)
    if restart_factor >= 1.0:
        raise ValueError(f"restart_factor must lie in (0, 1), got {restart_factor}")

    entry = get_method(method)
    if isinstance(entry, Method):
        if options:
            raise TypeError(f"options {sorted(options)} are given to a configured method; "
                            "configure it with them, or pass the method's name")
        configured = entry
        problem = _select_backend(problem, type(entry), backend, {})
    else:
        problem = _select_backend(problem, entry, backend, options)
        configured = None
    z0 = problem.initial_point() if x0 is None else problem.check_point("x0", x0)
    if configured is None:
        configured = entry.configure(problem, **options)
    traits = configured.traits()
    if output is not None and output not in ("best",) + tuple(traits.outputs):
        allowed = ("best",) + tuple(traits.outputs)
        raise ValueError(f"output must be one of {allowed} for method {configured.name!r}, got "
                         f"{output!r}")

    warns = list(configured.warnings(problem))
    if problem.batch is not None:
        stepper = configured.batched(problem)
        if stepper is not None:
            for name, value in (("output", output), ("check_every", check_every),
                                ("restart", restart)):
                if value is not None and not (name == "output" and value == "best"):
                    raise ValueError(f"{name}= does not apply to a batch of games solved game by "
                                     f"game: each game is certified after each of its "
                                     f"iterations and keeps its best certified point; leave "
                                     f"{name} unset, or solve problem.game(b) one by one")
            engine = Batch(problem, configured, stepper, z0, tol, max_iter)
        elif not problem.joint_batch:
            have = sorted(n for n, m in METHODS.items() if _has_batch_loop(m, problem))
            raise TypeError(f"{configured.name} solves one game at a time; a batch of games "
                            f"({problem!r}) needs a method with a per-game loop "
                            f"({', '.join(have)}), or solve problem.game(b) in a loop")
        else:
            engine = None
    else:
        engine = None
    if engine is None:
        if problem.monotone is False and traits.needs_monotone:
            warns.append("the operator is not monotone: the method's convergence guarantee does "
                         "not apply; the certificate still measures the returned point exactly")
        output = traits.default_output if output is None else output
        restart = traits.restart if restart is None else restart
        engine = _Single(problem, configured, traits, z0, output, tol, max_iter, check_every,
                         restart_factor if restart else None, warns)
        floor = problem.rounding_floor()
        if 0.0 < tol < floor:
            # the start is certified and the solve ends: no iteration could reach tol
            warns.append(f"tol={tol:.3e} is below this problem's certificate rounding floor "
                         f"{floor:.3e}; ask for tol >= {floor:.3e}")
            engine.floor = floor
    loop = _Loop(engine, tol, max_iter, time_limit, callback, progress)
    # overflow/NaN are detected and reported as status="diverged"; NumPy's
    # warnings about them would only repeat that (errstate is NumPy-only)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return loop.run(warns)


def iterate(problem, method, *, x0=None, **options):
    """The states of ``method`` on ``problem``, one per step, without the driver.

    For inspecting trajectories and timing single steps: yields
    ``(configured_method, oracle, state)`` for the start state and then after
    every step, forever (stop when you have seen enough).  No certification,
    limits or restarts happen here; :func:`run` is the solver.

    Examples
    --------
    >>> import itertools, numpy as np, eqsolve as eq
    >>> game = eq.MatrixGame(np.array([[3.0, -1.0], [-2.0, 1.0]]))
    >>> steps = eq.methods.iterate(game, "extragradient", step=0.5)
    >>> [round(float(s.z[0]), 3) for _, _, s in itertools.islice(steps, 4)]
    [0.5, 0.656, 0.156, 1.0]
    """
    entry = get_method(method)
    configured = entry if isinstance(entry, Method) else entry.configure(problem, **options)
    oracle = Oracle(problem)
    z0 = problem.initial_point() if x0 is None else problem.check_point("x0", x0)
    state = configured.init(problem, oracle, z0)
    while True:
        yield configured, oracle, state
        state = configured.step(problem, oracle, state)


def _has_batch_loop(entry, problem) -> bool:
    try:
        return entry.configure(problem).batched(problem) is not None
    except (TypeError, ValueError):
        return False


class _Loop:
    """One solve: checkpoints from the engine; time limit, callback, progress, history."""

    def __init__(self, engine, tol, max_iter, time_limit, callback, progress):
        self.engine, self.tol, self.max_iter = engine, tol, max_iter
        self.time_limit, self.callback, self.progress = time_limit, callback, progress
        self.history = {"iteration": [], "residual": [], "elapsed": [], "oracle_calls": []}

    def timed_out(self) -> bool:
        return time.perf_counter() - self.start >= self.time_limit

    def record(self, cp: Checkpoint) -> float:
        elapsed = time.perf_counter() - self.start
        h = self.history
        h["iteration"].append(cp.iteration)
        h["residual"].append(cp.residual)
        h["elapsed"].append(elapsed)
        h["oracle_calls"].append(cp.oracle_calls)
        for key, value in cp.extra.items():
            h.setdefault(key, []).append(value)
        return elapsed

    def run(self, warns):
        self.start = time.perf_counter()
        engine = self.engine
        cp = engine.start()
        self.record(cp)
        status = engine.done()
        bar = None
        if self.progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=self.max_iter, desc=engine.label, unit="it")
        try:
            while status is None:
                status, cp = engine.advance(self.timed_out)
                if cp is None:
                    break
                elapsed = self.record(cp)
                if bar is not None:
                    bar.update(cp.iteration - bar.n)
                    bar.set_postfix(residual=f"{cp.residual:.2e}", **engine.postfix())
                if status is not None:
                    break
                if self.timed_out():
                    status = "time_limit"
                elif self.callback is not None and self.callback(Progress(
                        cp.iteration, cp.residual, cp.z, cp.certificate, elapsed,
                        cp.oracle_calls)):
                    status = "stopped"
                else:
                    engine.proceed()
        finally:
            if bar is not None:
                bar.close()
        return engine.result(status, self.history, time.perf_counter() - self.start, warns)


class _Single:
    """Steps one problem: checkpoints, the best certified point, restarts."""

    def __init__(self, problem, method, traits, z0, output, tol, max_iter, check_every,
                 restart_factor, warns):
        self.problem, self.method, self.traits = problem, method, traits
        self.z0, self.output, self.tol, self.max_iter = z0, output, tol, max_iter
        self.check_every, self.restart_factor, self.warns = check_every, restart_factor, warns
        self.oracle = Oracle(problem)
        self.certify_calls = 0  # evaluations spent on certification only
        self.restarts = 0
        self.label = method.name
        self.finite_sum = problem.n_components is not None
        self.counters0 = problem.counters()  # work outside the oracle (passes over A)
        self.terminal_info = {}  # the evidence of a Terminated step (a ray)
        self.floor = None  # set when tol lies below the certificate's rounding floor

    def interval(self, k: int) -> int:
        if self.traits.certify_every_iteration:
            return 1
        return max(self.traits.min_certify_interval, auto_interval(k))

    def certify(self):
        """Certify the candidates allowed by ``output``; the best as ``(cert, name, Candidate)``.

        A candidate without ``F(z)`` (or the quantities of ``certify_with``) is
        certified by the problem itself, which makes the evaluations it needs:
        counted as one certification call.
        """
        cands = self.method.candidates(self.state)
        names = ([self.output] if self.output != "best"
                 else [n for n in ("last", "average") if n in cands])
        best = None
        for name in names:
            at = cands[name]
            if not all_finite(namespace(at.z), at.z):
                continue
            if at.Fz is None and at.certify_with is None:
                self.certify_calls += 1
            cert = self.problem.certify(at.z, Fz=at.Fz, point=name, **(at.certify_with or {}))
            if best is None or not (cert.value >= best[0].value):
                best = (cert, name, at)
        return best

    def checkpoint(self, k, cert, at) -> Checkpoint:
        extra = {"component_calls": self.oracle.component_calls()} if self.finite_sum else {}
        return Checkpoint(k, cert.value, at.z, cert, self.oracle.calls, extra)

    def start(self) -> Checkpoint:
        self.state = self.method.init(self.problem, self.oracle, self.z0)
        best = self.certify()
        if best is None:
            raise ValueError("the operator is not finite at the starting point x0")
        self.state = self.method.observe(self.state, best[0], self.tol)
        self.best, self.best_k, self.cand = best, 0, best
        self.ref = best[0].value  # residual at the last (re)start
        self.k, self.epoch_start, self.next_check = 0, 0, self.check_every or 1
        return self.checkpoint(0, best[0], best[2])

    def done(self):
        if self.best[0].value <= self.tol:
            return "converged"
        return "tol_below_floor" if self.floor is not None else None

    def postfix(self) -> dict:
        return {}

    def advance(self, timed_out):
        """Step to the next checkpoint: ``(terminal status or None, checkpoint or None)``."""
        try:
            return self._advance(timed_out)
        except ComputeInterrupted as exc:
            # the engine behind the products failed: end with the best point certified so far
            self.warns.append(str(exc))
            return "interrupted", None

    def _advance(self, timed_out):
        method, problem = self.method, self.problem
        while True:
            if self.k >= self.max_iter:
                return "max_iter", None
            try:
                self.state = method.step(problem, self.oracle, self.state)
            except NonFiniteError:
                return "diverged", None
            except (StepCollapsedError, Terminated) as exc:
                if isinstance(exc, Terminated):
                    # the method proved there is nothing to converge to
                    status = exc.status
                    self.warns.append(exc.message)
                    self.terminal_info = exc.info
                else:
                    status = "stalled"
                    if str(exc):  # the method says why it cannot progress (e.g. a cycle)
                        self.warns.append(str(exc))
                cand = self.certify()
                if cand is not None and cand[0].value < self.best[0].value:
                    self.best, self.best_k = cand, self.k
                    return status, self.checkpoint(self.k, cand[0], cand[2])
                return status, None
            self.k += 1
            k = self.k
            if not (k >= self.next_check or k == self.max_iter or timed_out()
                    or method.certify_now(self.state)):
                continue
            cand = self.certify()
            if cand is None or not math.isfinite(cand[0].value):
                return "diverged", None
            self.state = method.observe(self.state, cand[0], self.tol)
            if cand[0].value <= self.best[0].value:
                # return the best certified point seen, not merely the latest
                self.best, self.best_k = cand, k
            self.cand = cand
            self.next_check = k + (self.check_every or self.interval(k))
            cp = self.checkpoint(k, cand[0], cand[2])
            return ("converged" if cand[0].value <= self.tol else None), cp

    def proceed(self):
        """Restart from the latest certified candidate when it improved enough."""
        if self.restart_factor is None or self.k >= self.max_iter:
            return
        cert, name, at = self.cand
        k = self.k
        long_epoch = (k - self.epoch_start >= self.traits.artificial_restart * k
                      and cert.value < self.ref and k >= MIN_EPOCH)
        if not (cert.value <= self.restart_factor * self.ref or long_epoch):
            return
        # restart from the better-certified candidate (average or last) when the
        # certified residual fell enough, or (as PDLP does) when the epoch has
        # grown long while still improving on its start
        if at.Fz is None:
            self.certify_calls += 1
            at = Candidate(at.z, self.problem.operator(at.z))
        self.state = self.method.restart(self.problem, self.oracle, self.state, name, at)
        self.ref = cert.value
        self.epoch_start = k
        self.restarts += 1

    def result(self, status, history, elapsed, warns):
        cert, _, at = self.best
        info = self.method.diagnostics(self.state)
        info["certified_iteration"] = self.best_k
        info.update(self.terminal_info)
        if self.floor is not None:
            info["rounding_floor"] = self.floor
        cert, extra = self.method.finalize(self.problem, cert, at)
        info.update(extra)
        if self.restart_factor is not None:
            info["restarts"] = self.restarts
        for key, total in self.problem.counters().items():
            info[key] = total - self.counters0.get(key, 0)
        if self.finite_sum:
            # finite sums: cost in component evaluations (a full pass is n of them)
            info["component_calls"] = self.oracle.component_calls()
            info["certify_component_calls"] = self.problem.n_components * self.certify_calls
        return make_result(self.problem, self.method.name, cert, at.z, at.Fz, status=status,
                           tol=self.tol, iterations=self.k, oracle_calls=self.oracle.calls,
                           certify_calls=self.certify_calls, elapsed=elapsed, history=history,
                           warnings=warns, info=info)
