"""Numba (CPU) kernels for the hot steps; the NumPy / array-API code is the reference.

Imported only when ``backend="numba"`` is asked for (Numba compiles on first
use and caches to disk).  Each kernel computes exactly what a reference
function computes, in the same order where the order matters for rounding
(the sorted-threshold scan of the simplex projection), so the two agree to a
few ulps; ``tests/methods/test_numba_kernels.py`` holds them to 1e-12.

Why these steps: outside large BLAS products, an iteration of a first-order
method is a handful of elementwise passes (a projection or a softmax), each of
which NumPy runs as a separate pass with a temporary.  Fused into one loop they
stop being memory-bound, and on many small games the per-call Python overhead,
which dominates there, is paid once per batch instead of once per game.

References
----------
.. [1] J. Duchi, S. Shalev-Shwartz, Y. Singer and T. Chandra, "Efficient projections
   onto the l1-ball for learning in high dimensions", ICML (2008).
.. [2] H. Lu and J. Yang, "Restarted Halpern PDHG for linear programming",
   arXiv:2407.16144 (2024).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

__all__ = ["simplex_project", "simplex_project_rows", "entropic_step", "halpern_pdhg_batch"]


@njit(cache=True, nogil=True)
def _simplex_into(v, radius, out):
    # theta = max_k (sum of the k largest - r) / k, scanned in sorted order [1]
    u = np.sort(v)
    n = v.shape[0]
    s = 0.0
    theta = -np.inf
    for k in range(n):
        s += u[n - 1 - k]
        t = (s - radius) / (k + 1)
        if t > theta:
            theta = t
    for i in range(n):
        d = v[i] - theta
        out[i] = d if d > 0.0 else 0.0


@njit(cache=True)
def simplex_project(v, radius):
    """Euclidean projection of the vector ``v`` onto ``{x >= 0, sum x = radius}``."""
    out = np.empty_like(v)
    _simplex_into(v, radius, out)
    return out


def _simplex_project_rows(V, radius):
    """Project every row of ``V`` onto the simplex of radius ``radius``."""
    out = np.empty_like(V)
    for b in prange(V.shape[0]):
        _simplex_into(V[b], radius, out[b])
    return out


@njit(cache=True)
def entropic_step(u, g, eta, log_radius):
    """KL prox in log coordinates: ``v - logsumexp(v) + log r`` with ``v = u - eta g``, one pass."""
    n = u.shape[0]
    v = np.empty_like(u)
    vmax = -np.inf
    for i in range(n):
        v[i] = u[i] - eta * g[i]
        if v[i] > vmax:
            vmax = v[i]
    if not math.isfinite(vmax):
        # all -inf (or an overflow): the reference returns v - vmax + log r too
        for i in range(n):
            v[i] = v[i] - vmax + log_radius
        return v
    s = 0.0
    for i in range(n):
        s += math.exp(v[i] - vmax)
    shift = vmax + math.log(s) - log_radius
    for i in range(n):
        v[i] -= shift
    return v


def _halpern_pdhg_batch(A, active, x, y, ATx, Ay, ax, ay, aATx, aAy, tx, ty, tATx, tAy,
                       k, step, ref, epoch, restarts, it, rho, beta, stats):
    """One reflected Halpern PDHG iteration for each game ``b`` in ``active``, in place.

    Same update as :meth:`eqsolve.methods.pdhg_batch.BatchedHalpernPDHG.step_numpy`
    (the reference): ``T`` is one PDHG step at ``tau = sigma = step[b]``, the new
    iterate the reflected Halpern average with the anchor, and a game restarts
    (anchor := ``T z``) when its fixed-point residual fell by ``beta`` or its epoch
    is longer than 36 % of the iterations.  ``stats[b]`` receives
    ``(max Ay1, min ATx1, neg(x1), sum(x1), neg(y1), sum(y1), r)`` for the
    certificate, computed from the same arrays as the reference.
    """
    m = x.shape[1]
    n = y.shape[1]
    for j in prange(active.shape[0]):
        b = active[j]
        tau = step[b]
        Ab = A[b]
        vy = np.empty(n, y.dtype)
        for c in range(n):
            vy[c] = y[b, c] - tau * ATx[b, c]
        y1 = ty[b]
        _simplex_into(vy, 1.0, y1)
        Ay1 = tAy[b]
        for r_ in range(m):
            acc = 0.0
            for c in range(n):
                acc += Ab[r_, c] * y1[c]
            Ay1[r_] = acc
        vx = np.empty(m, x.dtype)
        for r_ in range(m):
            vx[r_] = x[b, r_] + tau * (2.0 * Ay1[r_] - Ay[b, r_])
        x1 = tx[b]
        _simplex_into(vx, 1.0, x1)
        ATx1 = tATx[b]
        for c in range(n):
            ATx1[c] = 0.0
        for r_ in range(m):
            xr = x1[r_]
            for c in range(n):
                ATx1[c] += Ab[r_, c] * xr
        # ||z - T z||_P in the PDHG metric
        sdx = 0.0
        cross = 0.0
        for r_ in range(m):
            d = x1[r_] - x[b, r_]
            sdx += d * d
            cross += d * (Ay1[r_] - Ay[b, r_])
        sdy = 0.0
        for c in range(n):
            d = y1[c] - y[b, c]
            sdy += d * d
        r2 = sdx / tau + sdy / tau - 2.0 * cross
        r = math.sqrt(r2) if r2 > 0.0 else 0.0
        if ref[b] == np.inf:
            ref[b] = r
        if r <= beta * ref[b] or (it - epoch[b] >= 0.36 * it and it > 64):
            for r_ in range(m):
                x[b, r_] = x1[r_]
                Ay[b, r_] = Ay1[r_]
                ax[b, r_] = x1[r_]
                aAy[b, r_] = Ay1[r_]
            for c in range(n):
                y[b, c] = y1[c]
                ATx[b, c] = ATx1[c]
                ay[b, c] = y1[c]
                aATx[b, c] = ATx1[c]
            k[b] = 0
            ref[b] = r
            epoch[b] = it
            restarts[b] += 1
        else:
            cw = (k[b] + 1.0) / (k[b] + 2.0)
            for r_ in range(m):
                x[b, r_] = cw * ((1.0 + rho) * x1[r_] - rho * x[b, r_]) + (1.0 - cw) * ax[b, r_]
                Ay[b, r_] = cw * ((1.0 + rho) * Ay1[r_] - rho * Ay[b, r_]) + (1.0 - cw) * aAy[b, r_]
            for c in range(n):
                y[b, c] = cw * ((1.0 + rho) * y1[c] - rho * y[b, c]) + (1.0 - cw) * ay[b, c]
                ATx[b, c] = cw * ((1.0 + rho) * ATx1[c] - rho * ATx[b, c]) + (1.0 - cw) * aATx[b, c]
            k[b] += 1
        up = -np.inf
        negx = 0.0
        sx = 0.0
        for r_ in range(m):
            if Ay1[r_] > up:
                up = Ay1[r_]
            if x1[r_] < 0.0:
                negx -= x1[r_]
            sx += x1[r_]
        lo = np.inf
        negy = 0.0
        sy = 0.0
        for c in range(n):
            if ATx1[c] < lo:
                lo = ATx1[c]
            if y1[c] < 0.0:
                negy -= y1[c]
            sy += y1[c]
        stats[b, 0] = up
        stats[b, 1] = lo
        stats[b, 2] = negx
        stats[b, 3] = sx
        stats[b, 4] = negy
        stats[b, 5] = sy
        stats[b, 6] = r


# Each batched kernel in a serial and a thread-parallel build: threads pay off
# only when a call has enough work to amortise waking them (and hurt badly on
# an oversubscribed machine), so the caller picks by the work of the call.
_PARALLEL_WORK = 1 << 20

_batch_serial = njit(cache=True)(_halpern_pdhg_batch)
_batch_parallel = njit(cache=True, parallel=True)(_halpern_pdhg_batch)
_rows_serial = njit(cache=True)(_simplex_project_rows)
_rows_parallel = njit(cache=True, parallel=True)(_simplex_project_rows)


def halpern_pdhg_batch(A, active, *args):
    """One Halpern PDHG iteration of the ``active`` games (see :func:`_halpern_pdhg_batch`)."""
    work = active.shape[0] * A.shape[1] * A.shape[2]
    kernel = _batch_parallel if work >= _PARALLEL_WORK else _batch_serial
    kernel(A, active, *args)


def simplex_project_rows(V, radius):
    """Project every row of ``V`` onto the simplex of radius ``radius``."""
    kernel = _rows_parallel if V.size >= _PARALLEL_WORK else _rows_serial
    return kernel(V, float(radius))
