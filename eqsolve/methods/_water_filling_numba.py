r"""Numba kernels of the water-filling sweeps (imported only when ``backend="numba"``).

Each kernel fuses, per user, the interference sum
:math:`c_q = \text{floor}_q + \sum_r \text{cross}_{qr} \odot p_r` with the
water-filling of :math:`c_q` and the damped update
:math:`p_q \leftarrow (1-\alpha) p_q + \alpha\, \mathrm{WF}_q`, with no
temporaries beyond two work rows.  Without caps the water level is found by
Newton's method on the convex piecewise-linear :math:`S(\mu) = \sum_k(\mu - c_k)_+`
started right of the root (exact after a few O(N) passes, no sort); with caps
by the same sorted breakpoints as the NumPy reference
(:mod:`eqsolve.problems._water_filling`).  The two paths agree to rounding
(tested to 1e-12).  The kernels are serial: measured on the 2-core machine,
``prange`` over users made the Jacobi sweep slower (thread start-up and
contention against a sweep of ~2 ms).

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
    from numba import njit
else:  # importable without numba (doctest collection); the method refuses backend="numba"

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
def _level_newton(c, budget, work):
    # Newton on the convex piecewise-linear S(mu) = sum_k (mu - c_k)_+ from the right of the
    # root: mu <- (P + sum_{c_k < mu} c_k) / #{c_k < mu} decreases monotonically and lands on
    # the level exactly once it is in the root's linear piece (a few passes, no sort);
    # both starts satisfy S(mu) >= P.  Falls back to the sort if it ever fails to settle.
    n = c.shape[0]
    cmin = c[0]
    total = 0.0
    for k in range(n):
        total += c[k]
        if c[k] < cmin:
            cmin = c[k]
    mu = min(cmin + budget, (budget + total) / n)
    for _ in range(2 * n + 2):
        s = 0.0
        m = 0
        for k in range(n):
            if c[k] < mu:
                s += c[k]
                m += 1
        if m == 0:
            return mu
        mu_new = (budget + s) / m
        if mu_new >= mu:
            return mu
        mu = mu_new
    return _level_sorted(c, budget, work)


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
    mu = _level_breakpoints(c, budget, caps_row) if has_caps else _level_newton(c, budget, work)
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


@njit(**_OPTS)
def jacobi(cross, floor, p, budgets, caps, has_caps, alpha, out, work):
    """Simultaneous sweep: ``out[q] = (1-alpha) p[q] + alpha WF_q(p)`` for every user."""
    Q, n = p.shape
    for q in range(Q):
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


@njit(**_OPTS)
def asynchronous(cross, floor, buf, slots, users, p, budgets, caps, has_caps, alpha, out, work):
    """Update ``users`` from delayed copies: user ``users[u]`` sees ``p_r = buf[slots[u, r], r]``."""
    Q, n = p.shape
    for u in range(users.shape[0]):
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
