"""The mathematics of (reflected, restarted Halpern) PDHG, written once.

Each function works on one game (vectors) and on a batch of games (stacks
with a leading batch axis) alike, so the single-game methods of
:mod:`eqsolve.methods.pdhg` and the batched stepper of
:mod:`eqsolve.methods.pdhg_batch` share every formula: the PDHG step, the
fixed-point residual in the PDHG metric, the Halpern combination, the restart
rule and the power iteration.  The compiled kernel of
:mod:`eqsolve.methods._numba_kernels` keeps its own copy, held to these by
tests (constants included).
"""

from __future__ import annotations

from .base import MIN_EPOCH

__all__ = ["GOLDEN_ANGLE", "STEP_MARGIN", "EPOCH_FRACTION", "MIN_EPOCH", "RESTART_BETA",
           "pdhg_step", "metric_residual2", "halpern_combination", "restart_due", "power_start",
           "power_norm", "halpern_step_size"]

#: the golden angle (radians): cos(k * GOLDEN_ANGLE) is a deterministic start with no
#: special structure, so it has a component along the top singular vector
GOLDEN_ANGLE = 2.399963
#: a power iteration under-estimates ||A||: the step keeps a 2 % margin below 1/||A||
STEP_MARGIN = 0.98
#: restart when the epoch exceeds this fraction of all iterations (PDLP's artificial restart)
EPOCH_FRACTION = 0.36
#: restart when the fixed-point residual fell by this factor since the last restart
RESTART_BETA = 0.2


def pdhg_step(x, y, ATx, Ay, tau, sigma, project_x, project_y, matvec, rmatvec):
    """One PDHG step from ``(x, y)`` with products ``A^T x``, ``A y``: ``(x+, y+, A^T x+, A y+)``.

    ``y+ = P_Y(y - tau A^T x)``, ``x+ = P_X(x + sigma A (2 y+ - y))``, with
    ``A (2 y+ - y)`` formed from ``A y+`` by linearity: one product with
    ``A`` and one with ``A^T``.
    """
    y1 = project_y(y - tau * ATx)
    Ay1 = matvec(y1)
    x1 = project_x(x + sigma * (2.0 * Ay1 - Ay))
    return x1, y1, rmatvec(x1), Ay1


def metric_residual2(xp, dx, dy, dAy, tau, sigma):
    """``||z - T z||_P^2`` in the PDHG metric ``P = [[I/sigma, -A], [-A^T, I/tau]]``.

    ``dx = x+ - x``, ``dy = y+ - y``, ``dAy = A y+ - A y``; sums over the last axis.
    """
    return (xp.sum(dx * dx, axis=-1) / sigma + xp.sum(dy * dy, axis=-1) / tau
            - 2.0 * xp.sum(dx * dAy, axis=-1))


def halpern_combination(c, new, old, anchor, rho):
    """``c ((1 + rho) T(z) - rho z) + (1 - c) z_0``: the reflected Halpern step (``c = (k+1)/(k+2)``).

    Applied alike to the iterates and to their products, so no extra product is needed.
    """
    return c * ((1.0 + rho) * new - rho * old) + (1.0 - c) * anchor


def restart_due(r, ref, it, epoch, beta):
    """Whether to restart: the residual ``r`` fell by ``beta`` since the restart (residual
    ``ref``), or the epoch since iteration ``epoch`` is long (elementwise)."""
    return (r <= beta * ref) | ((it - epoch >= EPOCH_FRACTION * it) & (it > MIN_EPOCH))


def power_start(xp, n, dtype, offset=1.5):
    """The deterministic start vector of the power iterations."""
    return xp.cos(xp.arange(n, dtype=dtype) * GOLDEN_ANGLE) + offset


def power_norm(xp, normal, v, iters: int):
    """Estimate of ``||A||_2`` by ``iters`` power iterations on ``A^T A`` from ``v``.

    ``normal(v) = A^T A v``; ``v`` is one vector or a stack (one estimate per row).
    """
    est = xp.zeros(v.shape[:-1], dtype=v.dtype)
    for _ in range(iters):
        w = normal(v)
        nw = xp.linalg.vector_norm(w, axis=-1)
        est = xp.where(nw > 0, nw / xp.linalg.vector_norm(v, axis=-1), est)
        v = w / xp.where(nw > 0, nw, xp.ones_like(nw))[..., None]
    return xp.sqrt(est)


def halpern_step_size(xp, norm):
    """``tau = sigma = 0.98 / ||A||`` from the power-iteration estimate (1 for a zero matrix)."""
    return xp.where(norm > 0, STEP_MARGIN / xp.where(norm > 0, norm, xp.ones_like(norm)),
                    xp.ones_like(norm))
