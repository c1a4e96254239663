"""Exact Euclidean (and diagonally weighted) projection onto a treeplex.

The problem is

.. math::

    \\min_x \\sum_{s \\ne \\varnothing} \\frac{(x_s - z_s)^2}{2 t_s}
    \\quad\\text{over the treeplex } (x_\\varnothing = 1).

Every sequence ``s`` has a convex value function of its mass ``m = x_s``
(the best cost of its subtree when ``s`` carries ``m``).  Its derivative is

.. math::

    f_s(m) = (m - z_s)/t_s + \\sum_{J \\text{ below } s} \\lambda_J(m),

piecewise linear and strictly increasing, where at an information set ``J``
the children take the masses ``x_a(\\lambda) = \\max(0, f_a^{-1}(\\lambda))``
at the multiplier ``lambda``, their sum ``S_J(\\lambda)`` is piecewise
linear and nondecreasing, and ``lambda_J = S_J^{-1}``.  Bottom-up, each
level's functions are built from the next level's by merging knots; top-down,
the empty sequence carries 1 and every set solves ``S_J(lambda) = m_parent``
and hands each child ``x_a(lambda)``.  No iteration, no tolerance: the result
is the exact minimiser up to rounding.

Every piecewise-linear function is a run of *knots* ``(abscissa, value,
slope to the right)`` in flat arrays, all functions of one level side by
side, sorted by owner and then abscissa; a sum of functions is the sorted
union of their knots with the intercepts and slopes accumulated per owner
(segmented cumulative sums).  Masses never exceed 1, so knots past mass 1 are
dropped: the last kept knot's segment is exact up to the first dropped one.
Work: one sort of each level's knots, O(K log K) with K at most the summed
subtree sizes (usually far fewer after the pruning), and no Python loop
except over depth levels.
"""

from __future__ import annotations

import numpy as np

from .backend import HAS_NUMBA, BackendUnavailableError, namespace

__all__ = ["project_treeplex"]


def _host(a) -> np.ndarray:
    """``a`` as a NumPy array on the host (CuPy: copied from the device)."""
    if hasattr(a, "get"):
        a = a.get()
    return np.asarray(a)


def check_weights(t, dim: int, dtype) -> np.ndarray:
    """The projection metric ``t`` as a host vector of ``dim`` entries (coordinate 0 ignored)."""
    t = _host(t)
    if t.ndim > 1 or (t.ndim == 1 and t.shape[0] not in (1, dim)):
        raise ValueError(f"t must be a positive scalar or a vector of {dim} entries "
                         f"(one per sequence), got shape {t.shape}")
    if t.dtype == bool or not (np.issubdtype(t.dtype, np.integer) or np.issubdtype(t.dtype, np.floating)):
        raise TypeError(f"t must hold real numbers, got dtype {t.dtype}")
    t = np.array(np.broadcast_to(t.astype(dtype), (dim,)))
    t[0] = 1                                   # x_0 = 1 is fixed: its weight plays no part
    tail = t[1:]
    bad = ~(np.isfinite(tail) & (tail > 0))
    if bad.any():
        j = 1 + int(np.argmax(bad))
        raise ValueError(f"t must be positive and finite (the metric's weights), got t[{j}] = {t[j]}")
    return t


