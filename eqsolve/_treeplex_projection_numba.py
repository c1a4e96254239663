r"""Numba kernels of the treeplex projection (imported only when asked for).

The same functions as the NumPy reference (:mod:`eqsolve._treeplex_projection`),
in the same knot format, built owner by owner instead of by one sort of a
whole level: each sequence merges its own linear term with the multipliers of
the sets below it, each set the inverses of its children's derivatives, with
one small sort of that owner's knots and a running sum of intercepts and
slopes; top-down, each set scans its own knots.  Everything runs in float64.
The two paths agree to rounding (tested to 1e-12).
"""

from __future__ import annotations

import numpy as np

from .backend import HAS_NUMBA

__all__ = ["sequence_level", "set_level", "top_down_level"]

if HAS_NUMBA:
    from numba import njit
else:  # importable without numba; project_treeplex refuses kernel="numba" then

    def njit(*args, **kwargs):
        return args[0] if args and callable(args[0]) else (lambda f: f)

_OPTS = dict(nogil=True, cache=True, fastmath=False, error_model="numpy")


@njit(**_OPTS)
def _order(keys, m, idx, tmp):
    """``idx[:m]``: a sorting order of ``keys[:m]`` (insertion sort for the few knots
    most owners have; a bottom-up merge sort through ``tmp`` beyond)."""
    if m <= 24:
        for q in range(m):
            v = keys[q]
            p = q
            while p > 0 and keys[idx[p - 1]] > v:
                idx[p] = idx[p - 1]
                p -= 1
            idx[p] = q
        return
    for q in range(m):
        idx[q] = q
    width = 1
    src, dst = idx, tmp
    while width < m:
        lo = 0
        while lo < m:
            mid = min(lo + width, m)
            hi = min(lo + 2 * width, m)
            a, b, o = lo, mid, lo
            while a < mid and b < hi:
                if keys[src[b]] < keys[src[a]]:
                    dst[o] = src[b]
                    b += 1
                else:
                    dst[o] = src[a]
                    a += 1
                o += 1
            while a < mid:
                dst[o] = src[a]
                a += 1
                o += 1
            while b < hi:
                dst[o] = src[b]
                b += 1
                o += 1
            lo = hi
        src, dst = dst, src
        width *= 2
    if src is not idx:
        for q in range(m):
            idx[q] = src[q]


@njit(**_OPTS)
def sequence_level(zl, wl, child_lo, child_hi, lam_starts, lam_x, lam_y, lam_b, cap):
    """Knots of ``f_s(m) = (m - z_s) w_s + sum of lambda_J(m)`` for every sequence of a level.

    The sets below local sequence ``i`` are ``child_lo[i]:child_hi[i]`` of the next
    level, whose multiplier knots are ``lam_starts[J]:lam_starts[J + 1]``.  Returns
    ``(owner, x, y, b, starts)`` trimmed to the knots kept (abscissa <= cap).
    """
    ns = zl.shape[0]
    total = ns + lam_x.shape[0]
    ox = np.empty(total, zl.dtype)
    oy = np.empty(total, zl.dtype)
    ob = np.empty(total, zl.dtype)
    oo = np.empty(total, np.int64)
    starts = np.empty(ns, np.int64)
    kx = np.empty(total, zl.dtype)           # one owner's knots at a time
    ka = np.empty(total, np.float64)
    kb = np.empty(total, np.float64)
    order = np.empty(total, np.int64)
    tmp = np.empty(total, np.int64)
    pos = 0
    for i in range(ns):
        j0 = lam_starts[child_lo[i]]
        j1 = lam_starts[child_hi[i]]
        m = 1 + j1 - j0
        kx[0] = 0.0
        ka[0] = -zl[i] * wl[i]
        kb[0] = wl[i]
        r = 1
        for J in range(child_lo[i], child_hi[i]):
            pa = 0.0
            pb = 0.0
            for k in range(lam_starts[J], lam_starts[J + 1]):
                a = lam_y[k] - lam_b[k] * lam_x[k]
                kx[r] = lam_x[k]
                ka[r] = a - pa
                kb[r] = lam_b[k] - pb
                pa = a
                pb = lam_b[k]
                r += 1
        _order(kx, m, order, tmp)
        A = 0.0
        B = 0.0
        starts[i] = pos
        for q in range(m):
            k = order[q]
            A += ka[k]
            B += kb[k]
            if q + 1 < m and kx[order[q + 1]] == kx[k]:
                continue                  # of tied knots, the last carries every change
            if kx[k] > cap and pos > starts[i]:
                break
            ox[pos] = kx[k]
            oy[pos] = A + B * kx[k]
            ob[pos] = B
            oo[pos] = i
            pos += 1
    return oo[:pos], ox[:pos], oy[:pos], ob[:pos], starts


