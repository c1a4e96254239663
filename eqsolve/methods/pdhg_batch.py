"""Reflected restarted Halpern PDHG on a batch of matrix games, stopped per game.

The update of each game is the one of :mod:`eqsolve.methods.pdhg_halpern`:
with :math:`T` one PDHG step at :math:`\\tau_b = \\sigma_b = 0.98/\\|A_b\\|_2`,

.. math:: z^b_{k+1} = \\tfrac{k_b+1}{k_b+2}\\big((1+\\rho)\\,T(z^b_k) - \\rho z^b_k\\big)
   + \\tfrac{1}{k_b+2} z^b_0,

restarted per game when its fixed-point residual has fallen by ``beta``.  The
games advance together (one batched product with ``A`` and one with
:math:`A^\\top` per iteration), each certifies its own :math:`T(z^b_k)` from
those products (free), and a game whose certified gap reaches ``tol`` is frozen
-- its point and certificate no longer change.

Two paths compute the same step: :meth:`BatchedHalpernPDHG.step_numpy`, written
against the array API (NumPy, CuPy) with the functions of
:mod:`eqsolve.methods.pdhg_halpern` that the single-game method uses too, is
the reference; with ``backend="numba"``
the fused kernel :func:`eqsolve.methods._numba_kernels.halpern_pdhg_run`
advances each running game by a chunk of iterations on its own (in parallel
over games), so a long tail of hard games costs only their own iterations.  The reference
path computes every game at every iteration and keeps the frozen ones with a
mask, so that it never copies ``A``.

References
----------
.. [1] H. Lu and J. Yang, "Restarted Halpern PDHG for linear programming",
   arXiv:2407.16144 (2024).
.. [2] A. Chambolle and T. Pock, J. Math. Imaging Vis. 40 (2011) 120-145.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from ..backend import finfo_eps, namespace, to_float
from ..certificates.residuals import gamma, gap_allowance, simplex_defect
from ._batch import advance_by_mask
from .base import BatchMethod
from .pdhg_halpern import (RESTART_BETA, halpern_combination, halpern_step_size, metric_residual2,
                           pdhg_step, power_norm, power_start, restart_due, tangent_normal)

__all__ = ["BatchedHalpernPDHG", "project_rows"]

_FIELDS = ("x", "y", "ATx", "Ay", "ax", "ay", "aATx", "aAy", "tx", "ty", "tATx", "tAy")
_SCALARS = ("k", "ref", "epoch", "restarts", "it")
_STATE = _FIELDS + _SCALARS + ("step",)


def project_rows(xp, V, radius: float = 1.0):
    """Project each row of ``V`` onto the simplex (the batched form of ``Simplex.project``)."""
    u = xp.sort(V, axis=-1, descending=True)
    ks = xp.arange(1, V.shape[-1] + 1, dtype=V.dtype)
    theta = xp.max((xp.cumulative_sum(u, axis=-1) - radius) / ks, axis=-1, keepdims=True)
    return xp.maximum(V - theta, xp.zeros_like(V))


def _Ay(xp, A, y):
    return xp.matmul(A, y[:, :, None])[:, :, 0]


def _ATx(xp, A, x):
    return xp.matmul(x[:, None, :], A)[:, 0, :]


def _halpern_arrays(xp, A, s, rho):
    """One reflected Halpern PDHG iteration of every game in the stack ``A`` (state dict ``s``)."""
    step = s["step"]
    tau = step[:, None]
    x1, y1, ATx1, Ay1 = pdhg_step(s["x"], s["y"], s["ATx"], s["Ay"], tau, tau,
                                  lambda v: project_rows(xp, v), lambda v: project_rows(xp, v),
                                  lambda y: _Ay(xp, A, y), lambda x: _ATx(xp, A, x))
    r2 = metric_residual2(xp, x1 - s["x"], y1 - s["y"], Ay1 - s["Ay"], tau, tau)
    r = xp.sqrt(xp.maximum(r2, xp.zeros_like(r2)))
    it = s["it"] + 1
    ref = xp.where(s["ref"] == math.inf, r, s["ref"])
    restart = restart_due(r, ref, it, s["epoch"], RESTART_BETA)
    # the integer counter would promote float32 iterates to float64
    cw = xp.astype((s["k"] + 1.0) / (s["k"] + 2.0), x1.dtype)[:, None]
    R = restart[:, None]
    new = {}
    for name, tv in zip(("x", "y", "ATx", "Ay"), (x1, y1, ATx1, Ay1)):
        old, anc = s[name], s["a" + name]
        new[name] = xp.where(R, tv, halpern_combination(cw, tv, old, anc, rho))
        new["a" + name] = xp.where(R, tv, anc)
        new["t" + name] = tv
    new["k"] = xp.where(restart, xp.zeros_like(s["k"]), s["k"] + 1)
    new["ref"] = xp.where(restart, r, ref)
    new["epoch"] = xp.where(restart, it, s["epoch"])
    new["restarts"] = s["restarts"] + xp.astype(restart, s["restarts"].dtype)
    new["it"] = it
    return new


class BatchedHalpernPDHG(BatchMethod):
    """Batched state and steps of Halpern PDHG (``pdhg`` on a batch of matrix games).

    The state keeps, per game, the iterate, the anchor, ``T(z_k)`` with its
    products, the iteration count ``it``, and the best certified point so far
    (``bx, by, bATx, bAy`` with its gap ``best_gap`` and iteration ``best_it``).
    It holds the configured method (its reflection, power iterations, step and
    backend).
    """

    def __init__(self, method):
        self.method = method

    def init(self, problem, Z0):
        xp, A, method = problem.xp, problem.A, self.method
        m, B = problem.m, problem.batch
        start = xp.broadcast_to(power_start(xp, problem.n, A.dtype), (B, problem.n)) * 1.0
        # the norm on the directions that keep the strategies' sums: offset invariant
        normal = tangent_normal(xp, lambda y: _Ay(xp, A, y), lambda x: _ATx(xp, A, x))
        norms = power_norm(xp, normal, start, method.power_iters)
        step = (xp.full(norms.shape, method.step_size, dtype=A.dtype) if method.step_size is not None
                else halpern_step_size(xp, norms))
        x, y = Z0[:, :m] * 1.0, Z0[:, m:] * 1.0
        ATx, Ay = _ATx(xp, A, x), _Ay(xp, A, y)
        s = SimpleNamespace(
            x=x, y=y, ATx=ATx, Ay=Ay, ax=x * 1.0, ay=y * 1.0, aATx=ATx * 1.0, aAy=Ay * 1.0,
            tx=x * 1.0, ty=y * 1.0, tATx=ATx * 1.0, tAy=Ay * 1.0,
            k=xp.zeros((B,), dtype=xp.int64), step=step,
            ref=xp.full((B,), math.inf, dtype=A.dtype), epoch=xp.zeros((B,), dtype=xp.int64),
            restarts=xp.zeros((B,), dtype=xp.int64), it=xp.zeros((B,), dtype=xp.int64),
            amax=xp.asarray(problem.amax, dtype=A.dtype), setup_calls=method.power_iters + 1,
            bad=xp.zeros((B,), dtype=xp.int64))
        s.best_gap = self.gaps(problem, s)
        s.bx, s.by, s.bATx, s.bAy = x * 1.0, y * 1.0, ATx * 1.0, Ay * 1.0
        s.best_it = xp.zeros((B,), dtype=xp.int64)
        return s

    @staticmethod
    def gaps(problem, s):
        """Certified duality gaps of every game's current point ``T(z_k)`` (vectorised).

        The bound of :func:`eqsolve.certificates.matrix_game_gap`: the computed
        gap plus :func:`~eqsolve.certificates.residuals.gap_allowance`.
        """
        xp = namespace(s.tx)
        up, lo = xp.max(s.tAy, axis=1), xp.min(s.tATx, axis=1)
        defect = simplex_defect(xp, s.tx) + simplex_defect(xp, s.ty)
        eps = finfo_eps(xp, s.tx.dtype)
        return up - lo + gap_allowance(s.amax, defect, up, lo, problem.m, problem.n, eps)

    def advance(self, problem, s, active, steps, tol, max_iter):
        """Up to ``steps`` iterations of each ``active`` game (host bool mask) that is still
        above its ``tol`` (per game), under ``max_iter`` and finite."""
        method = self.method
        if method.backend == "numba":
            from ._numba_kernels import halpern_pdhg_run

            eps = finfo_eps(namespace(s.x), s.x.dtype)
            # the kernel's compiled copy of gap_allowance takes gamma_n + gamma_m
            g = gamma(problem.n, eps) + gamma(problem.m, eps)
            halpern_pdhg_run(problem.A, np.flatnonzero(active), steps, tol, max_iter, s.x, s.y,
                             s.ATx, s.Ay, s.ax, s.ay, s.aATx, s.aAy, s.tx, s.ty, s.tATx, s.tAy,
                             s.k, s.step, s.ref, s.epoch, s.restarts, s.it, s.best_gap, s.bx,
                             s.by, s.bATx, s.bAy, s.best_it, s.bad, method.reflection,
                             RESTART_BETA, s.amax, g, eps)
            return s
        return advance_by_mask(s, active, steps, tol, max_iter,
                               lambda run: self.step_numpy(problem, s, run),
                               lambda: self.gaps(problem, s),
                               {"bx": "tx", "by": "ty", "bATx": "tATx", "bAy": "tAy"})

    def step_numpy(self, problem, s, active):
        """Reference step of the ``active`` games (a boolean mask); the others do not move.

        While most games run, every game is computed and the finished ones are
        masked out (no copy of ``A``).  Once at most half run, only those are
        computed, on gathered blocks of at most ``B // 8`` games, so a tail of
        hard games costs its own work plus a transient copy of at most 1/8 of
        ``A`` (see docs/design.md).
        """
        xp = namespace(s.x)
        rho = self.method.reflection
        B = s.x.shape[0]
        mask = np.asarray(active.get() if hasattr(active, "get") else active)
        idx = np.flatnonzero(mask)
        if 2 * idx.size > B:
            new = _halpern_arrays(xp, problem.A, {n: getattr(s, n) for n in _STATE}, rho)
            act = active[:, None]
            for name in _FIELDS:
                setattr(s, name, xp.where(act, new[name], getattr(s, name)))
            for name in _SCALARS:
                setattr(s, name, xp.where(active, new[name], getattr(s, name)))
            return s
        size = max(1, B // 8)
        for start in range(0, idx.size, size):
            blk = xp.asarray(idx[start:start + size])
            new = _halpern_arrays(xp, problem.A[blk, ...],
                                  {n: getattr(s, n)[blk, ...] for n in _STATE}, rho)
            for name in _FIELDS + _SCALARS:
                getattr(s, name)[blk, ...] = new[name]
        return s

    def best(self, s):
        """Every game's best certified point and ``F`` there, as ``(B, m + n)`` stacks."""
        xp = namespace(s.x)
        return xp.concat([s.bx, s.by], axis=1), xp.concat([-s.bAy, s.bATx], axis=1)

    def calls(self, s, b):
        """Operator evaluations (product pairs) spent on game ``b``."""
        return int(s.it[b]) + s.setup_calls

    def diagnostics(self, s, b):
        return {"variant": "halpern", "step": to_float(s.step[b]),
                "inner_restarts": int(to_float(s.restarts[b]))}
