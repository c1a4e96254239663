r"""Numba kernels of the water-filling sweeps (imported only when ``backend="numba"``).

* :func:`jacobi` water-fills every user from the interference carried over
  from the last sweep, then forms the interference at the new powers in one
  pass over the carrier-major coupling ``coupling[k, q, r] = G_qr(k)/G_qq(k)``
  (:class:`~eqsolve.problems.PowerControlGame`): one read of the array per
  sweep, and the certificate of the new point reuses that interference.  The
  pass is one dot product of ``coupling[k, q]`` with the powers on carrier
  ``k`` per user and carrier, over a carrier-major copy ``pT[k, r] = p[r, k]``
  of the powers; those dot products (and nothing else) are compiled with
  reassociation allowed, so that LLVM vectorises them.  The certificate's
  allowance for the interference holds for any summation order of its
  nonnegative terms; water levels and updates stay strict IEEE arithmetic.
* :func:`gauss_seidel` and :func:`asynchronous` form each updated user's
  interference from the freshest (or delayed) powers, then water-fill it; they
  read the coupling user-major
  (:meth:`~eqsolve.problems.PowerControlGame.coupling_by_user`, laid out like
  the powers), so that one user's rows are one contiguous block and the sum
  over the other users vectorises over the carriers as it is.

Without caps the water level is found by Newton's method on the convex
piecewise-linear :math:`S(\mu) = \sum_k(\mu - c_k)_+` started right of the root
(exact after a few O(N) passes, no sort); with caps by the same sorted
breakpoints as the NumPy reference (:mod:`eqsolve.problems._water_filling`).
The kernels agree with the NumPy reference to rounding (tested to 1e-12).
They are serial: on the 2-core machine ``prange`` over users made the sweep
slower (thread start-up and contention against a sweep of about a millisecond).

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
# the interference sums only: reassociation (vectorised dot products) and fused multiply-adds
_SUM_OPTS = dict(nogil=True, cache=True, fastmath={"reassoc", "contract"}, error_model="numpy")


# -- interference ----------------------------------------------------------------------
@njit(**_SUM_OPTS)
def _interference_all(coupling, floor, pT, out):
    # out[q, k] = floor[q, k] + sum_r coupling[k, q, r] pT[k, r], streaming the coupling once
    N, Q, R = coupling.shape
    for k in range(N):
        Ak = coupling[k]
        pk = pT[k]
        for q in range(Q):
            row = Ak[q]
            acc = 0.0
            for r in range(R):
                acc += row[r] * pk[r]
            out[q, k] = floor[q, k] + acc


@njit(**_OPTS)
def _interference_rows(rows, floor_q, p, c):
    # c[k] = floor_q[k] + sum_r rows[r, k] p[r, k], rows = user q's coupling (Q, N): the sum
    # runs across rows, so the loop over carriers vectorises without reassociation
    Q, N = p.shape
    for k in range(N):
        c[k] = floor_q[k]
    for r in range(Q):
        row = rows[r]
        pr = p[r]
        for k in range(N):
            c[k] += row[k] * pr[k]


@njit(**_OPTS)
def _transpose(p, pT):
    Q, N = p.shape
    for r in range(Q):
        for k in range(N):
            pT[k, r] = p[r, k]


# -- water levels ----------------------------------------------------------------------
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
    # out = (1 - alpha) p_old + alpha WF(c); out may be p_old (each entry is read before written)
    mu = _level_breakpoints(c, budget, caps_row) if has_caps else _level_newton(c, budget, work)
    for k in range(c.shape[0]):
        x = mu - c[k]
        if x < 0.0:
            x = 0.0
        if has_caps and x > caps_row[k]:
            x = caps_row[k]
        out[k] = x if alpha == 1.0 else p_old[k] + alpha * (x - p_old[k])


# -- the sweeps --------------------------------------------------------------------------
@njit(**_OPTS)
def jacobi(coupling, floor, p, c, budgets, caps, has_caps, alpha, p_out, c_out, pT, work):
    """Simultaneous sweep from ``p`` and its interference ``c``: ``p_out[q] = (1-alpha) p[q] +
    alpha WF(c[q])`` for every user, then ``c_out`` = the interference at ``p_out``."""
    Q = p.shape[0]
    for q in range(Q):
        _fill_user(c[q], budgets[q], caps[q], has_caps, work, alpha, p[q], p_out[q])
    _transpose(p_out, pT)
    _interference_all(coupling, floor, pT, c_out)


@njit(**_OPTS)
def gauss_seidel(by_user, floor, p, budgets, caps, has_caps, alpha, order, c, work):
    """Sequential sweep in ``order``, in place on ``p``: each user sees the freshest powers
    (``by_user``: the coupling user-major, (Q, Q, N))."""
    for i in range(order.shape[0]):
        q = order[i]
        _interference_rows(by_user[q], floor[q], p, c)
        _fill_user(c, budgets[q], caps[q], has_caps, work, alpha, p[q], p[q])


@njit(**_OPTS)
def asynchronous(by_user, floor, buf, slots, users, p, budgets, caps, has_caps, alpha, out,
                 c, work):
    """Update ``users`` from delayed copies: user ``users[u]`` sees ``p_r = buf[slots[u, r], r]``
    (``by_user``: the coupling user-major, (Q, Q, N))."""
    Q, N = p.shape
    for u in range(users.shape[0]):
        q = users[u]
        rows = by_user[q]
        for k in range(N):
            c[k] = floor[q, k]
        for r in range(Q):
            row = rows[r]
            pr = buf[slots[u, r], r]
            for k in range(N):
                c[k] += row[k] * pr[k]
        _fill_user(c, budgets[q], caps[q], has_caps, work, alpha, p[q], out[q])