@njit(**_OPTS)
def set_level(set_lo, f_starts, fx, fy, fb, cap):
    """Knots of ``lambda_J``, the inverse of ``S_J(lambda) = sum_a max(0, f_a^{-1}(lambda))``,
    for every set of a level (set ``J`` owns the level's sequences ``set_lo[J]:set_lo[J + 1]``).

    Returns ``(owner, mass, lambda, slope, starts)`` trimmed to masses <= cap.
    """
    nsets = set_lo.shape[0] - 1
    total = fx.shape[0]
    ox = np.empty(total, fx.dtype)
    oy = np.empty(total, fx.dtype)
    ob = np.empty(total, fx.dtype)
    oo = np.empty(total, np.int64)
    starts = np.empty(nsets, np.int64)
    kl = np.empty(total, fx.dtype)           # one owner's knots at a time
    ka = np.empty(total, np.float64)
    kb = np.empty(total, np.float64)
    order = np.empty(total, np.int64)
    tmp = np.empty(total, np.int64)
    pos = 0
    nseq = f_starts.shape[0]
    for J in range(nsets):
        k0 = f_starts[set_lo[J]]
        k1 = f_starts[set_lo[J + 1]] if set_lo[J + 1] < nseq else total
        m = k1 - k0
        for s in range(set_lo[J], set_lo[J + 1]):
            e0 = f_starts[s]
            e1 = f_starts[s + 1] if s + 1 < nseq else total
            pa = 0.0
            pb = 0.0
            for k in range(e0, e1):
                inv = 1.0 / fb[k]
                a = fx[k] - fy[k] * inv
                kl[k - k0] = fy[k]
                ka[k - k0] = a - pa
                kb[k - k0] = inv - pb
                pa = a
                pb = inv
        _order(kl, m, order, tmp)
        A = 0.0
        B = 0.0
        starts[J] = pos
        for q in range(m):
            k = order[q]
            A += ka[k]
            B += kb[k]
            if q + 1 < m and kl[order[q + 1]] == kl[k]:
                continue
            S = 0.0 if pos == starts[J] else A + B * kl[k]   # below the first knot no child plays
            if S > cap and pos > starts[J]:
                break
            ox[pos] = S
            oy[pos] = kl[k]
            ob[pos] = 1.0 / B
            oo[pos] = J
            pos += 1
    return oo[:pos], ox[:pos], oy[:pos], ob[:pos], starts


@njit(**_OPTS)
def top_down_level(mp, lam_starts, lx, ly, lb, set_lo, f_starts, fx, fy, fb, out):
    """The masses of a level's sequences (into ``out``) given their sets' parent masses ``mp``.

    Each set evaluates ``lambda_J`` at its parent's mass and each child the inverse of
    its derivative at that multiplier (a scan of the owner's knots); the children's
    masses are then rescaled to sum to the parent's exactly, as in the reference.
    """
    nsets = mp.shape[0]
    nl = lx.shape[0]
    nf = fx.shape[0]
    nseq = f_starts.shape[0]
    for J in range(nsets):
        m = mp[J]
        k1 = lam_starts[J + 1] if J + 1 < nsets else nl
        k = lam_starts[J]
        while k + 1 < k1 and lx[k + 1] <= m:
            k += 1
        lam = ly[k] + lb[k] * (m - lx[k])
        total = 0.0
        ymin = np.inf
        for s in range(set_lo[J], set_lo[J + 1]):
            e0 = f_starts[s]
            e1 = f_starts[s + 1] if s + 1 < nseq else nf
            ymin = min(ymin, fy[e0])
            if fy[e0] > lam:
                out[s] = 0.0
                continue
            e = e0
            while e + 1 < e1 and fy[e + 1] <= lam:
                e += 1
            v = max(fx[e] + (lam - fy[e]) / fb[e], 0.0)
            out[s] = v
            total += out[s]
        if total > 0:
            scale = m / total
            for s in range(set_lo[J], set_lo[J + 1]):
                out[s] = out[s] * scale
        else:
            # rounding left no child positive (a tiny parent mass against huge values):
            # the mass goes to the children that enter first
            n_enter = 0
            for s in range(set_lo[J], set_lo[J + 1]):
                if fy[f_starts[s]] <= ymin:
                    n_enter += 1
            for s in range(set_lo[J], set_lo[J + 1]):
                out[s] = m / n_enter if fy[f_starts[s]] <= ymin else 0.0
