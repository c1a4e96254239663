"""Row-blocked matrices read block by block: games larger than memory, or spread over workers.

A :class:`ChunkedMatrix` holds an ``(m, n)`` matrix as row blocks ``A_b`` and
offers exactly the products first-order methods need.  Each is **one pass**
(every block read once) and returns NumPy; the iterate vectors never leave
NumPy, so nothing grows from one iteration to the next:

``products(x, y) = (A^T x, A y)``
    ``(A y)_b = A_b y`` and ``A^T x = sum_b A_b^T x_b``: both from one read of
    each block -- half the I/O of two separate products;
``matvec(y)``, ``rmatvec(x)``
    one product each;
``normal(v) = A^T A v = sum_b A_b^T (A_b v)``
    one pass (a power iteration step);
the scan (construction, :attr:`ChunkedMatrix.stats`)
    a :class:`MatrixStats`: the finite check, ``min``, ``max``, ``||A||_F^2``,
    and every row's and column's minimum, maximum and l1 norm, in one sweep
    per block (a compiled kernel where Numba is installed);
``scaled_norms(c, d_r, d_c, reduce)``
    row and column maxima or sums of ``|D_r (A - c) D_c|`` -- what Ruiz and
    Pock--Chambolle scaling read (one pass; Ruiz's first step from the scan);
``submatrix(rows, cols)``
    the polish's subgame (at most one pass).

Blocks are used where they lie: a memory-mapped block is a view of the
mapping (no copy, no freshly faulted memory), BLAS runs on it in its own
dtype, and the fused pair takes both products of a cache-sized sub-block
while it is in cache.  The scan, the scaled norms and a dense matrix's
:func:`matrix_stats` and :func:`scaled_norms` are one block function each
(:func:`scan_block`, :func:`scaled_block`), so a chunked game gets the dense
game's statistics, scalings and (through pdhg's defaults) iterates.

``passes`` counts the passes made.  Where the blocks live is an *engine*'s
business; an engine has one method, ``run(op, x, v)``, which applies
:func:`block_result` to every block and returns partial results (see
:class:`Partial`) that :class:`ChunkedMatrix` combines.  Three engines:

:class:`LocalEngine`
    any sliceable source (an ndarray, ``numpy.memmap``, a zarr array, an h5py
    dataset) read one row block at a time, optionally by a few threads;
:class:`DaskEngine`
    a dask array's row blocks, one task per block per pass, run by whatever
    dask scheduler is active;
:class:`DistributedEngine`
    blocks persisted in the memory of ``dask.distributed`` workers, one task
    per *worker* per pass (the block results are summed where they are).

An MPI engine would be a fourth: one rank per group of blocks, the column
partials combined by an allreduce.

A chunked matrix pickles as its *source* (a path and a layout, a dask graph),
never as its data; its scan travels with it, so the copy is not read again.
"""

from __future__ import annotations

import math
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import numpy as np

from ..backend import HAS_NUMBA
from .base import ComputeInterrupted

__all__ = ["ChunkedMatrix", "MatrixStats", "LocalEngine", "DaskEngine", "DistributedEngine",
           "NpyRows", "block_result", "scan_block", "scaled_block", "matrix_stats",
           "scaled_norms", "is_dask_array", "BLOCK_BYTES"]

#: default size of one row block (bytes): large enough that per-block overhead
#: (a task, a read call) is negligible, small enough that a few fit in cache-sized RAM
BLOCK_BYTES = 1 << 25

_OPS = ("pair", "matvec", "rmatvec", "normal", "scan", "scaled", "take")


