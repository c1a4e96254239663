"""The driver loop for a batch of games: all advance together, each stops on its own.

Used when a problem carries a leading batch dimension (``problem.batch = B``,
e.g. ``MatrixGame`` of a ``(B, m, n)`` stack) and the method implements the
batched interface (``batch_configure``, ``batch_init``, ``batch_step``,
``batch_gaps``, ``batch_points``, ``batch_point``, ``batch_diagnostics``).
Every game is certified after every iteration from the products the step made
(free); a game whose certified residual is at most ``tol`` -- checked again by
the single-game certificate, the one the user gets -- is frozen: its point,
certificate, iteration count and status no longer change.  The loop ends when
no game is running, or at ``max_iter`` / ``time_limit`` for those still
running.  The returned :class:`~eqsolve.result.Result` holds the stacked
points, one :class:`~eqsolve.result.Result` per game in ``games``, and as its
own certificate the worst game's.
"""

from __future__ import annotations

import time

import numpy as np

from ..backend import backend_name, namespace
from ..certificates import Certificate
from ..result import Result

__all__ = ["run_batched"]


def _host(xp, a):
    return np.asarray(a.get() if hasattr(a, "get") else a)


def run_batched(problem, method, *, z0, tol, max_iter, time_limit, callback, progress, cfg,
                warns):
    from ._driver import Progress

    xp = problem.xp
    B = problem.batch
    start = time.perf_counter()
    state = method.batch_init(problem, z0, cfg)
    gaps = _host(xp, method.batch_gaps(problem, state))
    Z, FZ = method.batch_points(state)
    best_gap = gaps.copy()
    best_Z, best_FZ = Z * 1.0, FZ * 1.0
    best_it = np.zeros(B, dtype=np.int64)
    status = np.array([None] * B, dtype=object)
    stop_it = np.zeros(B, dtype=np.int64)
    active = np.ones(B, dtype=bool)
    history = {"iteration": [], "residual": [], "elapsed": [], "oracle_calls": [], "running": []}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=max_iter, desc=f"{method.name} x{B}", unit="it")

    def freeze(k):
        nonlocal active
        for b in np.flatnonzero(active & (best_gap <= tol)):
            # the user's certificate decides, not the vectorized one
            cert = problem.game(int(b)).certify(best_Z[b, ...], Fz=best_FZ[b, ...], point="last")
            if cert.value <= tol:
                active[b] = False
                status[b], stop_it[b] = "converged", k

    def record(k):
        h = history
        h["iteration"].append(k)
        h["residual"].append(float(best_gap.max()))
        h["elapsed"].append(time.perf_counter() - start)
        h["oracle_calls"].append(state.calls)
        h["running"].append(int(active.sum()))

    freeze(0)
    record(0)
    k, next_record = 0, 1
    try:
        while active.any():
            if k >= max_iter:
                status[active], stop_it[active] = "max_iter", k
                break
            if time.perf_counter() - start >= time_limit:
                status[active], stop_it[active] = "time_limit", k
                break
            act_x = xp.asarray(active) if backend_name(xp) != "numpy" else active
            state = method.batch_step(problem, state, act_x, np.flatnonzero(active), cfg)
            k += 1
            gaps = _host(xp, method.batch_gaps(problem, state))
            finite = np.isfinite(gaps)
            bad = active & ~finite
            if bad.any():
                status[bad], stop_it[bad] = "diverged", k
                active &= finite
            better = active & (gaps < best_gap)
            if better.any():
                Z, FZ = method.batch_points(state)
                sel = xp.asarray(better)[:, None] if backend_name(xp) != "numpy" else better[:, None]
                best_Z = xp.where(sel, Z, best_Z)
                best_FZ = xp.where(sel, FZ, best_FZ)
                best_gap = np.where(better, gaps, best_gap)
                best_it[better] = k
            freeze(k)
            if k >= next_record or not active.any():
                record(k)
                next_record = k + max(1, min(100, k // 20))
                if bar is not None:
                    bar.update(k - bar.n)
                    bar.set_postfix(running=int(active.sum()), residual=f"{best_gap.max():.2e}")
                if callback is not None and callback(Progress(k, float(best_gap.max()), best_Z,
                                                              None, time.perf_counter() - start,
                                                              state.calls)):
                    status[active], stop_it[active] = "stopped", k
                    break
    finally:
        if bar is not None:
            bar.close()
    elapsed = time.perf_counter() - start
    games = []
    for b in range(B):
        g = problem.game(b)
        cert = g.certify(best_Z[b, ...], Fz=best_FZ[b, ...], point="last")
        parts = g.split(best_Z[b, ...])
        info = method.batch_diagnostics(state, b)
        info["certified_iteration"] = int(best_it[b])
        games.append(Result(z=best_Z[b, ...], certificate=cert, status=str(status[b]), tol=tol,
                            method=method.name, backend=backend_name(namespace(best_Z)),
                            iterations=int(stop_it[b]), oracle_calls=int(stop_it[b]) + cfg.power_iters + 1,
                            elapsed=elapsed, x=parts["x"], y=parts["y"],
                            value=g.value(best_Z[b, ...], Fz=best_FZ[b, ...], certificate=cert),
                            warnings=list(warns), info=info))
    # a running game's residual exceeds tol (else it would be frozen), so the
    # worst game is a running one whenever any is left
    worst = max(range(B), key=lambda b: games[b].residual)
    overall = games[worst].status
    worst_cert = games[worst].certificate
    cert = Certificate("duality_gap", worst_cert.value, "last", worst_cert.rounding,
                       {"games": [r.certificate for r in games], "worst_game": worst})
    m = problem.m
    return Result(z=best_Z, certificate=cert, status=overall, tol=tol, method=method.name,
                  backend=backend_name(namespace(best_Z)), iterations=k,
                  oracle_calls=state.calls, elapsed=elapsed, x=best_Z[:, :m], y=best_Z[:, m:],
                  value=np.array([r.value for r in games]), history=history,
                  warnings=list(warns),
                  info={"converged_games": int(sum(r.converged for r in games)),
                        "running_at_end": int(active.sum())},
                  games=games)
