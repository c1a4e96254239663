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
against the array API (NumPy, CuPy), is the reference; with ``backend="numba"``
the fused kernel :func:`eqsolve.methods._numba_kernels.halpern_pdhg_batch`
updates only the games still running, in parallel over games.  The reference
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
from ..certificates.residuals import gamma

__all__ = ["BatchedHalpernPDHG", "project_rows", "batch_power_norm"]

_FIELDS = ("x", "y", "ATx", "Ay", "ax", "ay", "aATx", "aAy", "tx", "ty", "tATx", "tAy")


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


def batch_power_norm(xp, A, iters: int):
    """Per-game estimates of ``||A_b||_2`` by ``iters`` batched power iterations."""
    B, _, n = A.shape
    v = xp.cos(xp.arange(n, dtype=A.dtype) * 2.399963) + 1.5
    v = xp.broadcast_to(v, (B, n)) * 1.0
    est = xp.zeros((B,), dtype=A.dtype)
    for _ in range(iters):
        w = _ATx(xp, A, _Ay(xp, A, v))
        nw = xp.linalg.vector_norm(w, axis=1)
        est = xp.where(nw > 0, nw / xp.linalg.vector_norm(v, axis=1), est)
        v = w / xp.where(nw > 0, nw, xp.ones_like(nw))[:, None]
    return xp.sqrt(est)