class MatrixStats(NamedTuple):
    """What one pass over ``A`` learns about it.

    The same for a dense and a chunked matrix (:func:`matrix_stats`,
    :meth:`ChunkedMatrix.stats`): minima and maxima exactly, sums to rounding
    (their order depends on the blocks).  Row vectors have length ``m``,
    column vectors length ``n``; sums are float64.
    """

    finite: bool
    min: float
    max: float
    fro2: float  # sum of squares (inf when it overflows)
    row_min: Any
    row_max: Any
    row_abs: Any  # row sums of |A|
    col_min: Any
    col_max: Any
    col_abs: Any  # column sums of |A|

    @property
    def amax(self) -> float:
        return max(self.max, -self.min)

    @property
    def row_abs_max(self) -> float:
        """The largest row sum of ``|A|`` (``||A||_inf``)."""
        return float(np.max(self.row_abs))

    @property
    def row_amax(self):
        """``max_j |A_ij|`` per row."""
        return np.maximum(self.row_max, -np.asarray(self.row_min))

    @property
    def col_amax(self):
        """``max_i |A_ij|`` per column."""
        return np.maximum(self.col_max, -np.asarray(self.col_min))

    @property
    def centre(self) -> float:
        """``(min + max) / 2`` (halves first: no overflow)."""
        return self.min / 2.0 + self.max / 2.0

    def centred_amax(self, centre: float, dtype=np.float64):
        """``(max_j |A_ij - c|, max_i |A_ij - c|)`` from the row and column ranges.

        Computed in ``dtype`` as ``|a - c|`` rounds there; rounding is monotone,
        so these equal the maxima of the rounded ``|A_ij - c|`` bit for bit (the
        first step of Ruiz equilibration without a pass).
        """
        dtype = np.dtype(dtype)
        c = dtype.type(centre)

        def side(lo, hi):
            lo, hi = np.asarray(lo, dtype=dtype), np.asarray(hi, dtype=dtype)
            return np.maximum(hi - c, c - lo)
        return side(self.row_min, self.row_max), side(self.col_min, self.col_max)

    @property
    def spectral_bound(self) -> float:
        """``min(||A||_F, sqrt(||A||_1 ||A||_inf))``: a rigorous upper bound on ``||A||_2``.

        ``ValueError`` when both overflow float64 (entries near 1.8e308 / n).
        """
        with np.errstate(over="ignore"):
            bound = min(math.sqrt(self.fro2),
                        math.sqrt(float(np.max(self.col_abs))) * math.sqrt(self.row_abs_max))
        if not math.isfinite(bound):
            raise ValueError(f"A is too large for float64: a bound on its spectral norm (max "
                             f"|A_ij| = {self.amax:.3g}) exceeds 1.8e308; divide A by a power "
                             "of two (the equilibria do not change)")
        return bound

    @classmethod
    def from_parts(cls, rows, cols: "_ColScan") -> "MatrixStats":
        """The stats from the row results ``(3, m)`` (min, max, l1) and the merged columns."""
        row_min, row_max, row_abs = rows
        # an infinity shows in the row ranges, a NaN at least in the row sums of |A|
        finite = bool(np.all(np.isfinite(row_min)) and np.all(np.isfinite(row_max))
                      and not np.any(np.isnan(row_abs)))
        if not finite:
            return cls(False, math.nan, math.nan, math.nan, row_min, row_max, row_abs,
                       cols.col_min, cols.col_max, cols.col_abs)
        return cls(True, float(np.min(row_min)), float(np.max(row_max)), float(cols.fro2),
                   row_min, row_max, row_abs, cols.col_min, cols.col_max, cols.col_abs)


class _ColScan(NamedTuple):
    """The column part of a block's scan (merged over blocks in block order)."""

    fro2: float
    col_min: Any
    col_max: Any
    col_abs: Any

    def merge(self, other: "_ColScan") -> "_ColScan":
        with np.errstate(over="ignore", invalid="ignore"):
            return _ColScan(self.fro2 + other.fro2, np.minimum(self.col_min, other.col_min),
                            np.maximum(self.col_max, other.col_max), self.col_abs + other.col_abs)


class _ColMax(NamedTuple):
    """A column part merged by the largest entry (Ruiz's column maxima)."""

    value: Any

    def merge(self, other: "_ColMax") -> "_ColMax":
        return _ColMax(np.maximum(self.value, other.value))


#: blocks of at least this many entries go to the compiled kernels (when Numba is
#: installed); smaller ones are not worth a kernel call (nor, in a fresh process, its
#: compilation)
KERNEL_MIN_ENTRIES = 1 << 18
#: entries per sub-block in the NumPy passes and the fused pair of products: small
#: enough that a sub-block read by the first operation is in cache for the next
SUB_BLOCK_ENTRIES = 1 << 16


def _kernels(A, compiled: bool = True):
    """The Numba kernels module for block ``A``, or None (NumPy reference instead)."""
    if not (compiled and HAS_NUMBA and A.size >= KERNEL_MIN_ENTRIES and A.flags.c_contiguous
            and A.dtype in (np.float32, np.float64)):
        return None
    from . import _scan_numba

    return _scan_numba


