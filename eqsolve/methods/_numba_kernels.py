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
.. [1] L. Condat, "Fast projection onto the simplex and the l1 ball", Math. Program.
   158 (2016) 575-585.
.. [2] H. Lu and J. Yang, "Restarted Halpern PDHG for linear programming",
   arXiv:2407.16144 (2024).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

__all__ = ["simplex_project", "simplex_project_rows", "entropic_step", "halpern_pdhg_run"]

# the compiled copy of the restart rule's constants (Numba freezes module globals at
# compile time); tests pin them to eqsolve.methods.pdhg_halpern's
EPOCH_FRACTION = 0.36
MIN_EPOCH = 64


@njit(cache=True, nogil=True)
def _simplex_into(y, radius, out):
    # Condat's O(n) threshold search [1]: a running mean over a candidate set,
    # pruned on the fly, then cleaned; no sort.  Same threshold as the sorted
    # scan of the reference up to rounding in the running means.
    n = y.shape[0]
    v = np.empty(n, dtype=np.float64)
    vt = np.empty(n, dtype=np.float64)
    v[0] = y[0]
    nv, nvt = 1, 0
    rho = y[0] - radius
    for i in range(1, n):
        yi = y[i]
        if yi > rho:
            rho += (yi - rho) / (nv + 1)
            if rho > yi - radius:
                v[nv] = yi
                nv += 1
            else:
                for j in range(nv):
                    vt[nvt + j] = v[j]
                nvt += nv
                v[0] = yi
                nv = 1
                rho = yi - radius
    for j in range(nvt):
        yj = vt[j]
        if yj > rho:
            v[nv] = yj
            nv += 1
            rho += (yj - rho) / nv
    changed = True
    while changed and nv > 1:
        changed = False
        j = 0
        while j < nv and nv > 1:
            yj = v[j]
            if yj <= rho:
                nv -= 1
                v[j] = v[nv]
                rho += (rho - yj) / nv
                changed = True
            else:
                j += 1
    for i in range(n):
        d = y[i] - rho
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


def _halpern_pdhg_run(A, active, steps, tol, max_iter, x, y, ATx, Ay, ax, ay, aATx, aAy,
                      tx, ty, tATx, tAy, k, step, ref, epoch, restarts, it, best_gap, bx, by,
                      bATx, bAy, best_it, bad, rho, beta, amax, gfac, eps):
    """Up to ``steps`` reflected Halpern PDHG iterations of each game in ``active``, in place.

    Game ``b`` iterates on its own -- the update of
    :meth:`eqsolve.methods.pdhg_batch.BatchedHalpernPDHG.step_numpy` (the
    reference) -- and stops early once its best certified gap is at most
    ``tol[b]``, at ``max_iter`` iterations, or when its gap is not finite
    (``bad[b] = 1``).  After each iteration its point ``T(z_k)`` is certified
    with the same bound as :meth:`~eqsolve.methods.pdhg_batch.BatchedHalpernPDHG.batch_gaps`
    and kept in ``bx, by, bATx, bAy`` when it beats the best so far.
    """
    m = x.shape[1]
    n = y.shape[1]
    for j in prange(active.shape[0]):
        b = active[j]
        Ab = A[b]
        vy = np.empty(n, y.dtype)
        vx = np.empty(m, x.dtype)
        for _ in range(steps):
            if best_gap[b] <= tol[b] or it[b] >= max_iter or bad[b]:
                break
            it[b] += 1
            cur = it[b]
            tau = step[b]
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
            if r <= beta * ref[b] or (cur - epoch[b] >= EPOCH_FRACTION * cur and cur > MIN_EPOCH):
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
                epoch[b] = cur
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
            # the certificate of T(z_k): gap + rounding allowance (see batch_gaps)
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
            defect = (2.0 * negx + abs(sx - 1.0)) + (2.0 * negy + abs(sy - 1.0))
            gap = up - lo + (amax[b] * (gfac * (1.0 + defect) + defect) + eps * (abs(up) + abs(lo)))
            if not math.isfinite(gap):
                bad[b] = 1
                break
            if gap < best_gap[b]:
                best_gap[b] = gap
                best_it[b] = cur
                for r_ in range(m):
                    bx[b, r_] = x1[r_]
                    bAy[b, r_] = Ay1[r_]
                for c in range(n):
                    by[b, c] = y1[c]
                    bATx[b, c] = ATx1[c]


# Each batched kernel in a serial and a thread-parallel build: threads pay off
# only when a call has enough work to amortise waking them (and hurt badly on
# an oversubscribed machine), so the caller picks by the work of the call.
_PARALLEL_WORK = 1 << 20

# reassociation lets LLVM vectorise the row dot products (1.8x measured on 64x64
# games); the certificate's rounding bound holds for any summation order, and the
# flags that assume finite values stay off, so the isfinite/inf tests still work
_run_serial = njit(cache=True, fastmath={"reassoc", "contract"})(_halpern_pdhg_run)
_run_parallel = njit(cache=True, parallel=True, fastmath={"reassoc", "contract"})(_halpern_pdhg_run)
_rows_serial = njit(cache=True)(_simplex_project_rows)
_rows_parallel = njit(cache=True, parallel=True)(_simplex_project_rows)


def halpern_pdhg_run(A, active, steps, *args):
    """Advance the ``active`` games by up to ``steps`` iterations (see :func:`_halpern_pdhg_run`)."""
    work = active.shape[0] * A.shape[1] * A.shape[2] * steps
    kernel = _run_parallel if work >= _PARALLEL_WORK and active.shape[0] > 1 else _run_serial
    kernel(A, active, steps, *args)


def simplex_project_rows(V, radius):
    """Project every row of ``V`` onto the simplex of radius ``radius``."""
    kernel = _rows_parallel if V.size >= _PARALLEL_WORK else _rows_serial
    return kernel(V, float(radius))