class BatchedHalpernPDHG:
    """Batched state and steps of the Halpern PDHG variant (used by ``pdhg`` on a batch)."""

    def batch_init(self, problem, Z0, cfg):
        xp, A = problem.xp, problem.A
        m = problem.m
        norms = batch_power_norm(xp, A, cfg.power_iters)
        step = (xp.full(norms.shape, cfg.tau0, dtype=A.dtype) if cfg.tau0 is not None else
                xp.where(norms > 0, 0.98 / xp.where(norms > 0, norms, xp.ones_like(norms)),
                         xp.ones_like(norms)))
        x, y = Z0[:, :m] * 1.0, Z0[:, m:] * 1.0
        ATx, Ay = _ATx(xp, A, x), _Ay(xp, A, y)
        B = problem.batch
        s = SimpleNamespace(
            x=x, y=y, ATx=ATx, Ay=Ay, ax=x * 1.0, ay=y * 1.0, aATx=ATx * 1.0, aAy=Ay * 1.0,
            tx=x * 1.0, ty=y * 1.0, tATx=ATx * 1.0, tAy=Ay * 1.0,
            k=xp.zeros((B,), dtype=xp.int64), step=step,
            ref=xp.full((B,), math.inf, dtype=A.dtype), epoch=xp.zeros((B,), dtype=xp.int64),
            restarts=xp.zeros((B,), dtype=xp.int64), it=0,
            amax=xp.asarray(problem.amax, dtype=A.dtype), calls=cfg.power_iters + 1)
        s.stats = self._stats(xp, s)
        return s

    @staticmethod
    def _stats(xp, s):
        zero = xp.zeros_like
        return xp.stack([xp.max(s.tAy, axis=1), xp.min(s.tATx, axis=1),
                         xp.sum(xp.maximum(-s.tx, zero(s.tx)), axis=1), xp.sum(s.tx, axis=1),
                         xp.sum(xp.maximum(-s.ty, zero(s.ty)), axis=1), xp.sum(s.ty, axis=1)],
                        axis=1)

    @staticmethod
    def batch_gaps(problem, s):
        """Certified duality gaps of every game's current point ``T(z_k)`` (vectorized).

        The same bound as :func:`eqsolve.certificates.matrix_game_gap`: the computed
        gap plus the rounding allowance of the products and of the simplex defect.
        """
        xp = namespace(s.x)
        st = s.stats
        up, lo = st[:, 0], st[:, 1]
        defect = (2.0 * st[:, 2] + xp.abs(st[:, 3] - 1.0)) + (2.0 * st[:, 4] + xp.abs(st[:, 5] - 1.0))
        eps = finfo_eps(xp, s.tx.dtype)
        g = gamma(problem.n, eps) + gamma(problem.m, eps)
        rounding = s.amax * (g * (1.0 + defect) + defect) + eps * (xp.abs(up) + xp.abs(lo))
        return up - lo + rounding

    def batch_step(self, problem, s, active, active_idx, cfg):
        if cfg.backend == "numba":
            from ._numba_kernels import halpern_pdhg_batch

            stats = np.empty((s.x.shape[0], 7), dtype=s.x.dtype)
            stats[:, :6] = s.stats
            s.it += 1
            halpern_pdhg_batch(problem.A, active_idx, s.x, s.y, s.ATx, s.Ay, s.ax, s.ay, s.aATx,
                               s.aAy, s.tx, s.ty, s.tATx, s.tAy, s.k, s.step, s.ref, s.epoch,
                               s.restarts, s.it, cfg.rho, cfg.beta, stats)
            s.stats = stats[:, :6]
            s.calls += 1
            return s
        return self.step_numpy(problem, s, active, cfg)

    def step_numpy(self, problem, s, active, cfg):
        """Reference step: every game computed, only the ``active`` ones updated."""
        xp, A = namespace(s.x), problem.A
        rho, beta = cfg.rho, cfg.beta
        tau = s.step[:, None]
        y1 = project_rows(xp, s.y - tau * s.ATx)
        Ay1 = _Ay(xp, A, y1)
        x1 = project_rows(xp, s.x + tau * (2.0 * Ay1 - s.Ay))
        ATx1 = _ATx(xp, A, x1)
        dx, dy = x1 - s.x, y1 - s.y
        r2 = (xp.sum(dx * dx, axis=1) / s.step + xp.sum(dy * dy, axis=1) / s.step
              - 2.0 * xp.sum(dx * (Ay1 - s.Ay), axis=1))
        r = xp.sqrt(xp.maximum(r2, xp.zeros_like(r2)))
        it = s.it + 1
        ref = xp.where(s.ref == math.inf, r, s.ref)
        restart = (r <= beta * ref) | ((it - s.epoch >= 0.36 * it) & (it > 64))
        # the integer counter would promote float32 iterates to float64
        cw = xp.astype((s.k + 1.0) / (s.k + 2.0), s.x.dtype)[:, None]
        R = restart[:, None]
        t = (x1, y1, ATx1, Ay1)
        new = {}
        for name, tv, old, anc in zip(("x", "y", "ATx", "Ay"), t, (s.x, s.y, s.ATx, s.Ay),
                                      (s.ax, s.ay, s.aATx, s.aAy)):
            halpern = cw * ((1.0 + rho) * tv - rho * old) + (1.0 - cw) * anc
            new[name] = xp.where(R, tv, halpern)
            new["a" + name] = xp.where(R, tv, anc)
            new["t" + name] = tv
        new["k"] = xp.where(restart, xp.zeros_like(s.k), s.k + 1)
        new["ref"] = xp.where(restart, r, ref)
        new["epoch"] = xp.where(restart, xp.full_like(s.epoch, it), s.epoch)
        new["restarts"] = s.restarts + xp.astype(restart, s.restarts.dtype)
        act = active[:, None]
        for name in _FIELDS:
            setattr(s, name, xp.where(act, new[name], getattr(s, name)))
        for name in ("k", "ref", "epoch", "restarts"):
            setattr(s, name, xp.where(active, new[name], getattr(s, name)))
        s.stats = xp.where(act, self._stats(xp, s), s.stats)
        s.it = it
        s.calls += 1
        return s

    @staticmethod
    def batch_point(s, b):
        """Game ``b``'s certified point ``T(z_k)`` and ``F`` there, as joint vectors."""
        xp = namespace(s.x)
        return (xp.concat([s.tx[b, ...], s.ty[b, ...]]),
                xp.concat([-s.tAy[b, ...], s.tATx[b, ...]]))

    @staticmethod
    def batch_points(s):
        """Every game's certified point and ``F`` there, as ``(B, m + n)`` stacks."""
        xp = namespace(s.x)
        return xp.concat([s.tx, s.ty], axis=1), xp.concat([-s.tAy, s.tATx], axis=1)

    @staticmethod
    def batch_diagnostics(s, b):
        return {"variant": "halpern", "step": to_float(s.step[b]),
                "inner_restarts": int(to_float(s.restarts[b]))}
