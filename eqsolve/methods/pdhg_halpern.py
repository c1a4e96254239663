"""Reflected restarted Halpern PDHG for matrix games (the ``pdhg`` default variant).

See :mod:`eqsolve.methods.pdhg` for the update.  Kept apart so that each
variant's state stays small; :class:`HalpernPDHG` is mixed into the
registered ``pdhg`` method, which dispatches on ``variant``.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from ..backend import namespace, to_float
from ._driver import NonFiniteError
from ._kernels import simplex_projector

__all__ = ["HalpernPDHG", "power_norm"]


class HState(NamedTuple):
    x: Any  # z_k (may leave the simplices)
    y: Any
    ATx: Any
    Ay: Any
    anchor: tuple  # (x0, y0, ATx0, Ay0)
    k: int  # iterations since the anchor
    t: tuple  # T(z_k) = (x1, y1, ATx1, Ay1): the certified point
    step: float
    ref: float  # fixed-point residual at the last restart
    epoch: int  # iteration of the last restart
    iteration: int
    restarts: int


def power_norm(problem, iters: int) -> float:
    """Estimate of ``||A||_2`` by ``iters`` power iterations on ``A^T A`` (each one product pair)."""
    xp, A = problem.xp, problem.A
    v = xp.cos(xp.arange(problem.n, dtype=A.dtype) * 2.399963) + 1.5  # deterministic start
    est = 0.0
    for _ in range(iters):
        w = A.T @ (A @ v)
        nrm = to_float(xp.linalg.vector_norm(w))
        if nrm == 0.0:
            return 0.0
        est = nrm / to_float(xp.linalg.vector_norm(v))
        v = w / nrm
    return math.sqrt(est)


class HalpernPDHG:
    """Mixin: the reflected restarted Halpern variant of PDHG."""

    def h_init(self, problem, oracle, z0, cfg):
        m = problem.m
        norm = power_norm(problem, cfg.power_iters)
        oracle.calls += cfg.power_iters
        # a power iteration under-estimates ||A||: keep a 2 % margin below 1/||A||
        step = cfg.tau0 if cfg.tau0 is not None else (0.98 / norm if norm > 0 else 1.0)
        x, y = z0[:m], z0[m:]
        oracle.calls += 1
        ATx, Ay = problem.A.T @ x, problem.A @ y
        here = (x, y, ATx, Ay)
        return HState(x, y, ATx, Ay, here, 0, here, step, math.inf, 0, 0, 0)

    def h_restart(self, problem, oracle, s, name, z, Fz, cfg):
        m = problem.m
        here = (z[:m], z[m:], Fz[m:], -Fz[:m])
        return s._replace(x=here[0], y=here[1], ATx=here[2], Ay=here[3], anchor=here, k=0,
                          t=here, epoch=s.iteration)

    def h_step(self, problem, oracle, s, cfg):
        A = problem.A
        proj_x, proj_y = (simplex_projector(d, cfg.backend) for d in problem.domain.blocks)
        xp = namespace(s.x)
        tau = sigma = s.step
        y1 = proj_y(s.y - tau * s.ATx)
        Ay1 = A @ y1
        x1 = proj_x(s.x + sigma * (2.0 * Ay1 - s.Ay))
        ATx1 = A.T @ x1
        oracle.calls += 1
        dx, dy = x1 - s.x, y1 - s.y
        # ||z - T z||_P with P the PDHG metric [[I/sigma, -A], [-A^T, I/tau]]
        r2 = (to_float(xp.sum(dx * dx)) / sigma + to_float(xp.sum(dy * dy)) / tau
              - 2.0 * to_float(xp.sum(dx * (Ay1 - s.Ay))))
        if not math.isfinite(r2):
            raise NonFiniteError
        r = math.sqrt(max(r2, 0.0))
        it = s.iteration + 1
        t = (x1, y1, ATx1, Ay1)
        ref = r if s.ref == math.inf else s.ref
        if r <= cfg.beta * ref or (it - s.epoch >= 0.36 * it and it > 64):
            return HState(x1, y1, ATx1, Ay1, t, 0, t, s.step, r, it, it, s.restarts + 1)
        c = (s.k + 1.0) / (s.k + 2.0)
        rho = cfg.rho
        # the same affine combination of the products, so no extra matvec
        x, y, ATx, Ay = (c * ((1.0 + rho) * new - rho * old) + (1.0 - c) * anc
                         for new, old, anc in zip(t, (s.x, s.y, s.ATx, s.Ay), s.anchor))
        return HState(x, y, ATx, Ay, s.anchor, s.k + 1, t, s.step, ref, s.epoch, it, s.restarts)

    def h_candidates(self, s, cfg):
        xp = namespace(s.x)
        x1, y1, ATx1, Ay1 = s.t
        return {"last": (xp.concat([x1, y1]), xp.concat([-Ay1, ATx1]))}

    def h_diagnostics(self, s, cfg):
        return {"variant": "halpern", "step": s.step, "reflection": cfg.rho,
                "inner_restarts": s.restarts}
