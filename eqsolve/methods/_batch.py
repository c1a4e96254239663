"""The batch engine of the driver: a batch of games advances together, each stops on its own.

Used when a problem carries a leading batch dimension (``problem.batch = B``,
e.g. ``MatrixGame`` of a ``(B, m, n)`` stack) and the configured method offers
a :class:`~eqsolve.methods.base.BatchMethod` (``method.batched(problem)``).
Every game is certified after every one of its iterations from the products
the step made (free), and keeps its best certified point.  The stepper
advances the running games by chunks of ``CHUNK`` iterations (each game stops
inside a chunk when it reaches ``tol``); between chunks the driver's loop
checks the time limit and the callback, and this engine freezes the games
that are done -- checked again by the single-game certificate, the one the
user gets: a frozen game's point, certificate, iteration count and status no
longer change.  ``oracle_calls`` counts operator evaluations summed over the
games.  The returned :class:`~eqsolve.result.Result` holds the stacked
points, one :class:`~eqsolve.result.Result` per game in ``games``, and as its
own certificate the worst game's.
"""

from __future__ import annotations

import numpy as np

from ..backend import namespace
from ..certificates import Certificate
from ._checkpoint import Checkpoint, make_result

__all__ = ["Batch", "advance_by_mask", "CHUNK"]

#: iterations per game between two visits of the driver's loop (time limit, callback, freezing)
CHUNK = 32


def _host(a):
    return np.asarray(a.get() if hasattr(a, "get") else a)


def _row(F, b):
    """Row ``b`` of a stack of operator values, or ``None`` when the method keeps none."""
    return None if F is None else F[b, ...]


def advance_by_mask(s, active, steps, tol, max_iter, step, gaps, best):
    """Up to ``steps`` lock-step iterations of the games still running, the others masked.

    The reference form of :meth:`BatchMethod.advance` shared by the batched
    methods: a game runs while it is ``active``, above its ``tol``, under
    ``max_iter`` and finite.  ``step(run)`` advances the running games of the
    state ``s`` in place (and their ``s.it``), ``gaps()`` certifies every
    game's current point, and ``best`` maps each field holding the best point
    to the field it is copied from.
    """
    xp = namespace(s.best_gap)
    tol = xp.asarray(tol, dtype=s.best_gap.dtype)
    run = xp.asarray(active)
    for _ in range(steps):
        run = run & (s.best_gap > tol) & (s.it < max_iter) & (s.bad == 0)
        if not bool(xp.any(run)):
            break
        step(run)
        g = gaps()
        s.bad = xp.where(run & ~xp.isfinite(g), xp.ones_like(s.bad), s.bad)
        better = run & (g < s.best_gap)
        for dst, src in best.items():
            setattr(s, dst, xp.where(better[:, None], getattr(s, src), getattr(s, dst)))
        s.best_gap = xp.where(better, g, s.best_gap)
        s.best_it = xp.where(better, s.it, s.best_it)
    return s


class Batch:
    """The driver's engine for a batch of games stepped by a :class:`BatchMethod`."""

    def __init__(self, problem, method, stepper, z0, tol, max_iter):
        self.problem, self.method, self.stepper = problem, method, stepper
        self.z0, self.tol, self.max_iter = z0, tol, max_iter
        B = problem.batch
        self.label = f"{method.name} x{B}"
        self.tol_b = np.full(B, tol)  # lowered for a game whose exact check disagrees by rounding
        self.status = np.array([None] * B, dtype=object)
        self.active = np.ones(B, dtype=bool)

    def settle(self):
        """Freeze the games that are done; return the host copies of the per-game counters."""
        s, problem, active, status = self.state, self.problem, self.active, self.status
        best_gap, it, bad = _host(s.best_gap), _host(s.it), _host(s.bad)
        done = np.flatnonzero(active & (best_gap <= self.tol_b))
        if done.size:
            z, Fz = self.stepper.best(s)  # stacked once for every game being frozen
        for b in done:
            # the certificate the user gets decides, not the vectorised one
            cert = problem.game(int(b)).certify(z[b, ...], Fz=_row(Fz, b), point="last")
            if cert.value <= self.tol:
                active[b], status[b] = False, "converged"
            else:
                self.tol_b[b] = 0.5 * best_gap[b]
        for b in np.flatnonzero(active & (bad != 0)):
            active[b], status[b] = False, "diverged"
        for b in np.flatnonzero(active & (it >= self.max_iter)):
            active[b], status[b] = False, "max_iter"
        return self.checkpoint(best_gap, it)

    def checkpoint(self, best_gap, it):
        s, B = self.state, self.problem.batch
        worst = int(np.argmax(best_gap))
        cert = Certificate(self.problem.residual_kind, float(best_gap[worst]), "best", 0.0,
                           {"residuals": best_gap.copy(), "worst_game": worst,
                            "running": int(self.active.sum())})
        calls = sum(self.stepper.calls(s, b) for b in range(B))
        return Checkpoint(int(it.max()), float(best_gap[worst]), self.stepper.best(s)[0], cert,
                          calls, {"running": int(self.active.sum())})

    def start(self):
        self.state = self.stepper.init(self.problem, self.z0)
        return self.settle()

    def done(self):
        return None if self.active.any() else "finished"

    def postfix(self) -> dict:
        return {"running": int(self.active.sum())}

    def advance(self, timed_out):
        self.stepper.advance(self.problem, self.state, self.active, CHUNK, self.tol_b,
                             self.max_iter)
        cp = self.settle()
        return self.done(), cp

    def proceed(self):
        """Nothing between chunks: each game restarts itself inside its steps."""

    def result(self, status, history, elapsed, warns):
        problem, stepper, s = self.problem, self.stepper, self.state
        if status not in (None, "finished"):
            self.status[self.active] = status  # time_limit or stopped
        Z, FZ = stepper.best(s)
        it, best_it = _host(s.it), _host(s.best_it)
        xp = namespace(Z)
        games = []
        for b in range(problem.batch):
            g = problem.game(b)
            cert = g.certify(Z[b, ...], Fz=_row(FZ, b), point="last")
            info = stepper.diagnostics(s, b)
            info["certified_iteration"] = int(best_it[b])
            games.append(make_result(g, self.method.name, cert, Z[b, ...], _row(FZ, b),
                                     status=str(self.status[b]), tol=self.tol,
                                     iterations=int(it[b]), oracle_calls=stepper.calls(s, b),
                                     elapsed=elapsed, warnings=warns, info=info))
        # a running game's residual exceeds tol (else it would be frozen), so the
        # worst game is a running one whenever any is left
        worst = max(range(problem.batch), key=lambda b: games[b].residual)
        wc = games[worst].certificate
        cert = Certificate(wc.kind, wc.value, "last", wc.rounding,
                           {"games": [r.certificate for r in games], "worst_game": worst})
        parts = {k: xp.stack([getattr(r, k) for r in games]) for k in ("x", "y")
                 if getattr(games[0], k) is not None}
        values = [r.value for r in games]
        return make_result(problem, self.method.name, cert, Z, FZ, status=games[worst].status,
                           tol=self.tol, iterations=int(it.max()),
                           oracle_calls=sum(r.oracle_calls for r in games), elapsed=elapsed,
                           history=history, warnings=warns, parts=parts,
                           value=None if values[0] is None else np.array(values),
                           info={"converged_games": int(sum(r.converged for r in games)),
                                 "running_at_end": int(self.active.sum())},
                           games=games)
