"""Numba kernels of the water-filling sweeps (imported only when ``backend="numba"``).

Each kernel fuses, per user, the interference sum
:math:`c_q = \\text{floor}_q + \\sum_r \\text{cross}_{qr} \\odot p_r` with the
water-filling of :math:`c_q` and the damped update
:math:`p_q \\leftarrow (1-\\alpha) p_q + \\alpha\\, \\mathrm{WF}_q`, with no
temporaries beyond per-user work rows.  They follow the NumPy reference
(:mod:`eqsolve.problems._water_filling`) step for step: same level formulas,
same summation of the sorted levels, so the two agree to rounding (tested to
1e-12).  The Jacobi and asynchronous kernels run users in parallel (``prange``);
Gauss-Seidel is sequential by definition.

References
----------
.. [1] S. K. Lam, A. Pitrou and S. Seibert, "Numba: a LLVM-based Python JIT
   compiler", LLVM-HPC 2015.
"""

from __future__ import annotations

import numpy as np

from ..backend import HAS_NUMBA

__all__ = ["jacobi", "gauss_seidel", "asynchronous"]

if HAS_NUMBA:
    from numba import njit, prange
else:  # importable without numba (doctest collection); the method refuses backend="numba"
    prange = range

    def njit(*args, **kwargs):
        return args[0] if args and callable(args[0]) else (lambda f: f)

_OPTS = dict(nogil=True, cache=True, fastmath=False, error_model="numpy")


@njit(**_OPTS)
def _level_sorted(c, budget, work):
    n = c.shape[0]
    for k in range(n):
        work[k] = c[k]
    work.sort()
    csum = 0.0
    mu = budget + work[0]
    for m in range(n):
        csum += work[m]
        mu_m = (budget + csum) / (m + 1)
        if mu_m > work[m]:
            mu = mu_m
    return mu


@njit(**_OPTS)
def _level_breakpoints(c, budget, caps):
    n = c.shape[0]
    kinks = np.empty(2 * n)
    for k in range(n):
        kinks[k] = c[k]
        kinks[n + k] = c[k] + caps[k]
    order = np.argsort(kinks, kind="mergesort")
    S = 0.0
    slope = 0.0
    prev = kinks[order[0]]
    for j in range(2 * n):
        x = kinks[order[j]]
        S_new = S + slope * (x - prev)
        if S_new >= budget and j > 0:
            return prev + (budget - S) / max(slope, 1.0)
        S, prev = S_new, x
        slope += 1.0 if order[j] < n else -1.0
    return prev


@njit(**_OPTS)
def _fill_user(c, budget, caps_row, has_caps, work, alpha, p_old, out):
    mu = _level_breakpoints(c, budget, caps_row) if has_caps else _level_sorted(c, budget, work)
    for k in range(c.shape[0]):
        x = mu - c[k]
        if x < 0.0:
            x = 0.0
        if has_caps and x > caps_row[k]:
            x = caps_row[k]
        out[k] = x if alpha == 1.0 else p_old[k] + alpha * (x - p_old[k])


@njit(**_OPTS)
def _interference(cross_q, floor_q, p, c):
    Q, n = p.shape
    for k in range(n):
        c[k] = floor_q[k]
    for r in range(Q):
        row = cross_q[r]
        pr = p[r]
        for k in range(n):
            c[k] += row[k] * pr[k]


@njit(parallel=True, **_OPTS)
def jacobi(cross, floor, p, budgets, caps, has_caps, alpha, out, work):
    """Simultaneous sweep: ``out[q] = (1-alpha) p[q] + alpha WF_q(p)`` for every user."""
    Q, n = p.shape
    for q in prange(Q):
        c = work[q, 0]
        _interference(cross[q], floor[q], p, c)
        _fill_user(c, budgets[q], caps[q], has_caps, work[q, 1], alpha, p[q],
                   out[q])


@njit(**_OPTS)
def gauss_seidel(cross, floor, p, budgets, caps, has_caps, alpha, order, work):
    """Sequential sweep in ``order``, in place: each user sees the freshest powers."""
    c = work[0, 0]
    for i in range(order.shape[0]):
        q = order[i]
        _interference(cross[q], floor[q], p, c)
        _fill_user(c, budgets[q], caps[q], has_caps, work[0, 1], alpha, p[q],
                   p[q])


@njit(parallel=True, **_OPTS)
def asynchronous(cross, floor, buf, slots, users, p, budgets, caps, has_caps, alpha, out, work):
    """Update ``users`` from delayed copies: user ``users[u]`` sees ``p_r = buf[slots[u, r], r]``."""
    Q, n = p.shape
    for u in prange(users.shape[0]):
        q = users[u]
        c = work[u, 0]
        for k in range(n):
            c[k] = floor[q, k]
        for r in range(Q):
            row = cross[q, r]
            pr = buf[slots[u, r], r]
            for k in range(n):
                c[k] += row[k] * pr[k]
        _fill_user(c, budgets[q], caps[q], has_caps, work[u, 1], alpha, p[q],
                   out[q])
