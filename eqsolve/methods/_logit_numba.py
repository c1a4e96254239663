"""Compiled predictor-corrector step of the logit path for N-player normal-form games (Numba).

The same step as :meth:`eqsolve.methods.logit.Logit.step` (Euler predictor
along the tangent, chord Gauss-Newton corrector with the minimum-norm solver
of ``DH`` factored at the predictor point, refactored once where the chord
stops contracting), the same acceptance tests and the same counts of payoff
evaluations, in one call: the NumPy step is the reference (tests pin the two
to the same path).  The payoffs are a table over the joint profiles, so the
deviation payoffs and their Jacobian at a mixed profile are one pass over it
for any number of players.  Loaded only when a logit solve of a
``NormalFormGame`` runs with Numba installed.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["evaluate", "values", "path_step", "tangent", "support_newton"]

#: the corrector's iteration limit per step (as in the NumPy step)
CORRECTOR_ITERATIONS = 10


@njit(cache=True)
def evaluate(Uf, idx, sig, v, J, want_j):
    """Deviation payoffs ``v`` and (``want_j``) their Jacobian ``J`` at the profile ``sig``.

    ``Uf[i, p]``: player ``i``'s payoff at joint profile ``p``; ``idx[p, k]``: the
    global index of player ``k``'s strategy in ``p``.  ``v[i_a]`` sums ``U_i``
    times the others' probabilities over the profiles where ``i`` plays ``a``;
    ``J[i_a, j_b]`` likewise with ``j`` fixed at ``b`` too.
    """
    P, N = idx.shape
    v[:] = 0.0
    if want_j:
        J[:, :] = 0.0
    for p in range(P):
        for i in range(N):
            u = Uf[i, p]
            if u == 0.0:
                continue
            ia = idx[p, i]
            prod = u
            for k in range(N):
                if k != i:
                    prod *= sig[idx[p, k]]
            v[ia] += prod
            if want_j:
                for j in range(N):
                    if j == i:
                        continue
                    q = u
                    for k in range(N):
                        if k != i and k != j:
                            q *= sig[idx[p, k]]
                    J[ia, idx[p, j]] += q


@njit(cache=True)
def _evaluate_at(Uf, idx, yp, sig, v, J):
    """Payoffs ``v`` and their Jacobian ``J`` at the log-probabilities ``yp`` (``sig`` their
    exponentials, filled here); False when a payoff is not finite."""
    for r in range(sig.shape[0]):
        sig[r] = math.exp(yp[r])
    evaluate(Uf, idx, sig, v, J, True)
    for r in range(v.shape[0]):
        if not np.isfinite(v[r]):
            return False
    return True


@njit(cache=True)
def values(Uf, idx, sig, v):
    """``v`` alone (see :func:`evaluate`)."""
    dummy = np.empty((1, 1))
    evaluate(Uf, idx, sig, v, dummy, False)


@njit(cache=True)
def _residual(y, v, ref, first, off, H):
    n = v.shape[0]
    lam = y[n]
    for r in range(n):
        H[r] = (y[r] - y[ref[r]]) - lam * (v[r] - v[ref[r]])
    for i in range(first.shape[0]):
        s = 0.0
        for r in range(off[i], off[i + 1]):
            s += math.exp(y[r])
        H[first[i]] = s - 1.0


@njit(cache=True)
def _jacobian(y, v, J, ref, first, off, A):
    """``DH`` (n x (n + 1)) at ``y = (w, lambda)``."""
    n = v.shape[0]
    lam = y[n]
    for r in range(n):
        for c in range(n):
            A[r, c] = -lam * (J[r, c] - J[ref[r], c]) * math.exp(y[c])
        A[r, r] += 1.0
        A[r, ref[r]] -= 1.0
        A[r, n] = -(v[r] - v[ref[r]])
    for i in range(first.shape[0]):
        f = first[i]
        for c in range(n + 1):
            A[f, c] = 0.0
        for c in range(off[i], off[i + 1]):
            A[f, c] = math.exp(y[c])


@njit(cache=True)
def _factor(A, V, R, t):
    """Householder QR of ``A^T`` ((n + 1) x n): reflectors in ``V`` (row ``c`` acts on
    entries ``c..n``), ``R`` (n x n) and the oriented unit tangent ``t`` (the null vector
    of ``A`` with ``det [A; t^T] > 0``).  Returns False when ``R`` is numerically singular
    (the caller falls back to least squares)."""
    n = A.shape[0]
    B = A.T.copy()
    flips = 0
    for c in range(n):
        norm = 0.0
        for r in range(c, n + 1):
            norm += B[r, c] * B[r, c]
        norm = math.sqrt(norm)
        below = 0.0
        for r in range(c + 1, n + 1):
            below += B[r, c] * B[r, c]
        for r in range(n + 1):
            V[c, r] = 0.0
        if below == 0.0:
            continue                           # already triangular here: no reflector
        alpha = -norm if B[c, c] >= 0.0 else norm
        V[c, c] = B[c, c] - alpha
        for r in range(c + 1, n + 1):
            V[c, r] = B[r, c]
        vn = 0.0
        for r in range(c, n + 1):
            vn += V[c, r] * V[c, r]
        vn = math.sqrt(vn)
        for r in range(c, n + 1):
            V[c, r] /= vn
        flips += 1
        for k in range(c, n):
            s = 0.0
            for r in range(c, n + 1):
                s += V[c, r] * B[r, k]
            for r in range(c, n + 1):
                B[r, k] -= 2.0 * V[c, r] * s
    dmax = 0.0
    dmin = np.inf
    sign = 1.0 if flips % 2 == 0 else -1.0
    for r in range(n):
        for k in range(n):
            R[r, k] = B[r, k] if k >= r else 0.0
        d = R[r, r]
        if d < 0.0:
            sign = -sign
        elif d == 0.0:
            sign = 0.0
        if abs(d) > dmax:
            dmax = abs(d)
        if abs(d) < dmin:
            dmin = abs(d)
    # the tangent: Q e_n, Q = H_0 ... H_{n-1}
    for r in range(n + 1):
        t[r] = 0.0
    t[n] = 1.0
    _apply_q(V, t)
    # [A; t^T] = blockdiag(R^T, 1) Q^T: its determinant has the sign of prod(diag R) det(Q)
    if sign < 0.0:
        for r in range(n + 1):
            t[r] = -t[r]
    return n == 0 or dmin > 1e-14 * max(dmax, 1e-300)


@njit(cache=True)
def _apply_q(V, x):
    n = V.shape[0]
    for c in range(n - 1, -1, -1):
        s = 0.0
        for r in range(c, n + 1):
            s += V[c, r] * x[r]
        if s != 0.0:
            for r in range(c, n + 1):
                x[r] -= 2.0 * V[c, r] * s


@njit(cache=True)
def _solve(V, R, rhs, d):
    """The minimum-norm solution of ``A d = rhs``: ``A = R^T Q1^T``, so ``d = Q [R^-T rhs; 0]``."""
    n = R.shape[0]
    for r in range(n):
        s = rhs[r]
        for k in range(r):
            s -= R[k, r] * d[k]
        d[r] = s / R[r, r]
    d[n] = 0.0
    _apply_q(V, d)


@njit(cache=True)
def path_step(Uf, idx, ref, first, off, y, t, h):
    """One predictor-corrector step from ``y`` along the tangent ``t`` with arc length ``h``.

    Returns ``(status, yp, t_pred, v, kappa, n_evaluate, n_values)``: status 1
    accepted (``yp`` on the curve, ``t_pred`` the tangent at the predictor point
    with ``det [DH; t^T] > 0`` -- the caller applies the path's orientation --,
    ``v`` the payoffs at the
    last corrector iterate before its final correction, ``kappa`` the
    contraction ratio), 0 rejected (the corrector failed), -1 a singular
    ``DH`` (redo the step in NumPy, with least squares), -2 non-finite
    payoffs; ``n_evaluate`` / ``n_values`` count the payoff (and Jacobian)
    evaluations made.
    """
    n = y.shape[0] - 1
    scale = 0.0
    for r in range(n + 1):
        if abs(y[r]) > scale:
            scale = abs(y[r])
    scale += 1.0
    ctol = 1e-9 * scale
    yp = y + h * t
    sig = np.empty(n)
    v = np.empty(n)
    J = np.empty((n, n))
    A = np.empty((n, n + 1))
    V = np.empty((n, n + 1))
    R = np.empty((n, n))
    t_pred = np.empty(n + 1)
    tt = np.empty(n + 1)
    H = np.empty(n)
    d = np.empty(n + 1)
    n_eval, n_vals = 0, 0
    n_eval += 1
    if not _evaluate_at(Uf, idx, yp, sig, v, J):
        return -2, yp, t_pred, v, 0.0, n_eval, n_vals
    _jacobian(yp, v, J, ref, first, off, A)
    if not _factor(A, V, R, t_pred):
        return -1, yp, t_pred, v, 0.0, n_eval, n_vals
    fresh = True
    prev = -1.0
    kappa = 0.0
    ok = False
    its = 0
    while its < CORRECTOR_ITERATIONS:
        its += 1
        if not fresh:
            for r in range(n):
                sig[r] = math.exp(yp[r])
            values(Uf, idx, sig, v)
            n_vals += 1
            for r in range(n):
                if not np.isfinite(v[r]):
                    return -2, yp, t_pred, v, 0.0, n_eval, n_vals
        _residual(yp, v, ref, first, off, H)
        for r in range(n):
            H[r] = -H[r]
        _solve(V, R, H, d)
        finite = True
        nd = 0.0
        for r in range(n + 1):
            if not np.isfinite(d[r]):
                finite = False
            nd += d[r] * d[r]
        if not finite:
            break
        nd = math.sqrt(nd)
        if prev < 0.0:
            if nd > 0.5 * h + ctol:
                break                          # the predictor left the curve's neighbourhood
        elif nd > 0.5 * prev + ctol:
            if fresh:
                break                          # no contraction even with Newton's own DH
            # the chord's DH is too stale here: refactor at the iterate (Newton step)
            n_eval += 1
            if not _evaluate_at(Uf, idx, yp, sig, v, J):
                return -2, yp, t_pred, v, 0.0, n_eval, n_vals
            _jacobian(yp, v, J, ref, first, off, A)
            if not _factor(A, V, R, tt):
                return -1, yp, t_pred, v, 0.0, n_eval, n_vals
            fresh = True
            continue
        else:
            r_ = nd / prev if prev > 0.0 else 0.0
            if r_ > kappa:
                kappa = r_
        fresh = False
        for r in range(n + 1):
            yp[r] += d[r]
        prev = nd
        if nd <= ctol:
            ok = True
            break
    return (1 if ok else 0), yp, t_pred, v, kappa, n_eval, n_vals


@njit(cache=True)
def tangent(A):
    """``(ok, t)``: the unit tangent of ``A`` (n x (n + 1)) with ``det [A; t^T] > 0``; ``ok``
    false when ``A`` is numerically rank-deficient (then ``t`` is not to be used)."""
    n = A.shape[0]
    V = np.empty((n, n + 1))
    R = np.empty((n, n))
    t = np.empty(n + 1)
    ok = _factor(A, V, R, t)
    return ok, t


@njit(cache=True)
def _lu_solve(M, b, out):
    """``M out = b`` by LU with partial pivoting (as LAPACK's ``gesv``); False when a pivot is
    exactly zero (the caller falls back to least squares)."""
    m = M.shape[0]
    A = M.copy()
    x = b.copy()
    for c in range(m):
        p = c
        best = abs(A[c, c])
        for r in range(c + 1, m):
            if abs(A[r, c]) > best:
                best = abs(A[r, c])
                p = r
        if best == 0.0:
            return False
        if p != c:
            for k in range(m):
                t = A[c, k]
                A[c, k] = A[p, k]
                A[p, k] = t
            t = x[c]
            x[c] = x[p]
            x[p] = t
        for r in range(c + 1, m):
            f = A[r, c] / A[c, c]
            if f != 0.0:
                for k in range(c, m):
                    A[r, k] -= f * A[c, k]
                x[r] -= f * x[c]
    for r in range(m - 1, -1, -1):
        s = x[r]
        for k in range(r + 1, m):
            s -= A[r, k] * out[k]
        out[r] = s / A[r, r]
    return True


@njit(cache=True)
def _finite(v, J):
    for r in range(v.shape[0]):
        if not np.isfinite(v[r]):
            return False
        for c in range(J.shape[1]):
            if not np.isfinite(J[r, c]):
                return False
    return True


@njit(cache=True)
def support_newton(Uf, idx, off, S, player, sig, near, iterations):
    """Newton's method on the Nash equations of the support ``S`` from the QRE point ``sig``.

    The same iteration as ``Logit._newton`` (NumPy): unknowns the support
    probabilities and each player's payoff ``u_i``; equations ``v(a) = u_i``
    for ``a`` in ``S`` and each player's support probabilities summing to one.
    An exactly singular Newton matrix takes the least-squares step, as there.
    Returns ``(status, x, n_evaluate)``: status 1 with the normalised profile,
    0 for no solution (the NumPy version's ``None``).
    """
    n = sig.shape[0]
    N = off.shape[0] - 1
    k = S.shape[0]
    x = np.zeros(n)
    n_eval = 0
    pl = np.empty(k, dtype=np.int64)
    for a in range(k):
        pl[a] = player[S[a]]
    for i in range(N):
        tot = 0.0
        cnt = 0
        for a in range(k):
            if pl[a] == i:
                tot += sig[S[a]]
                cnt += 1
        if cnt == 0:
            return 0, x, n_eval
        for a in range(k):
            if pl[a] == i:
                x[S[a]] = sig[S[a]] / tot if tot > 0.0 else 1.0 / cnt
    v = np.empty(n)
    J = np.empty((n, n))
    evaluate(Uf, idx, x, v, J, True)
    n_eval += 1
    if not _finite(v, J):
        return 0, x, n_eval
    u = np.zeros(N)
    for i in range(N):
        for r in range(off[i], off[i + 1]):
            u[i] += x[r] * v[r]
    size = k + N
    M = np.zeros((size, size))
    for a in range(k):
        M[a, k + pl[a]] = -1.0
        M[k + pl[a], a] = 1.0
    rv = np.empty(size)
    d = np.empty(size)
    eps4 = 4.0 * np.finfo(np.float64).eps
    last = np.inf
    first = np.inf
    for it in range(iterations):
        nr = 0.0
        vmax = 0.0
        finite = True
        for a in range(k):
            rv[a] = v[S[a]] - u[pl[a]]
            if abs(v[S[a]]) > vmax:
                vmax = abs(v[S[a]])
        for i in range(N):
            rv[k + i] = 0.0
        for a in range(k):
            rv[k + pl[a]] += x[S[a]]
        for i in range(N):
            rv[k + i] -= 1.0
        for q in range(size):
            if not np.isfinite(rv[q]):
                finite = False
            elif abs(rv[q]) > nr:
                nr = abs(rv[q])
        if not finite:
            return 0, x, n_eval
        if nr <= eps4 * (1.0 + vmax) or nr >= last:
            break
        if it == 0:
            first = nr
        elif it >= 4 and nr > 1e-6 * first:
            return 0, x, n_eval                # not Newton's quadratic convergence
        last = nr
        for a in range(k):
            for b in range(k):
                M[a, b] = J[S[a], S[b]]
        for q in range(size):
            rv[q] = -rv[q]
        if not _lu_solve(M, rv, d):
            # exactly singular (a support that cannot carry an equilibrium, typically):
            # the minimum-norm least-squares step, NumPy's rcond
            d[:] = np.linalg.lstsq(M, rv, rcond=np.finfo(np.float64).eps * size)[0]
        for a in range(k):
            x[S[a]] += d[a]
        for i in range(N):
            u[i] += d[k + i]
        far = 0.0
        for r in range(n):
            if abs(x[r] - sig[r]) > far:
                far = abs(x[r] - sig[r])
        if far > 2.0 * near:
            return 0, x, n_eval
        evaluate(Uf, idx, x, v, J, True)
        n_eval += 1
        if not _finite(v, J):
            return 0, x, n_eval
    for a in range(k):
        if x[S[a]] < -1e-9:
            return 0, x, n_eval
    for r in range(n):
        if x[r] < 0.0:
            x[r] = 0.0
    for i in range(N):
        tot = 0.0
        for r in range(off[i], off[i + 1]):
            tot += x[r]
        if not tot > 0.0:
            return 0, x, n_eval
        for r in range(off[i], off[i + 1]):
            x[r] /= tot
    return 1, x, n_eval
