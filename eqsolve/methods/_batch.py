"""The driver loop for a batch of games: all advance together, each stops on its own.

Used when a problem carries a leading batch dimension (``problem.batch = B``,
e.g. ``MatrixGame`` of a ``(B, m, n)`` stack) and the method implements the
batched interface (``batch_ok``, ``batch_configure``, ``batch_init``, ``batch_advance``,
``batch_best``, ``batch_calls``, ``batch_diagnostics``) and the problem gives
each game as ``problem.game(b)``.
Every game is certified after every one of its iterations from the products
the step made (free), and keeps its best certified point.  The method advances
the running games by chunks of ``CHUNK`` iterations (each game stops inside a
chunk when it reaches ``tol``); between chunks this loop checks the time limit
and the callback and freezes the games that are done -- checked again by the
single-game certificate, the one the user gets: a frozen game's point,
certificate, iteration count and status no longer change.  ``oracle_calls``
counts product pairs summed over the games.  The returned :class:`~eqsolve.result.Result` holds the stacked
points, one :class:`~eqsolve.result.Result` per game in ``games``, and as its
own certificate the worst game's.
"""

from __future__ import annotations

import time

import numpy as np

from ..backend import backend_name, namespace
from ..certificates import Certificate
from ..result import Result

__all__ = ["run_batched", "advance_by_mask"]


def _host(a):
    return np.asarray(a.get() if hasattr(a, "get") else a)


def _row(F, b):
    """Row ``b`` of a stack of operator values, or ``None`` when the method keeps none."""
    return None if F is None else F[b, ...]


def advance_by_mask(s, active, steps, tol, max_iter, step, gaps, best):
    """Up to ``steps`` lock-step iterations of the games still running, the others masked.

    The reference form of ``batch_advance`` shared by the batched methods: a game
    runs while it is ``active``, above its ``tol``, under ``max_iter`` and finite.
    ``step(run)`` advances the running games of the state ``s`` in place (and
    their ``s.it``), ``gaps()`` certifies every game's current point, and ``best``
    maps each field holding the best point to the field it is copied from.
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


#: iterations per game between two visits of the loop (time limit, callback, freezing)
CHUNK = 32


def run_batched(problem, method, *, z0, tol, max_iter, time_limit, callback, progress, cfg,
                warns):
    from ._driver import Progress

    xp = problem.xp
    B = problem.batch
    start = time.perf_counter()
    s = method.batch_init(problem, z0, cfg)
    tol_b = np.full(B, tol)  # lowered for a game whose exact check disagrees by rounding
    status = np.array([None] * B, dtype=object)
    active = np.ones(B, dtype=bool)
    history = {"iteration": [], "residual": [], "elapsed": [], "oracle_calls": [], "running": []}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=max_iter, desc=f"{method.name} x{B}", unit="it")

    def settle():
        """Freeze the games that are done; return the host copies of the per-game counters."""
        best_gap, it, bad = _host(s.best_gap), _host(s.it), _host(s.bad)
        for b in np.flatnonzero(active & (best_gap <= tol_b)):
            # the certificate the user gets decides, not the vectorized one
            z, Fz = method.batch_best(s)
            cert = problem.game(int(b)).certify(z[b, ...], Fz=_row(Fz, b), point="last")
            if cert.value <= tol:
                active[b], status[b] = False, "converged"
            else:
                tol_b[b] = 0.5 * best_gap[b]
        for b in np.flatnonzero(active & (bad != 0)):
            active[b], status[b] = False, "diverged"
        for b in np.flatnonzero(active & (it >= max_iter)):
            active[b], status[b] = False, "max_iter"
        return best_gap, it

    def record(best_gap, it):
        h = history
        h["iteration"].append(int(it.max()))
        h["residual"].append(float(best_gap.max()))
        h["elapsed"].append(time.perf_counter() - start)
        h["oracle_calls"].append(sum(method.batch_calls(s, b) for b in range(B)))
        h["running"].append(int(active.sum()))

    record(*settle())
    try:
        while active.any():
            if time.perf_counter() - start >= time_limit:
                status[active] = "time_limit"
                break
            method.batch_advance(problem, s, active, CHUNK, tol_b, max_iter, cfg)
            best_gap, it = settle()
            record(best_gap, it)
            if bar is not None:
                bar.update(int(it.max()) - bar.n)
                bar.set_postfix(running=int(active.sum()), residual=f"{best_gap.max():.2e}")
            if active.any() and callback is not None and callback(Progress(
                    int(it.max()), float(best_gap.max()), method.batch_best(s)[0], None,
                    time.perf_counter() - start, history["oracle_calls"][-1])):
                status[active] = "stopped"
                break
    finally:
        if bar is not None:
            bar.close()
    elapsed = time.perf_counter() - start
    Z, FZ = method.batch_best(s)
    it, best_it = _host(s.it), _host(s.best_it)
    games = []
    for b in range(B):
        g = problem.game(b)
        cert = g.certify(Z[b, ...], Fz=_row(FZ, b), point="last")
        parts = g.split(Z[b, ...])
        info = method.batch_diagnostics(s, b)
        info["certified_iteration"] = int(best_it[b])
        calls = method.batch_calls(s, b)
        games.append(Result(z=Z[b, ...], certificate=cert, status=str(status[b]), tol=tol,
                            method=method.name, backend=backend_name(namespace(Z)),
                            iterations=int(it[b]), oracle_calls=calls, elapsed=elapsed,
                            x=parts.get("x"), y=parts.get("y"),
                            value=g.value(Z[b, ...], Fz=_row(FZ, b), certificate=cert),
                            warnings=list(warns), info=info))
    # a running game's residual exceeds tol (else it would be frozen), so the
    # worst game is a running one whenever any is left
    worst = max(range(B), key=lambda b: games[b].residual)
    worst_cert = games[worst].certificate
    cert = Certificate(worst_cert.kind, worst_cert.value, "last", worst_cert.rounding,
                       {"games": [r.certificate for r in games], "worst_game": worst})
    stacked = {k: xp.stack([getattr(r, k) for r in games]) for k in ("x", "y")
               if games[0].__dict__[k] is not None}
    values = [r.value for r in games]
    return Result(z=Z, certificate=cert, status=games[worst].status, tol=tol, method=method.name,
                  backend=backend_name(namespace(Z)), iterations=int(it.max()),
                  oracle_calls=sum(r.oracle_calls for r in games), elapsed=elapsed,
                  x=stacked.get("x"), y=stacked.get("y"),
                  value=None if values[0] is None else np.array(values), history=history,
                  warnings=list(warns),
                  info={"converged_games": int(sum(r.converged for r in games)),
                        "running_at_end": int(active.sum())},
                  games=games)