def _segment_cumsum(v: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Cumulative sums of ``v`` restarted at every ``starts`` (non-empty segments).

    Each segment's total is subtracted at the next segment's start, so the
    running sum returns to (nearly) zero there and one segment's rounding is
    relative to its own magnitude and its neighbour's, not to all before it.
    """
    if v.size == 0:
        return v.copy()
    tot = np.add.reduceat(v, starts)
    w = v.copy()
    w[starts[1:]] -= tot[:-1]
    c = np.cumsum(w)
    base = np.zeros_like(tot)
    base[1:] = c[starts[1:] - 1] - tot[:-1]        # the drift left by earlier segments
    return c - np.repeat(base, np.diff(np.append(starts, v.size)))


def _deltas(owner: np.ndarray, a: np.ndarray, b: np.ndarray):
    """Per-knot changes of intercept and slope within each owner (the first knot: its own)."""
    da, db = a.copy(), b.copy()
    same = owner[1:] == owner[:-1]
    da[1:] -= np.where(same, a[:-1], 0)
    db[1:] -= np.where(same, b[:-1], 0)
    return da, db


def _starts(owner: np.ndarray, n_owner: int) -> np.ndarray:
    """First index of each owner in the sorted ``owner`` (every owner present)."""
    counts = np.bincount(owner, minlength=n_owner)
    starts = np.zeros(n_owner, np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    return starts


def _owner_major_order(owner, x, n_owner: int):
    """The order that sorts by ``owner`` and then ``x`` (``np.lexsort((x, owner))``).

    Computed as one float sort giving global ranks of ``x`` and one sort of the
    integer keys ``owner * K + rank``: three times faster than ``lexsort``, whose
    stable passes dominate the projection otherwise.
    """
    K = x.size
    if K == 0 or n_owner * K >= 2**62:
        return np.lexsort((x, owner))
    rank = np.empty(K, np.int64)
    rank[np.argsort(x)] = np.arange(K)
    return np.argsort(owner.astype(np.int64) * K + rank)


def _pl_sum(owner, x, da, db, n_owner: int):
    """The sum, per owner, of piecewise-linear functions given as knot changes.

    ``x`` are the knots' abscissae, ``da``/``db`` the changes of intercept and
    slope there.  Returns ``(owner, x, value, slope)`` with one knot per
    distinct abscissa of an owner, sorted; every owner must have a knot.
    """
    order = _owner_major_order(owner, x, n_owner)
    owner, x, da, db = owner[order], x[order], da[order], db[order]
    starts = _starts(owner, n_owner)
    A = _segment_cumsum(da, starts)
    B = _segment_cumsum(db, starts)
    # of knots that share an abscissa, the last carries every change
    last = np.ones(x.size, bool)
    last[:-1] = (owner[1:] != owner[:-1]) | (x[1:] != x[:-1])
    owner, x, A, B = owner[last], x[last], A[last], B[last]
    return owner, x, A + B * x, B


def _keep(owner, x, cap, n_owner, *arrays):
    """Knots with abscissa ``x <= cap`` (each owner's first always kept), and the new starts."""
    first = np.ones(x.size, bool)
    first[1:] = owner[1:] != owner[:-1]
    keep = first | (x <= cap)
    out = [owner[keep], x[keep]] + [a[keep] for a in arrays]
    starts = _starts(out[0], n_owner)
    return out, starts


def _bottom_up(tp, z: np.ndarray, w: np.ndarray):
    """Every level's sequence derivatives ``f_s`` and set multipliers ``lambda_J`` (NumPy).

    Each is ``(owner, abscissa, value, slope, starts)``: for ``f_s`` the abscissa is the
    mass and the value the derivative; for ``lambda_J`` the abscissa is the mass and the
    value the multiplier.  ``starts[o]`` is owner ``o``'s first knot.
    """
    dt = z.dtype
    levels = tp.levels
    one = dt.type(1.0)
    F = [None] * len(levels)
    Lam = [None] * len(levels)
    for d in range(len(levels) - 1, -1, -1):
        L = levels[d]
        s0 = L.seqs.start
        ns = L.seqs.stop - s0
        # f_s = (m - z_s) w_s + sum of lambda_J of the sets below s
        owner = np.arange(ns)
        x = np.zeros(ns, dt)
        da = -z[L.seqs] * w[L.seqs]
        db = w[L.seqs].copy()
        if d + 1 < len(levels):
            lo, lx, ly, lb, _ = Lam[d + 1]
            par = (tp.parents[levels[d + 1].sets] - s0)[lo]
            ca, cb = _deltas(lo, ly - lb * lx, lb)
            owner = np.concatenate((owner, par))
            x = np.concatenate((x, lx))
            da = np.concatenate((da, ca))
            db = np.concatenate((db, cb))
        fo, fx, fy, fb = _pl_sum(owner, x, da, db, ns)
        (fo, fx, fy, fb), fstarts = _keep(fo, fx, one, ns, fy, fb)
        F[d] = (fo, fx, fy, fb, fstarts)
        # S_J(lambda) = sum over children of x_a(lambda) = max(0, f_a^{-1}(lambda)):
        # knots at lambda = f_a(m_i), intercept m_i - f_a(m_i)/slope_i, slope 1/slope_i
        inv = one / fb
        ca, cb = _deltas(fo, fx - fy * inv, inv)
        nsets = L.sets.stop - L.sets.start
        so, sl, sS, sB = _pl_sum(L.owner[fo], fy, ca, cb, nsets)
        first = np.ones(so.size, bool)
        first[1:] = so[1:] != so[:-1]
        sS[first] = 0.0                   # below the first knot no child plays
        (so, sS, sl, sB), sstarts = _keep(so, sS, one, nsets, sl, sB)
        Lam[d] = (so, sS, sl, one / sB, sstarts)
    return F, Lam


def _child_sets(tp, d: int):
    """For each sequence of level ``d``: the range of the next level's sets below it
    (local indices; cached on the treeplex, which never changes)."""
    cache = tp.__dict__.setdefault("_projection_child_sets", {})
    hit = cache.get(d)
    if hit is None:
        L = tp.levels[d]
        cpar = tp.parents[tp.levels[d + 1].sets]
        seqs = np.arange(L.seqs.start, L.seqs.stop)
        hit = cache[d] = (np.searchsorted(cpar, seqs, "left"), np.searchsorted(cpar, seqs, "right"))
    return hit


def _bottom_up_numba(tp, z: np.ndarray, w: np.ndarray):
    """:func:`_bottom_up` with the Numba kernels (same knots up to rounding)."""
    from ._treeplex_projection_numba import sequence_level, set_level

    levels = tp.levels
    one = float(1.0)
    F = [None] * len(levels)
    Lam = [None] * len(levels)
    empty = np.zeros(0, z.dtype)
    for d in range(len(levels) - 1, -1, -1):
        L = levels[d]
        s0 = L.seqs.start
        ns = L.seqs.stop - s0
        if d + 1 < len(levels):
            lo, lx, ly, lb, lstarts = Lam[d + 1]
            child_lo, child_hi = _child_sets(tp, d)
            lam_starts = np.append(lstarts, lx.size)
        else:
            child_lo = child_hi = np.zeros(ns, np.int64)
            lam_starts, lx, ly, lb = np.zeros(1, np.int64), empty, empty, empty
        F[d] = sequence_level(np.ascontiguousarray(z[L.seqs]), np.ascontiguousarray(w[L.seqs]),
                              child_lo, child_hi, lam_starts, lx, ly, lb, one)
        fo, fx, fy, fb, fstarts = F[d]
        Lam[d] = set_level(np.append(L.seg, ns), fstarts, fx, fy, fb, one)
    return F, Lam


def _project_host(tp, z: np.ndarray, w: np.ndarray, kernel: str = "numpy") -> np.ndarray:
    """The projection of ``z`` in the metric ``sum_s w_s (x_s - z_s)^2`` (host NumPy, float dtype of z)."""
    dt = z.dtype
    levels = tp.levels
    if kernel == "numba":
        from ._treeplex_projection_numba import top_down_level

        # the kernels run in float64 whatever the input (one compiled specialisation;
        # they accumulate in float64 anyway)
        z64, w64 = z.astype(np.float64), w.astype(np.float64)
        F, Lam = _bottom_up_numba(tp, z64, w64)
        x = np.empty(tp.dim, np.float64)
        x[0] = 1.0
        for d, L in enumerate(levels):
            mp = np.maximum(x[tp.parents[L.sets]], 0)
            out = np.empty(L.seqs.stop - L.seqs.start, np.float64)
            top_down_level(mp, *Lam[d][4:], *Lam[d][1:4], np.append(L.seg, out.size),
                           F[d][4], *F[d][1:4], out)
            x[L.seqs] = out
        return x.astype(dt, copy=False)
    F, Lam = _bottom_up(tp, z, w)
    x = np.empty(tp.dim, dt)
    x[0] = 1.0
    for d, L in enumerate(levels):
        mp = np.maximum(x[tp.parents[L.sets]], 0)
        lo, lx, ly, lb, lstarts = Lam[d]
        k = lstarts + np.add.reduceat((lx <= mp[lo]).astype(np.int64), lstarts) - 1
        lam = ly[k] + lb[k] * (mp - lx[k])
        fo, fx, fy, fb, fstarts = F[d]
        lq = lam[L.owner]
        cnt = np.add.reduceat((fy <= lq[fo]).astype(np.int64), fstarts)
        k = fstarts + np.maximum(cnt, 1) - 1
        xs = np.where(cnt > 0, np.maximum(fx[k] + (lq - fy[k]) / fb[k], 0), 0).astype(dt)
        # the children's masses sum to the parent's up to rounding: make it exact to an ulp;
        # where rounding left no child positive (a tiny parent mass against huge z), the
        # parent's mass goes to the children that enter first
        sums = np.add.reduceat(xs, L.seg)
        y0 = fy[fstarts]
        entering = (y0 <= np.minimum.reduceat(y0, L.seg)[L.owner]).astype(dt)
        share = entering / np.add.reduceat(entering, L.seg)[L.owner]
        pos = sums > 0
        scale = np.where(pos, mp / np.where(pos, sums, 1), 0)
        x[L.seqs] = np.where(pos[L.owner], xs * scale[L.owner], share * mp[L.owner])
    return x


def check_kernel(kernel) -> str:
    """``kernel`` checked: ``"numpy"`` (the reference) or ``"numba"`` (needs Numba)."""
    if kernel not in ("numpy", "numba"):
        raise ValueError(f"kernel must be 'numpy' or 'numba', got {kernel!r}")
    if kernel == "numba" and not HAS_NUMBA:
        raise BackendUnavailableError("kernel='numba' needs Numba, which is not installed: "
                                      "pip install numba (or use kernel='numpy')")
    return kernel


def project_treeplex(tp, z, t=None, kernel: str = "numpy"):
    """The projection of ``z`` onto the treeplex ``tp``, in the metric
    ``sum_s (x_s - z_s)^2 / t_s`` (Euclidean when ``t`` is None).

    NumPy input is computed in its own float dtype (float32 stays float32;
    integers become float64; float16 and long double are computed in float64
    and returned in their dtype).  Other namespaces (CuPy, array-API libraries)
    are copied to the host, projected with NumPy and copied back: the
    projection is a few sorts per level, which the host does well.  Input
    with a non-finite entry projects to all-NaN (a diverged iterate stays
    visibly diverged).  ``kernel="numba"`` runs both passes with the compiled
    kernels of :mod:`eqsolve._treeplex_projection_numba` (owner by owner, in
    float64 whatever the input's dtype, the result cast back) instead of one
    NumPy sort per level.
    """
    kernel = check_kernel(kernel)
    if not hasattr(z, "shape"):
        z = np.asarray(z)
    xp = namespace(z)
    if z.shape != (tp.dim,):
        raise ValueError(f"z must be a vector of {tp.dim} entries (one per sequence), got shape {z.shape}")
    zh = _host(z)
    if not (zh.dtype == bool or np.issubdtype(zh.dtype, np.integer) or np.issubdtype(zh.dtype, np.floating)):
        raise TypeError(f"z must hold real numbers, got dtype {zh.dtype}")
    out_dtype = zh.dtype if np.issubdtype(zh.dtype, np.floating) else np.dtype(np.float64)
    if zh.dtype not in (np.float32, np.float64):      # integers, bool, float16, long double
        zh = zh.astype(np.float64)
    if t is None:
        w = np.ones(tp.dim, zh.dtype)
    else:
        w = (1 / check_weights(t, tp.dim, zh.dtype)).astype(zh.dtype)
    if not np.all(np.isfinite(zh)):
        out = np.full(tp.dim, np.nan, zh.dtype)
    elif tp.n_sets == 0:
        out = np.ones(1, zh.dtype)
    else:
        out = _project_host(tp, zh, w, kernel)
    if isinstance(z, np.ndarray):
        return out.astype(out_dtype, copy=False)
    return xp.asarray(out, dtype=z.dtype if xp.isdtype(z.dtype, "real floating") else xp.float64)
