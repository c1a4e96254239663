"""One pass over a dense matrix for both of a matrix game's products.

An operator evaluation of a matrix game needs ``A y`` and ``A^T x``.  Two BLAS
products stream ``A`` from memory twice; on a matrix larger than the caches
that is the whole cost of a first-order iteration.  The kernel here reads each
row of ``A`` once and uses it twice: its dot product with ``y`` is one entry
of ``A y``, and ``x_i`` times the row is added into ``A^T x``.

For a C-ordered ``B`` of shape ``(r, c)`` :func:`fused_products` returns
``(B u, B^T v)``; a Fortran-ordered ``A`` is the C-ordered ``A.T``, so the
caller swaps the roles (see ``MatrixGame.products``).  On a tall matrix the
rows are split into one contiguous range per thread, each thread adds into its
own ``B^T v`` accumulator, and the accumulators are summed at the end; on a
wide one the columns are split, and the threads' partial ``B u`` are summed.  Columns are taken in
blocks of :data:`COLUMN_BLOCK` so that the block of ``u`` and of each
accumulator stays in the core's cache however wide ``B`` is.

Rounding: every entry is a sum of the same products as the BLAS one, in
another order (blocked, split over threads, vectorised).  The duality-gap
allowance (``certificates.residuals.gap_allowance``) bounds the error of any
summation order of ``n`` products, so the certificates hold as they are.  The
kernels are compiled with reassociation and contraction only (LLVM needs
reassociation to vectorise a floating-point sum); the flags that assume finite
values stay off, so a non-finite input still gives a non-finite product.
"""

from __future__ import annotations

import numpy as np
from numba import get_num_threads, njit, prange

__all__ = ["fused_products", "COLUMN_BLOCK", "PARALLEL_BYTES"]

#: columns per block: u's block and an accumulator's block take 2 x 32 KiB in
#: float64, well inside a core's L2 cache
COLUMN_BLOCK = 4096

#: matrices smaller than this (bytes) are done by one thread: below it, waking
#: the second thread costs more than the half of the pass it would take
PARALLEL_BYTES = 1 << 21

_FLAGS = {"reassoc", "contract"}


def _block(B, u, v, lo, hi, c_lo, c_hi, Bu, acc, zero):
    """Rows ``lo:hi``, columns ``c_lo:c_hi`` of ``B``: ``Bu[i] += B[i, c_lo:c_hi] . u[c_lo:c_hi]``
    and ``acc[c_lo:c_hi] += v[i] B[i, c_lo:c_hi]``.

    Four rows at a time: each entry of ``u`` and of ``acc`` is then loaded once
    per four entries of ``B`` instead of once per entry, which keeps the loop
    bound by the stream of ``B`` rather than by the accumulator's loads and
    stores.  ``zero`` is a zero of ``B``'s dtype, so that float32 sums stay
    float32 (as BLAS's do).
    """
    hi4 = hi - (hi - lo) % 4
    for j0 in range(c_lo, c_hi, COLUMN_BLOCK):
        j1 = min(j0 + COLUMN_BLOCK, c_hi)
        # slices indexed from 0: LLVM vectorises those loops, not ones over range(j0, j1)
        ub, ab, w = u[j0:j1], acc[j0:j1], j1 - j0
        for i in range(lo, hi4, 4):
            b0, b1, b2, b3 = B[i, j0:j1], B[i + 1, j0:j1], B[i + 2, j0:j1], B[i + 3, j0:j1]
            w0, w1, w2, w3 = v[i], v[i + 1], v[i + 2], v[i + 3]
            s0 = s1 = s2 = s3 = zero
            for j in range(w):
                a0, a1, a2, a3 = b0[j], b1[j], b2[j], b3[j]
                uj = ub[j]
                s0 += a0 * uj
                s1 += a1 * uj
                s2 += a2 * uj
                s3 += a3 * uj
                ab[j] += (w0 * a0 + w1 * a1) + (w2 * a2 + w3 * a3)
            Bu[i] += s0
            Bu[i + 1] += s1
            Bu[i + 2] += s2
            Bu[i + 3] += s3
        for i in range(hi4, hi):
            b0, w0 = B[i, j0:j1], v[i]
            s0 = zero
            for j in range(w):
                a0 = b0[j]
                s0 += a0 * ub[j]
                ab[j] += w0 * a0
            Bu[i] += s0


_block_jit = njit(cache=True, nogil=True, fastmath=_FLAGS)(_block)


def _fused_serial(B, u, v, zero):
    # the products take ``zero``'s type: B's own, or float64 for float32 entries read in
    # float64 arithmetic (a certificate's products, see :func:`fused_products`)
    r, c = B.shape
    Bu = np.full(r, zero)
    BTv = np.full(c, zero)
    _block_jit(B, u, v, 0, r, 0, c, Bu, BTv, zero)
    return Bu, BTv


def _fused_parallel(B, u, v, zero, chunks):
    # each thread keeps a private copy of the shorter product and writes its own
    # part of the longer one: row ranges on a tall matrix (private B^T v), column
    # ranges on a wide one (private B u)
    r, c = B.shape
    Bu = np.full(r, zero)
    BTv = np.full(c, zero)
    if r >= c:
        part = np.zeros((chunks, c), dtype=Bu.dtype)
        for t in prange(chunks):
            _block_jit(B, u, v, t * r // chunks, (t + 1) * r // chunks, 0, c, Bu, part[t], zero)
        for t in range(chunks):
            for j in range(c):
                BTv[j] += part[t, j]
    else:
        part = np.zeros((chunks, r), dtype=Bu.dtype)
        for t in prange(chunks):
            _block_jit(B, u, v, 0, r, t * c // chunks, (t + 1) * c // chunks, part[t], BTv, zero)
        for t in range(chunks):
            for i in range(r):
                Bu[i] += part[t, i]
    return Bu, BTv


_serial = njit(cache=True, nogil=True, fastmath=_FLAGS)(_fused_serial)
# the parallel build keeps the GIL: Numba's fallback threading layer (workqueue,
# without OpenMP or TBB) aborts when two Python threads launch parallel kernels
# at once, and the passes are bandwidth-bound, so taking turns costs nothing
_parallel = njit(cache=True, parallel=True, fastmath=_FLAGS)(_fused_parallel)


def fused_products(B, u, v, threads=None):
    """``(B @ u, B.T @ v)`` with one read of the C-contiguous matrix ``B``.

    Parameters
    ----------
    B : (r, c) C-contiguous float32 or float64 array
    u : (c,) contiguous array of ``B``'s dtype, or float64 for float32 ``B``
    v : (r,) contiguous array of ``u``'s dtype
    threads : int, optional
        Ranges to split the pass into, one per thread: of rows when ``B`` is
        at least as tall as wide, else of columns (default: Numba's thread
        count when ``B`` has at least :data:`PARALLEL_BYTES`, else 1).

    With float32 ``B`` and float64 vectors every entry is widened exactly and
    the sums are float64: the products a float32 game's certificate needs, in
    one read of the float32 entries (a float64 copy would read twice as much).
    """
    if threads is None:
        threads = get_num_threads() if B.nbytes >= PARALLEL_BYTES else 1
    threads = max(1, min(int(threads), max(B.shape)))
    zero = u.dtype.type(0)
    if threads == 1:
        return _serial(B, u, v, zero)
    return _parallel(B, u, v, zero, threads)
