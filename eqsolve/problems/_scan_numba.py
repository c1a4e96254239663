"""Numba kernels for the passes over a matrix's entries: the scan and the scaled norms.

Imported only when a block is large enough to pay for them (see
:mod:`eqsolve.problems.chunked`); the NumPy functions there are the reference
and compute the same quantities (``tests/problems/test_chunked.py`` holds them
together).  One sweep over the entries does what NumPy does in eight passes
with temporaries, so a scan of a block in the page cache runs near memory
bandwidth (measured on a 128 MB block in RAM, one thread each: the scan
1.7x one BLAS matrix-vector product, the scaled maxima 2.0x, the scaled sums
1.75x).  A block's rows are split between plain threads (the kernels release
the GIL), not Numba's parallel loops: their OpenMP workers spin after a
kernel and slowed the BLAS products that followed it about twofold.  The row minima and maxima are taken over the floats' bits as
ordered integers: integer reductions vectorize, float ones would need
fast-math flags that also let the compiler assume away NaN and infinities.

Maxima and minima are exact whatever the order; the scaled entries are formed
by the same IEEE operations as the NumPy reference, ``(|a - c| * d_c) * d_r``
in the block's dtype, so their row and column maxima (Ruiz equilibration)
agree bit for bit.  Sums are accumulated in float64 in another order than
NumPy's: they agree to rounding.
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

__all__ = ["scan_block", "scaled_block"]


@njit(inline="always")
def _lt(a, b):
    # a < b ? a : b -- NaN never wins, and the comparison vectorizes elementwise
    return a if a < b else b


@njit(inline="always")
def _gt(a, b):
    return a if a > b else b


@intrinsic
def _bits(typingctx, x):
    """The bits of a float as the signed integer of its width (a bitcast)."""
    if not isinstance(x, types.Float):
        return None
    it = types.int64 if x.bitwidth == 64 else types.int32

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(it))
    return it(x), codegen


@njit(inline="always")
def _key(k, shift, mask):
    # the bits of a float as a signed integer in the float's order: the sign-magnitude
    # pattern of a negative float flipped to two's complement (an involution).  Integer
    # minima and maxima vectorize as reductions; float ones do not without fast-math
    # flags that would also let the compiler assume away NaN and infinities
    return k ^ ((k >> shift) & mask)


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _scan(A, r0, r1, t, shift, mask, keys, row_abs, cmin, cmax, cabs, fro):
    n = A.shape[1]
    f = 0.0
    i = r0
    # four rows at a time: the column accumulators are read and written once per
    # four entries
    while i + 4 <= r1:
        lo0 = lo1 = lo2 = lo3 = mask
        hi0 = hi1 = hi2 = hi3 = -mask
        s0 = s1 = s2 = s3 = 0.0
        for j in range(n):
            a0, a1 = np.float64(A[i, j]), np.float64(A[i + 1, j])
            a2, a3 = np.float64(A[i + 2, j]), np.float64(A[i + 3, j])
            k0, k1 = _key(_bits(A[i, j]), shift, mask), _key(_bits(A[i + 1, j]), shift, mask)
            k2, k3 = _key(_bits(A[i + 2, j]), shift, mask), _key(_bits(A[i + 3, j]), shift, mask)
            lo0, lo1, lo2, lo3 = min(lo0, k0), min(lo1, k1), min(lo2, k2), min(lo3, k3)
            hi0, hi1, hi2, hi3 = max(hi0, k0), max(hi1, k1), max(hi2, k2), max(hi3, k3)
            b0, b1, b2, b3 = abs(a0), abs(a1), abs(a2), abs(a3)
            s0 += b0
            s1 += b1
            s2 += b2
            s3 += b3
            f += (b0 * b0 + b1 * b1) + (b2 * b2 + b3 * b3)
            cmin[t, j] = _lt(_lt(_lt(a0, a1), _lt(a2, a3)), cmin[t, j])
            cmax[t, j] = _gt(_gt(_gt(a0, a1), _gt(a2, a3)), cmax[t, j])
            cabs[t, j] += (b0 + b1) + (b2 + b3)
        keys[0, i], keys[0, i + 1], keys[0, i + 2], keys[0, i + 3] = lo0, lo1, lo2, lo3
        keys[1, i], keys[1, i + 1], keys[1, i + 2], keys[1, i + 3] = hi0, hi1, hi2, hi3
        row_abs[i], row_abs[i + 1], row_abs[i + 2], row_abs[i + 3] = s0, s1, s2, s3
        i += 4
    while i < r1:
        lo, hi, s = mask, -mask, 0.0
        for j in range(n):
            a = np.float64(A[i, j])
            k = _key(_bits(A[i, j]), shift, mask)
            lo, hi = min(lo, k), max(hi, k)
            b = abs(a)
            s += b
            f += b * b
            cmin[t, j] = _lt(a, cmin[t, j])
            cmax[t, j] = _gt(a, cmax[t, j])
            cabs[t, j] += b
        keys[0, i], keys[1, i], row_abs[i] = lo, hi, s
        i += 1
    fro[t] = f


@njit(cache=True, nogil=True)
def _scaled_max(A, r0, r1, t, c, dr, dc, rows, cols):
    # |a - c| * dc_j * dr_i >= 0: its bits as an integer are in its order
    n = A.shape[1]
    for i in range(r0, r1):
        w = dr[i]
        best = _bits(abs(A[i, 0] - c) * dc[0] * w)
        for j in range(n):
            v = abs(A[i, j] - c) * dc[j] * w
            best = max(best, _bits(v))
            cols[t, j] = _gt(v, cols[t, j])
        rows[i] = best


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _scaled_sum(A, r0, r1, t, c, dr, dc, rows, cols):
    n = A.shape[1]
    for i in range(r0, r1):
        w = dr[i]
        s = 0.0
        for j in range(n):
            v = np.float64(abs(A[i, j] - c) * dc[j] * w)
            s += v
            cols[t, j] += v
        rows[i] = s


#: one kernel call at a time: each already runs on every core
_LOCK = threading.Lock()
#: the threads that run a kernel's row ranges (the kernels release the GIL); plain
#: threads rather than Numba's parallel loops, whose OpenMP workers keep spinning after
#: a kernel and slow the BLAS products that follow it
_POOL: ThreadPoolExecutor | None = None
#: rows per thread below which a block is not split
MIN_ROWS_PER_THREAD = 16


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _parts(m: int) -> int:
    # one row range per thread; the partial column results are combined in order, so
    # a result depends on the thread count only through the order of its column sums
    return max(1, min(_cores(), m // MIN_ROWS_PER_THREAD))


def _run(kernel, m: int, parts: int, *args) -> None:
    """``kernel(A, r0, r1, t, *rest)`` over ``parts`` row ranges, one thread each."""
    global _POOL
    A, rest = args[0], args[1:]
    bounds = [(t * m // parts, (t + 1) * m // parts) for t in range(parts)]
    with _LOCK:
        if parts == 1:
            kernel(A, 0, m, 0, *rest)
            return
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=_cores())
        futures = [_POOL.submit(kernel, A, r0, r1, t, *rest) for t, (r0, r1) in enumerate(bounds)]
        for f in futures:
            f.result()


def _readonly(A):
    """A read-only view of ``A``: Numba types read-only and writable arrays apart, so one
    kind for every block (memory maps are read-only) compiles each kernel once per dtype."""
    if not A.flags.writeable:
        return A
    view = A.view()
    view.flags.writeable = False
    return view


def _int_type(dtype):
    """The signed integer of a float's width, its sign shift and magnitude mask."""
    it = np.int64 if np.dtype(dtype).itemsize == 8 else np.int32
    bits = 8 * np.dtype(it).itemsize
    return it, it(bits - 1), it(np.iinfo(it).max)


