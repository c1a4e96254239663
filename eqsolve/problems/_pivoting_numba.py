"""Compiled float Lemke-Howson pivots (Numba): the float path of :mod:`._pivoting`, in place.

The same dictionary, the same ratio test (ties to relative precision
``1e-11``, numerators below ``1e-13`` of their column's scale counted as zero,
then the lexicographic rule on the basis inverse) and the same pivot as
``Tableau`` in float arithmetic; the NumPy path is the reference (tests pin
the two to the same pivots).  Loaded only when a float Lemke-Howson path runs.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["lemke_howson_pivots"]


@njit(cache=True)
def _entry(M, i, colidx, q, scale):
    """Row ``i`` of column ``colidx`` of ``M`` (the unit vector at row ``q`` when
    ``colidx < 0``), with entries at rounding level of ``scale`` taken as 0."""
    v = M[i, colidx] if colidx >= 0 else (1.0 if i == q else 0.0)
    return 0.0 if abs(v) <= 1e-13 * scale else v


@njit(cache=True)
def _ties(M, rows, nrows, a, colidx, q, scale, out):
    """Filter ``rows[:nrows]`` to those with the smallest ``v_i / a_i`` (float ties); ``v`` is
    column ``colidx`` of ``M`` (or the unit vector at row ``q`` when ``colidx < 0``)."""
    rmin = np.inf
    for k in range(nrows):
        i = rows[k]
        r = _entry(M, i, colidx, q, scale) / a[i]
        if r < rmin:
            rmin = r
    cnt = 0
    for k in range(nrows):
        i = rows[k]
        if _entry(M, i, colidx, q, scale) / a[i] <= rmin + 1e-11 * abs(rmin):
            out[cnt] = i
            cnt += 1
    return cnt


@njit(cache=True)
def _leaving(M, c, row_of, col_of, slacks):
    rows_n = M.shape[0]
    a = M[:, c]
    cmax = 0.0
    for i in range(rows_n):
        if abs(a[i]) > cmax:
            cmax = abs(a[i])
    if not (cmax > 0.0) or not np.isfinite(cmax):
        return -1
    cand = np.empty(rows_n, dtype=np.int64)
    n = 0
    for i in range(rows_n):
        if a[i] > 1e-11 * cmax:
            cand[n] = i
            n += 1
    if n == 0:
        return -1
    scale = 0.0
    for i in range(rows_n):
        if abs(M[i, 0]) > scale:
            scale = abs(M[i, 0])
    buf = np.empty(rows_n, dtype=np.int64)
    n = _ties(M, cand, n, a, 0, -1, scale, buf)
    cand, buf = buf, cand
    j = 0
    while n > 1 and j < slacks.shape[0]:
        lab = slacks[j]
        cc = col_of[lab]
        if cc >= 0:
            vs = 0.0
            for i in range(rows_n):
                if abs(M[i, cc]) > vs:
                    vs = abs(M[i, cc])
            n = _ties(M, cand, n, a, cc, -1, vs, buf)
        else:
            n = _ties(M, cand, n, a, -1, row_of[lab], 1.0, buf)
        cand, buf = buf, cand
        j += 1
    return cand[0]


@njit(cache=True)
def _pivot(M, r, c):
    rows_n, cols_n = M.shape
    p = M[r, c]
    rowv = M[r, :] / p
    colv = M[:, c].copy()
    for i in range(rows_n):
        if i == r:
            continue
        f = colv[i]
        if f != 0.0:
            for j in range(cols_n):
                M[i, j] -= f * rowv[j]
    for j in range(cols_n):
        M[r, j] = rowv[j]
    for i in range(rows_n):
        M[i, c] = -colv[i] / p
    M[r, c] = 1.0 / p


@njit(cache=True)
def lemke_howson_pivots(MP, MQ, basicP, nonbP, rowP, colP, slackP, basicQ, nonbQ, rowQ, colQ,
                        slackQ, label, entering, turn, max_pivots):
    """Up to ``max_pivots`` float pivots of the path; ``(status, entering, turn, pivots)`` with
    status 1 at the complementary basis, 0 when the budget ran out, -1 on a failure."""
    for it in range(max_pivots):
        if turn == 0:
            M, basic, nonb, row_of, col_of, slacks = MP, basicP, nonbP, rowP, colP, slackP
        else:
            M, basic, nonb, row_of, col_of, slacks = MQ, basicQ, nonbQ, rowQ, colQ, slackQ
        c = col_of[entering]
        r = _leaving(M, c, row_of, col_of, slacks)
        if r < 0:
            return -1, entering, turn, it
        leaving = basic[r]
        _pivot(M, r, c)
        for i in range(M.shape[0]):
            if not np.isfinite(M[i, c]):
                return -1, entering, turn, it + 1
        basic[r] = entering
        nonb[c] = leaving
        row_of[entering] = r
        col_of[entering] = -1
        row_of[leaving] = -1
        col_of[leaving] = c
        if leaving == label:
            return 1, entering, turn, it + 1
        entering = leaving
        turn = 1 - turn
    return 0, entering, turn, max_pivots


@njit(cache=True)
def _inverse_mod(a, p):
    """``a^-1 mod p`` (``p`` prime, ``0 < a < p``) by Fermat's little theorem."""
    result = 1
    base = a % p
    e = p - 2
    while e > 0:
        if e & 1:
            result = result * base % p
        base = base * base % p
        e >>= 1
    return result


@njit(cache=True)
def solve_mod_primes(G, b, primes):
    """``det G`` and the Cramer numerators ``det G * (G^-1 b)`` modulo each prime (< 2^31).

    Gaussian elimination modulo ``p`` (products of two residues stay below
    2^62).  Returns ``(det, num, ok)``: ``det[q]`` and ``num[q, :]`` the
    residues for ``primes[q]``, ``ok[q]`` false when ``p`` divides ``det G``
    (then the other two are undefined for that prime).
    """
    k = G.shape[0]
    P = primes.shape[0]
    det = np.zeros(P, dtype=np.int64)
    num = np.zeros((P, k), dtype=np.int64)
    ok = np.zeros(P, dtype=np.bool_)
    M = np.empty((k, k + 1), dtype=np.int64)
    for q in range(P):
        p = primes[q]
        for i in range(k):
            for j in range(k):
                M[i, j] = G[i, j] % p
            M[i, k] = b[i] % p
        d = 1
        singular = False
        for c in range(k):
            piv = -1
            for i in range(c, k):
                if M[i, c] != 0:
                    piv = i
                    break
            if piv < 0:
                singular = True
                break
            if piv != c:
                for j in range(c, k + 1):
                    t = M[c, j]
                    M[c, j] = M[piv, j]
                    M[piv, j] = t
                d = p - d if d != 0 else 0
            pv = M[c, c]
            d = d * pv % p
            inv = _inverse_mod(pv, p)
            for j in range(c, k + 1):
                M[c, j] = M[c, j] * inv % p
            for i in range(c + 1, k):
                f = M[i, c]
                if f != 0:
                    for j in range(c, k + 1):
                        M[i, j] = (M[i, j] - f * M[c, j]) % p
        if singular:
            continue
        # back substitution on the unit upper triangle
        for i in range(k - 1, -1, -1):
            s = M[i, k]
            for j in range(i + 1, k):
                s = (s - M[i, j] * M[j, k]) % p
            M[i, k] = s
        det[q] = d
        for i in range(k):
            num[q, i] = M[i, k] * d % p
        ok[q] = True
    return det, num, ok