def _sub_blocks(A, entries: int = SUB_BLOCK_ENTRIES):
    m, n = A.shape
    rows = max(1, entries // max(n, 1))
    for r0 in range(0, m, rows):
        yield r0, A[r0:r0 + rows]


def _numba_loaded() -> bool:
    # a dense game uses the kernels only where Numba is already imported: importing it
    # (about a second) would cost more than the NumPy pass it saves on a matrix in memory
    return "numba" in sys.modules


def scan_block(A, compiled: bool = True):
    """``(rows (3, m), _ColScan)`` of a block: row min, max and l1 norms; column ones, ||.||_F^2.

    ``compiled=False``: the NumPy path even where the kernels would apply.
    """
    K = _kernels(A, compiled)
    if K is not None:
        rmin, rmax, rabs, cmin, cmax, cabs, fro2 = K.scan_block(A)
        return np.stack([rmin, rmax, rabs]), _ColScan(fro2, cmin, cmax, cabs)
    m, n = A.shape
    rows = np.empty((3, m))
    cmin, cmax, cabs, fro2 = np.full(n, np.inf), np.full(n, -np.inf), np.zeros(n), 0.0
    # entries beyond 1e154 overflow the sum of squares to inf: the Frobenius bound is then
    # lost (inf is still an upper bound) and the l1/l-infinity bound takes over
    with np.errstate(over="ignore", invalid="ignore"):
        for r0, S in _sub_blocks(A):
            S = np.asarray(S, dtype=np.float64)
            r1 = r0 + S.shape[0]
            rows[0, r0:r1], rows[1, r0:r1] = S.min(axis=1), S.max(axis=1)
            cmin, cmax = np.fmin(cmin, S.min(axis=0)), np.fmax(cmax, S.max(axis=0))
            B = np.abs(S)
            rows[2, r0:r1] = B.sum(axis=1)
            cabs = cabs + B.sum(axis=0)
            fro2 += float(np.sum(B * B))
    return rows, _ColScan(fro2, cmin, cmax, cabs)


def scaled_block(A, centre, dr, dc, reduce: str, compiled: bool = True):
    """Row and column ``reduce`` (``"max"`` or ``"sum"``) of ``|D_r (A - c) D_c|`` for one block.

    ``D_r = diag(dr)`` (the block's rows), ``D_c = diag(dc)``, ``c = centre``
    rounded to ``A``'s dtype; each entry is ``(|a - c| * dc_j) * dr_i`` rounded
    in ``A``'s dtype, the order of Ruiz's and Pock--Chambolle's formulas.
    Maxima are returned in ``A``'s dtype (exact whatever the blocks and
    whichever path), sums in float64.  The one definition of these norms, for
    dense and chunked matrices.  ``compiled=False``: the NumPy path.
    """
    if reduce not in ("max", "sum"):
        raise ValueError(f"reduce must be 'max' or 'sum', got {reduce!r}")
    dt = A.dtype
    dr, dc = np.asarray(dr, dtype=dt), np.asarray(dc, dtype=dt)
    K = _kernels(A, compiled)
    if K is not None:
        return K.scaled_block(A, centre, dr, dc, reduce)
    c = dt.type(centre)
    m, n = A.shape
    rows = np.empty(m, dtype=dt if reduce == "max" else np.float64)
    cols = np.zeros(n, dtype=rows.dtype)
    for r0, S in _sub_blocks(A):
        r1 = r0 + S.shape[0]
        V = np.abs(S - c) * dc[None, :] * dr[r0:r1, None]
        if reduce == "max":
            rows[r0:r1] = V.max(axis=1)
            cols = np.maximum(cols, V.max(axis=0))
        else:
            V = V.astype(np.float64, copy=False)
            rows[r0:r1] = V.sum(axis=1)
            cols = cols + V.sum(axis=0)
    return rows, cols


def _as_block(block):
    """A block as an ndarray without copying it (a memory-mapped block stays a view of the
    mapping: BLAS reads the page cache directly, and no fresh memory is faulted in)."""
    if isinstance(block, np.memmap):
        return block.view(np.ndarray)
    return np.asarray(block)


def block_result(op: str, block, xb, v):
    """``(row part, column part)`` of one row block ``A_b`` for product ``op``.

    ``xb`` is the slice of ``x`` on the block's rows, ``v`` a full-length
    vector (for ``"scaled"``: ``(centre, d_c, reduce)``); a row part
    (``A_b v``) is concatenated over blocks, a column part (``A_b^T x_b``,
    ``A_b^T A_b v``, the block's stats) is summed or merged.
    """
    A = _as_block(block)
    if op == "pair":
        # both products of a sub-block while it is in cache: A is read from memory once
        Ay, ATx = np.empty(A.shape[0], dtype=np.result_type(A, v)), None
        for r0, S in _sub_blocks(A, 4 * SUB_BLOCK_ENTRIES):
            r1 = r0 + S.shape[0]
            Ay[r0:r1] = S @ v
            part = xb[r0:r1] @ S
            ATx = part if ATx is None else ATx + part
        return Ay, ATx
    if op == "matvec":
        return A @ v, None
    if op == "rmatvec":
        return None, xb @ A
    if op == "normal":
        out = None
        for _, S in _sub_blocks(A, 4 * SUB_BLOCK_ENTRIES):
            part = (S @ v) @ S       # the sub-block read twice while it is in cache
            out = part if out is None else out + part
        return None, out
    if op == "scan":
        return scan_block(A)
    if op == "take":
        return A[np.flatnonzero(xb)][:, v], None
    if op == "scaled":
        centre, dc, reduce = v
        rows, cols = scaled_block(A, centre, xb, dc, reduce)
        return rows, (_ColMax(cols) if reduce == "max" else cols)
    raise ValueError(f"unknown block operation {op!r}; one of {_OPS}")


def matrix_stats(A) -> MatrixStats:
    """The :class:`MatrixStats` of an in-memory 2-d NumPy matrix: one pass, as a chunked
    matrix's construction scan computes them (the same block function; compiled only
    where Numba is already imported)."""
    A = np.asarray(A)
    if A.dtype.kind != "f":
        A = A.astype(np.float64)
    rows, cols = scan_block(A, compiled=_numba_loaded())
    return MatrixStats.from_parts(rows, cols)


def scaled_norms(A, centre, dr, dc, reduce: str):
    """Row and column ``reduce`` of ``|D_r (A - c) D_c|`` for an in-memory 2-d NumPy matrix.

    The dense counterpart of :meth:`ChunkedMatrix.scaled_norms` (the same
    :func:`scaled_block`); results in ``A``'s dtype.
    """
    rows, cols = scaled_block(A, centre, dr, dc, reduce, compiled=_numba_loaded())
    return rows.astype(A.dtype, copy=False), cols.astype(A.dtype, copy=False)


def _add(a, b):
    if a is None:
        return b
    if hasattr(a, "merge"):
        return a.merge(b)
    return a + b


class Partial(NamedTuple):
    """Results of a group of blocks: their row parts (block index -> array) and the
    sum (or merge) of their column parts."""

    rows: dict
    col: Any


def reduce_blocks(op, indices, blocks, xbs, v) -> Partial:
    """:func:`block_result` over a group of blocks, the column parts summed in order."""
    rows, col = {}, None
    for i, block, xb in zip(indices, blocks, xbs):
        r, c = block_result(op, block, xb, v)
        if r is not None:
            rows[i] = r
        if c is not None:
            col = _add(col, c)
    return Partial(rows, col)


def _row_bounds(m: int, block_rows: int) -> list[tuple[int, int]]:
    return [(r, min(r + block_rows, m)) for r in range(0, m, block_rows)]


def default_block_rows(n: int, itemsize: int, block_bytes: int = BLOCK_BYTES) -> int:
    return max(1, block_bytes // max(1, n * itemsize))


def is_dask_array(obj) -> bool:
    """Whether ``obj`` is a dask array (without importing dask when it is not loaded)."""
    da = sys.modules.get("dask.array")
    return da is not None and isinstance(obj, da.Array)


# -- engines -------------------------------------------------------------------
class LocalEngine:
    """Row blocks of a sliceable source, read in this process.

    ``source[r0:r1]`` must return the rows ``r0:r1`` as an array (ndarray,
    ``numpy.memmap``, zarr array, h5py dataset, or any object with ``shape``,
    ``dtype`` and slicing).  With ``threads > 1`` that many blocks are read
    and multiplied at once (reading overlaps arithmetic); the column parts
    are still summed in block order, so results do not depend on ``threads``.
    """

    name = "local"

    def __init__(self, source, bounds, threads: int = 1):
        self.source, self.bounds, self.threads = source, bounds, threads

    def run(self, op, x, v) -> list[Partial]:
        src, bounds = self.source, self.bounds

        def one(i):
            r0, r1 = bounds[i]
            return block_result(op, src[r0:r1], None if x is None else x[r0:r1], v)

        rows, col = {}, None
        if self.threads > 1 and len(bounds) > 1:
            with ThreadPoolExecutor(self.threads) as pool:
                results = pool.map(one, range(len(bounds)))  # in block order
                for i, (r, c) in enumerate(results):
                    if r is not None:
                        rows[i] = r
                    col = col if c is None else _add(col, c)
        else:
            for i in range(len(bounds)):
                r, c = one(i)
                if r is not None:
                    rows[i] = r
                col = col if c is None else _add(col, c)
        return [Partial(rows, col)]

    def graph_size(self) -> int:
        return 0


class DaskEngine:
    """A dask array's row blocks: one task per block per pass, on the active scheduler.

    The blocks' own graph (reads from zarr, ``from_array`` slices, ...) is the
    array's; each pass adds one task per block on top of it, so the graph
    computed is the same size at every iteration.
    """

    name = "dask"

    def __init__(self, array, bounds):
        self.array, self.bounds = array, bounds
        self.blocks = list(array.to_delayed()[:, 0])
        self._last = []

    def run(self, op, x, v) -> list[Partial]:
        import dask

        bounds = self.bounds
        vd = None if v is None else dask.delayed(v)
        tasks = [dask.delayed(block_result, pure=True)(
            op, b, None if x is None else x[r0:r1], vd) for b, (r0, r1) in zip(self.blocks, bounds)]
        self._last = tasks
        out = dask.compute(*tasks)
        rows, col = {}, None
        for i, (r, c) in enumerate(out):
            if r is not None:
                rows[i] = r
            col = col if c is None else _add(col, c)
        return [Partial(rows, col)]

    def graph_size(self) -> int:
        """Tasks in the graph of the latest pass (the blocks' own graph included)."""
        graph: dict = {}
        for t in self._last:
            graph.update(dict(t.__dask_graph__()))
        return len(graph)


def _worker_reduce(op, indices, blocks, xbs, v):
    # runs on a worker: the blocks are local, only the partial result travels back,
    # with the worker's address (blocks recomputed elsewhere after a loss move)
    from dask.distributed import get_worker

    return get_worker().address, reduce_blocks(op, indices, blocks, xbs, v)


class DistributedEngine:
    """Row blocks persisted in the memory of ``dask.distributed`` workers.

    Each pass submits one task per worker, holding the futures of the blocks
    that worker has; the task sums its blocks' column parts locally, so one
    vector per worker comes back.  A pass that fails (a worker lost with
    blocks that cannot be recomputed, a cluster gone) or takes longer than
    ``timeout`` seconds raises :class:`~eqsolve.problems.base.ComputeInterrupted`
    -- a solve ends with status ``"interrupted"`` and its best certified point.
    """

    name = "distributed"

    def __init__(self, array, bounds, client, timeout: float):
        from dask.distributed import futures_of, wait

        self.client, self.bounds, self.timeout = client, bounds, timeout
        self.array = array if futures_of(array) else client.persist(array)
        wait(futures_of(self.array), timeout=timeout)
        by_key = {f.key: f for f in futures_of(self.array)}
        self.futures = [by_key[k[0]] for k in self.array.__dask_keys__()]
        self._assign()

    def _assign(self):
        who = self.client.who_has(self.futures)
        groups: dict[str, list[int]] = {}
        for i, f in enumerate(self.futures):
            holders = sorted(who.get(f.key, ()))
            groups.setdefault(holders[0] if holders else "", []).append(i)
        self.groups = groups

    def run(self, op, x, v) -> list[Partial]:
        from dask.distributed import wait

        client, bounds = self.client, self.bounds
        futs = []
        try:
            for worker, idx in self.groups.items():
                xbs = [None if x is None else x[bounds[i][0]:bounds[i][1]] for i in idx]
                futs.append(client.submit(
                    _worker_reduce, op, idx, [self.futures[i] for i in idx], xbs, v,
                    workers=[worker] if worker else None, allow_other_workers=True, pure=False))
            wait(futs, timeout=self.timeout)
            out = client.gather(futs)
        except Exception as exc:  # noqa: BLE001 - any cluster failure ends the pass the same way
            for f in futs:
                f.cancel()
            raise ComputeInterrupted(
                f"a pass over the chunked matrix failed on the dask cluster "
                f"({type(exc).__name__}: {exc}); restart from the returned point with "
                f"x0=result.z once the cluster is healthy") from exc
        if any(addr != worker for addr, worker in zip((a for a, _ in out), self.groups)):
            self._assign()  # a task ran away from its blocks' worker: they have moved
        return [p for _, p in out]

    def graph_size(self) -> int:
        """Tasks submitted per pass: one per worker holding blocks."""
        return len(self.groups)


# -- the matrix ----------------------------------------------------------------
class ChunkedMatrix:
    """An ``(m, n)`` matrix in row blocks, used only through one-pass products.

    Parameters
    ----------
    source : array-like
        A dask array; or any sliceable 2-d source with ``shape`` and ``dtype``
        (``numpy.memmap``, ``np.load(path, mmap_mode="r")``, a zarr array, an
        h5py dataset, an ndarray).  Never copied whole and never written.
    block_rows : int, optional
        Rows per block.  Default: a dask array's own row chunks (column chunks
        are merged into full rows); otherwise about 32 MiB per block.
    threads : int
        Blocks read at once from a sliceable source (``LocalEngine``).
    client : dask.distributed.Client, optional
        Keep a dask array's blocks persisted in this cluster's workers and run
        each pass as one task per worker (``DistributedEngine``).  Default: the
        current client when ``dask.distributed`` has one, else none.
    timeout : float
        Seconds a distributed pass may take before it is declared failed.
    stats : MatrixStats, optional
        A previous scan of the same data (skips the construction pass).

    Examples
    --------
    >>> import numpy as np
    >>> A = ChunkedMatrix(np.arange(6.0).reshape(3, 2), block_rows=2)
    >>> A.products(np.ones(3), np.ones(2))
    (array([6., 9.]), array([1., 5., 9.]))
    >>> A.passes, A.stats.amax            # one pass at construction, one for the products
    (2, 5.0)
    """

    def __init__(self, source, *, block_rows=None, threads: int = 1, client=None,
                 timeout: float = 600.0, stats: MatrixStats | None = None, _spec=None):
        shape = tuple(getattr(source, "shape", ()))
        if len(shape) != 2 or 0 in shape:
            raise ValueError(f"A must be a non-empty (m, n) matrix, got shape {shape}")
        dtype = np.dtype(source.dtype)
        if dtype.kind not in "fiub":
            raise TypeError(f"A must hold real numbers, got dtype {dtype}")
        if not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be a positive integer, got {threads!r}")
        if not (isinstance(timeout, (int, float)) and timeout > 0):
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        self.shape = shape
        self.m, self.n = shape
        # integer and boolean data are multiplied as float64 (as dense games are)
        self.dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
        self.passes = 0
        self._spec = _spec if _spec is not None else ("source", source)
        self._options = {"block_rows": block_rows, "threads": threads, "timeout": timeout}
        if is_dask_array(source):
            if dtype.kind != "f":
                source = source.astype(np.float64)
            if block_rows is None:
                source = source.rechunk({1: -1})
            else:
                source = source.rechunk((_check_rows(block_rows), -1))
            bounds = list(_bounds_of(source.chunks[0]))
            if client is None:
                client = _current_client()
            self.engine = (DaskEngine(source, bounds) if client is None
                           else DistributedEngine(source, bounds, client, timeout))
        else:
            if not hasattr(source, "__getitem__"):
                raise TypeError(f"A must be sliceable (A[r0:r1] gives rows), got "
                                f"{type(source).__name__}")
            if dtype.kind != "f":
                source = _AsFloat(source)
            rows = (default_block_rows(self.n, self.dtype.itemsize) if block_rows is None
                    else _check_rows(block_rows))
            self.engine = LocalEngine(source, _row_bounds(self.m, rows), threads)
        self.bounds = self.engine.bounds
        if stats is None:
            stats = self._combine("scan", self.engine.run("scan", None, None))
            if not stats.finite:
                raise ValueError("A contains NaN or infinite entries; every entry must be finite")
        self.stats = stats

    # -- products ----------------------------------------------------------
    def _combine(self, op, partials):
        self.passes += 1
        rows, col = {}, None
        for p in partials:
            rows.update(p.rows)
            col = col if p.col is None else _add(col, p.col)
        if op == "scan":
            return MatrixStats.from_parts(
                np.concatenate([rows[i] for i in range(len(self.bounds))], axis=1), col)
        if op == "take":
            return np.concatenate([rows[i] for i in range(len(self.bounds))], axis=0)
        if op in ("pair", "matvec", "scaled"):
            Ay = np.concatenate([rows[i] for i in range(len(self.bounds))])
            if op == "scaled":
                return Ay, (col.value if isinstance(col, _ColMax) else col)
            return (col, Ay) if op == "pair" else Ay
        return col

    def submatrix(self, rows, cols):
        """``A[rows][:, cols]`` as a NumPy array (rows and columns as index arrays): one pass
        at most (a memory map reads only the pages of the rows taken).  The polish's subgame."""
        rows, cols = np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp)
        for name, idx, size in (("rows", rows, self.m), ("cols", cols, self.n)):
            if idx.ndim != 1 or (idx.size and (idx.min() < 0 or idx.max() >= size)):
                raise ValueError(f"{name} must be a 1-d array of indices in [0, {size}), got "
                                 f"{idx!r}")
        mask = np.zeros(self.m, dtype=bool)
        mask[rows] = True
        sub = self._combine("take", self.engine.run("take", mask, cols))
        # the blocks give the rows in increasing order; rows may come in any order
        order = np.searchsorted(np.flatnonzero(mask), rows)
        return sub[order]

    def scaled_norms(self, centre, dr, dc, reduce: str):
        """Row and column ``reduce`` (``"max"``/``"sum"``) of ``|D_r (A - c) D_c|``: one pass.

        The interface through which diagonal preconditioners
        (:func:`~eqsolve.methods.pdhg_halpern.diagonal_scaling`) read a chunked
        matrix; each entry is formed by :func:`scaled_block`, as for a dense
        matrix (:func:`scaled_norms`).  The maxima at ``dr = dc = 1`` come from
        the construction's scan without a pass.  Results in ``A``'s dtype.
        """
        dt = self.dtype
        dr, dc = np.asarray(dr, dtype=dt), np.asarray(dc, dtype=dt)
        if dr.shape != (self.m,) or dc.shape != (self.n,):
            raise ValueError(f"dr and dc must have shapes ({self.m},) and ({self.n},), got "
                             f"{dr.shape} and {dc.shape}")
        if reduce == "max" and np.all(dr == 1) and np.all(dc == 1):
            return self.stats.centred_amax(centre, dt)
        rows, cols = self._combine("scaled", self.engine.run("scaled", dr, (centre, dc, reduce)))
        return rows.astype(dt, copy=False), cols.astype(dt, copy=False)

    def _vec(self, name, v, length):
        v = np.asarray(v)
        if v.shape != (length,):
            raise ValueError(f"{name} must have shape ({length},), got {v.shape}")
        return v

    def products(self, x, y):
        """``(A.T @ x, A @ y)`` in one pass."""
        x, y = self._vec("x", x, self.m), self._vec("y", y, self.n)
        return self._combine("pair", self.engine.run("pair", x, y))

    def matvec(self, y):
        """``A @ y`` (one pass)."""
        return self._combine("matvec", self.engine.run("matvec", None, self._vec("y", y, self.n)))

    def rmatvec(self, x):
        """``A.T @ x`` (one pass)."""
        return self._combine("rmatvec", self.engine.run("rmatvec", self._vec("x", x, self.m), None))

    def normal(self, v):
        """``A.T @ (A @ v)`` in one pass."""
        return self._combine("normal", self.engine.run("normal", None, self._vec("v", v, self.n)))

    def __matmul__(self, y):
        return self.matvec(y)

    @property
    def T(self):
        return _Transposed(self)

    @property
    def nbytes(self) -> int:
        return self.m * self.n * self.dtype.itemsize

    def graph_size(self) -> int:
        """Tasks per pass of a dask engine (0 for a local one)."""
        return self.engine.graph_size()

    # -- pickling: the source, never the data -------------------------------
    def __reduce__(self):
        kind, *args = self._spec
        if kind == "source" and getattr(self.engine, "name", "") == "distributed":
            # persisted blocks live in the cluster: the copy carries the graph that makes them
            args = [self.engine.array]
        return (_rebuild, (kind, tuple(args), self._options, self.stats))

    def __repr__(self):
        return (f"ChunkedMatrix({self.m}x{self.n}, dtype={self.dtype}, {len(self.bounds)} row "
                f"blocks, engine={self.engine.name})")

    # -- sources -----------------------------------------------------------
    @classmethod
    def from_npy(cls, path, *, page_cache: bool = True, **options) -> "ChunkedMatrix":
        """A ``.npy`` file, memory-mapped read-only (pickles as its path).

        ``page_cache=False`` reads the rows with ``pread`` and drops their
        pages from the page cache after each block (:class:`NpyRows`): every
        pass streams the file from disk, as for a file larger than memory,
        and the rest of the machine keeps its cache.
        """
        path = os.fspath(path)
        arr = np.load(path, mmap_mode="r") if page_cache else NpyRows(path)
        return cls(arr, _spec=("npy", path, bool(page_cache)), **options)

    @classmethod
    def from_zarr(cls, path, *, component=None, **options) -> "ChunkedMatrix":
        """A zarr array (``component`` names it inside a group); pickles as its path."""
        import zarr

        path = os.fspath(path)
        arr = zarr.open_array(path, mode="r", path=component) if component else zarr.open_array(
            path, mode="r")
        return cls(arr, _spec=("zarr", path, component), **options)

    @classmethod
    def from_hdf5(cls, path, key, **options) -> "ChunkedMatrix":
        """The dataset ``key`` of an HDF5 file (pickles as path and key)."""
        import h5py

        path = os.fspath(path)
        f = h5py.File(path, "r")
        if key not in f:
            have = ", ".join(f.keys())
            f.close()
            raise KeyError(f"{path} has no dataset {key!r}; it has: {have}")
        return cls(f[key], _spec=("hdf5", path, key), **options)

    @classmethod
    def from_memmap(cls, mm, **options) -> "ChunkedMatrix":
        """A ``numpy.memmap`` (pickles as file name, offset, shape, dtype and order)."""
        spec = ("memmap", os.fspath(mm.filename), int(mm.offset), tuple(mm.shape), mm.dtype.str,
                "F" if (mm.flags.f_contiguous and not mm.flags.c_contiguous) else "C")
        return cls(mm, _spec=spec, **options)


class NpyRows:
    """The rows of a C-order ``.npy`` file, read with ``pread`` and not kept in the page cache.

    ``rows[r0:r1]`` reads those rows into a new array and then tells the
    kernel that their pages are not needed (``posix_fadvise(DONTNEED)``).  A
    memory map leaves every page it touched in the page cache, so a file
    that fits in RAM is read from disk once and from memory afterwards, and
    one that does not evicts everything else; read this way, every pass over
    a file streams it from disk and leaves the cache to the rest of the
    machine -- the behaviour of a file larger than memory, and the figure
    ``benchmarks/scale.py`` measures against the disk bound.  Where the
    platform has no ``posix_fadvise``, the pages are read the same way and
    left to the kernel.
    """

    def __init__(self, path):
        self.path, self._fd = os.fspath(path), None
        mm = np.load(self.path, mmap_mode="r")
        if not mm.flags.c_contiguous:
            raise ValueError(f"{self.path} stores a Fortran-order array: rows are not contiguous "
                             "on disk; save it in C order (np.save of np.ascontiguousarray) or "
                             "leave page_cache=True")
        self.shape, self.dtype, self.offset = tuple(mm.shape), mm.dtype, int(mm.offset)
        del mm
        if len(self.shape) != 2:
            raise ValueError(f"{self.path} holds an array of shape {self.shape}, not a matrix")
        self.row_bytes = self.shape[1] * self.dtype.itemsize
        self._fd = os.open(self.path, os.O_RDONLY)

    def __getitem__(self, key):
        if not (isinstance(key, slice) and key.step in (None, 1)):
            raise TypeError("NpyRows reads contiguous row ranges only (rows[r0:r1])")
        r0, r1, _ = key.indices(self.shape[0])
        r1 = max(r0, r1)
        out = np.empty((r1 - r0, self.shape[1]), dtype=self.dtype)
        if out.size == 0:
            return out
        view = memoryview(out.reshape(-1).view(np.uint8))
        start, size, got = self.offset + r0 * self.row_bytes, (r1 - r0) * self.row_bytes, 0
        while got < size:
            k = os.preadv(self._fd, [view[got:]], start + got)
            if k <= 0:
                raise OSError(f"{self.path}: the file ends before row {r1}")
            got += k
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(self._fd, start, size, os.POSIX_FADV_DONTNEED)
        return out

    def close(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __del__(self):
        self.close()


class _Transposed:
    def __init__(self, A):
        self.A = A

    def __matmul__(self, x):
        return self.A.rmatvec(x)


class _AsFloat:
    """Integer or boolean rows read as float64."""

    def __init__(self, src):
        self.src, self.shape, self.dtype = src, src.shape, np.dtype(np.float64)

    def __getitem__(self, key):
        return np.asarray(self.src[key], dtype=np.float64)


def _check_rows(block_rows) -> int:
    if not isinstance(block_rows, (int, np.integer)) or block_rows < 1:
        raise ValueError(f"block_rows must be a positive integer, got {block_rows!r}")
    return int(block_rows)


def _bounds_of(chunks):
    r = 0
    for c in chunks:
        yield r, r + c
        r += c


def _current_client():
    if "distributed" not in sys.modules:
        return None
    from dask.distributed import get_client

    try:
        return get_client()
    except ValueError:  # no client in this process
        return None


def _rebuild(kind, args, options, stats):
    if kind == "npy":
        page_cache = args[1] if len(args) > 1 else True
        return ChunkedMatrix.from_npy(args[0], page_cache=page_cache, stats=stats, **options)
    if kind == "zarr":
        return ChunkedMatrix.from_zarr(args[0], component=args[1], stats=stats, **options)
    if kind == "hdf5":
        return ChunkedMatrix.from_hdf5(args[0], args[1], stats=stats, **options)
    if kind == "memmap":
        filename, offset, shape, dtype, order = args
        mm = np.memmap(filename, dtype=np.dtype(dtype), mode="r", offset=offset, shape=shape,
                       order=order)
        return ChunkedMatrix.from_memmap(mm, stats=stats, **options)
    return ChunkedMatrix(args[0], stats=stats, **options)