def scan_block(A):
    """``(row_min, row_max, row_abs, col_min, col_max, col_abs, fro2)`` of a 2-d float block."""
    A = _readonly(A)
    m, n = A.shape
    p = _parts(m)
    it, shift, mask = _int_type(A.dtype)
    keys = np.empty((2, m), dtype=it)
    row_abs = np.empty(m)
    cmin, cmax = np.full((p, n), np.inf), np.full((p, n), -np.inf)
    cabs, fro = np.zeros((p, n)), np.zeros(p)
    _run(_scan, m, p, A, shift, mask, keys, row_abs, cmin, cmax, cabs, fro)
    # back from the ordered integers to the floats (the same involution)
    ranges = (keys ^ ((keys >> shift) & mask)).view(A.dtype).astype(np.float64)
    col_abs = cabs[0]
    for t in range(1, p):
        col_abs = col_abs + cabs[t]
    return (ranges[0], ranges[1], row_abs, cmin.min(axis=0), cmax.max(axis=0), col_abs,
            float(math.fsum(fro)) if np.all(np.isfinite(fro)) else float(np.sum(fro)))


def scaled_block(A, centre, dr, dc, reduce: str):
    """Row and column ``reduce`` (``"max"``/``"sum"``) of ``|D_r (A - c) D_c|`` for one block.

    ``dr``, ``dc`` have ``A``'s dtype and ``centre`` is rounded to it, as in
    the NumPy reference; maxima come back in that dtype, sums in float64.
    """
    A = _readonly(A)
    # fresh contiguous copies (small): one array kind for the kernels' signatures
    dr, dc = np.array(dr, dtype=A.dtype), np.array(dc, dtype=A.dtype)
    m, n = A.shape
    p = _parts(m)
    c = A.dtype.type(centre)
    if reduce == "max":
        rows = np.empty(m, dtype=_int_type(A.dtype)[0])
        cols = np.zeros((p, n), dtype=A.dtype)
        _run(_scaled_max, m, p, A, c, dr, dc, rows, cols)
        return rows.view(A.dtype), cols.max(axis=0)
    rows, cols = np.empty(m), np.zeros((p, n))
    _run(_scaled_sum, m, p, A, c, dr, dc, rows, cols)
    out = cols[0]
    for t in range(1, p):
        out = out + cols[t]
    return rows, out
