"""Two-player normal-form games: zero-sum (``MatrixGame``) and general (``BimatrixGame``)."""

from __future__ import annotations

import math
import sys

import numpy as np

from .._validation import check_array, check_positive
from ..backend import (HAS_NUMBA, BackendUnavailableError, finfo_eps, move_array, namespace,
                       narrow_float, to_float)
from ..certificates import Certificate, bimatrix_nash_gap, matrix_game_gap
from ..certificates.residuals import gamma, gap_allowance
from ..domains import Product, Simplex
from ._exact import RationalArray, exact_matrix
from .base import Problem
from .bilinear import SaddleStructure, Term
from .chunked import ChunkedMatrix, is_dask_array, matrix_stats

__all__ = ["MatrixGame", "BimatrixGame"]


class _TwoPlayer(Problem):
    blocks = ("x", "y")

    def _setup_domain(self, m: int, n: int):
        self.m, self.n = m, n
        self.domain = Product(Simplex(m), Simplex(n))

    def split(self, z):
        return {"x": z[: self.m], "y": z[self.m :]}

    def initial_point(self):
        xp, dt = self.xp, getattr(self, "dtype", None) or self.A.dtype
        return xp.concat([xp.full((self.m,), 1.0 / self.m, dtype=dt), xp.full((self.n,), 1.0 / self.n, dtype=dt)])


def _exponent(amax: float) -> int:
    """``k`` with ``amax * 2**-k`` in [0.5, 1) (0 for zero): scaling by ``2**-k`` is exact."""
    if not (amax > 0) or not math.isfinite(amax):
        return 0
    return math.frexp(amax)[1]


def _unscale(v: float, k: int) -> float:
    """``v * 2**k``, or ``inf`` when that exceeds float64's range (no warning)."""
    try:
        return math.ldexp(v, k)
    except OverflowError:
        return math.inf


def _midpoint(lo, hi):
    """``(lo + hi) / 2`` without overflowing at the ends of float64's range."""
    return lo / 2.0 + hi / 2.0


def _scaled_norm_bounds(xp, A, centre: float, k: int, chunk_elems: int = 1 << 15):
    """``||A - c||_F``, max column and row sums of ``|A - c|``, all times ``2**-k``, by row chunks.

    Works on chunks of about ``chunk_elems`` entries, so no temporary of the size
    of ``A`` is made (a solve must hold no copy of the caller's matrix).  With
    ``max |A_ij - c| * 2**-k < 1`` no square or sum can overflow; the power of two
    is exact, so these are the unscaled sums times ``2**-k``.
    """
    m, n = A.shape
    scale = math.ldexp(1.0, -k)
    rows_per = max(1, chunk_elems // max(n, 1))
    col, fro2, ninf = None, 0.0, 0.0
    for start in range(0, m, rows_per):
        blk = A[start:min(start + rows_per, m), ...]
        blk = xp.abs(blk - centre) if centre else xp.abs(blk)
        if k:
            blk = blk * scale
        s = xp.sum(blk, axis=0)
        col = s if col is None else col + s
        ninf = max(ninf, to_float(xp.max(xp.sum(blk, axis=1))))
        fro2 += to_float(xp.sum(blk * blk))
    return math.sqrt(fro2), to_float(xp.max(col)), ninf


def spectral_bound(xp, A, centre: float = 0.0, name: str = "A") -> float:
    """A cheap rigorous upper bound on ``||A - c||_2``: ``min(||.||_F, sqrt(||.||_1 ||.||_inf))``.

    ``c = centre`` is subtracted from every entry (``0``: the bound on ``||A||_2``).
    Computed on ``A - c`` scaled by a power of two, so nothing overflows unless
    the bound itself is beyond float64's range (then a ``ValueError`` names
    ``name`` and the range); rounded up by the summations' error bound
    ``gamma_{mn}``, so that it cannot fall below the exact one.
    """
    lo, hi = _range(xp, A)
    amax = max(hi - centre, centre - lo)
    k = _exponent(amax)
    fro, n1, ninf = _scaled_norm_bounds(xp, A, centre, k)
    m, n = A.shape
    bound = _unscale(min(fro, math.sqrt(n1 * ninf)) * (1.0 + gamma(m * n + 2, 2.0 ** -52)), k)
    if not math.isfinite(bound):
        raise ValueError(
            f"{name} is too large for float64: a bound on its spectral norm (from max |{name}_ij| "
            f"= {amax:.3g} and shape {tuple(A.shape)}) exceeds 1.8e308; divide {name} by a power "
            "of two (the equilibria do not change)")
    return bound


#: float64 entries per block of a widened certificate product (4 MB)
WIDE_BLOCK_ELEMENTS = 1 << 19
#: float64 entries per block of the centred float32 copy (512 KB: in a core's L2)
COPY_BLOCK_ELEMENTS = 1 << 16


def _centred_float32(xp, A, c):
    """``A - c`` rounded once to float32 (NumPy: a cache-sized row block at a time, so
    that the float64 difference never leaves the cache: about one pass over ``A``)."""
    if xp is np or getattr(xp, "__name__", "") == "numpy" or isinstance(A, np.ndarray):
        out = np.empty_like(A, dtype=np.float32)  # an ndarray subclass stays one
        src, dst = np.asarray(A), np.asarray(out)
        rows = max(1, COPY_BLOCK_ELEMENTS // max(src.shape[1], 1))
        tmp = np.empty((rows, src.shape[1]), dtype=src.dtype)
        for start in range(0, src.shape[0], rows):
            stop = min(start + rows, src.shape[0])
            block = tmp[: stop - start]
            np.subtract(src[start:stop], c, out=block)
            dst[start:stop] = block
        return out
    return xp.astype(A - c, xp.float32)


def _abs_max(xp, A) -> float:
    # two reductions instead of max(|A|): no temporary copy of A
    return max(to_float(xp.max(A)), -to_float(xp.min(A)))


def _range(xp, A) -> tuple[float, float]:
    """``(min A_ij, max A_ij)`` (two reductions, no copy)."""
    return to_float(xp.min(A)), to_float(xp.max(A))


def _sparse_centred_bounds(A, c: float) -> float:
    """``spectral_bound`` of ``A - c`` for a scipy.sparse ``A``, from its stored entries only.

    ``||A - c||_F^2 = sum (a - c)^2 + c^2 (mn - nnz)`` over the stored entries,
    and a row (column) sum of ``|A - c|`` is the sum over its stored entries
    plus ``|c|`` per implicit zero: no dense matrix is formed.  Computed after
    scaling by a power of two (exact), so no square or sum overflows.
    """
    m, n = A.shape
    C = A.tocoo()
    d = np.abs(C.data - c)
    k = _exponent(max(float(d.max()) if d.size else 0.0, abs(c)))
    f = math.ldexp(1.0, -k)
    d, cs = d * f, abs(c) * f
    fro2 = float(np.sum(d * d)) + cs * cs * (m * n - C.nnz)
    rows = np.bincount(C.row, weights=d, minlength=m) + cs * (n - np.bincount(C.row, minlength=m))
    cols = np.bincount(C.col, weights=d, minlength=n) + cs * (m - np.bincount(C.col, minlength=n))
    bound = min(math.sqrt(max(fro2, 0.0)), math.sqrt(float(cols.max()) * float(rows.max())))
    bound = _unscale(bound * (1.0 + gamma(m * n + 2, 2.0 ** -52)), k)
    if not math.isfinite(bound):
        raise ValueError("A is too large for float64: a bound on its spectral norm exceeds "
                         "1.8e308; divide A by a power of two (the equilibria do not change)")
    return bound


def _matrix_kind(A) -> str:
    """``"dense"`` (any array-API array or nested lists), ``"sparse"``, ``"operator"`` or
    ``"chunked"`` (a :class:`ChunkedMatrix`, a dask array or a ``numpy.memmap``)."""
    if isinstance(A, (ChunkedMatrix, np.memmap)) or is_dask_array(A):
        return "chunked"
    # a sparse matrix or operator exists only if its module was imported
    sp = sys.modules.get("scipy.sparse")
    if sp is not None:
        if sp.issparse(A):
            return "sparse"
        from scipy.sparse.linalg import LinearOperator

        if isinstance(A, LinearOperator):
            return "operator"
    return "dense"


def _check_sparse(name, A):
    """A real, finite, non-empty scipy.sparse matrix in a format with fast products."""
    if A.ndim != 2 or 0 in A.shape:
        raise ValueError(f"{name} must be a non-empty sparse matrix, got shape {A.shape}")
    if not np.issubdtype(A.dtype, np.number) or np.issubdtype(A.dtype, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers, got dtype {A.dtype}")
    if A.format not in ("csr", "csc", "bsr"):
        # COO/DOK/LIL products convert on every call: convert once
        A = A.tocsr()
    if not np.issubdtype(A.dtype, np.floating):
        A = A.astype(np.float64)
    if not np.all(np.isfinite(A.data)):
        raise ValueError(f"{name} contains NaN or infinite entries; every entry must be finite")
    return A


def _check_operator(name, A):
    if len(A.shape) != 2 or 0 in A.shape:
        raise ValueError(f"{name} must be a non-empty (m, n) LinearOperator, got shape {A.shape}")
    dt = np.dtype(A.dtype) if A.dtype is not None else np.dtype(np.float64)
    if not np.issubdtype(dt, np.floating):
        raise TypeError(f"{name} must be a real floating LinearOperator, got dtype {A.dtype}")
    return A


def _probe_operator(A, block: int = 256):
    """``max|A_ij|``, ``||A||_F``, max column and row l1 norms, min, max, sum of a LinearOperator.

    Applies ``A`` to the identity ``block`` columns at a time: ``n`` products in all,
    ``O(m * block)`` memory -- never the dense matrix.
    """
    m, n = A.shape
    amax, fro2, n1, total = 0.0, 0.0, 0.0, 0.0
    lo, hi = math.inf, -math.inf
    rows = np.zeros(m)
    for start in range(0, n, block):
        k = min(block, n - start)
        E = np.zeros((n, k), dtype=A.dtype or np.float64)
        E[np.arange(start, start + k), np.arange(k)] = 1.0
        cols = np.asarray(A.matmat(E))
        if not np.all(np.isfinite(cols)):
            raise ValueError("A (LinearOperator) returned NaN or infinite values")
        ab = np.abs(cols)
        amax = max(amax, float(ab.max()))
        fro2 += float(np.sum(cols * cols))
        n1 = max(n1, float(ab.sum(axis=0).max()))
        rows += ab.sum(axis=1)
        lo, hi, total = min(lo, float(cols.min())), max(hi, float(cols.max())), total + float(cols.sum())
    return amax, math.sqrt(fro2), n1, float(rows.max()), lo, hi, total


#: a dense NumPy game with at least this many bytes of ``A`` forms ``(A^T x, A y)`` in
#: one compiled pass by default (``fused=None``): past the last-level cache (32 MiB on
#: the machines measured) BLAS streams ``A`` from memory once per product, and the one
#: pass gives 1.5-2x; below it the pass still wins, but rarely by enough to pay for
#: loading Numba (about 1 s, once per process)
FUSED_MIN_BYTES = 1 << 25

_FUSED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_KERNELS: dict = {}


def _fused_kernel():
    """The compiled one-pass product (imported once: the import statement costs more than
    a small product)."""
    if not _KERNELS:
        if not HAS_NUMBA:
            raise BackendUnavailableError("fused=True needs Numba, which is not installed: "
                                          "pip install 'eqsolve[numba]'")
        from ._dense_numba import fused_products

        _KERNELS["fused_products"] = fused_products
    return _KERNELS["fused_products"]


def _fused_layout(A) -> str | None:
    """``"C"`` or ``"F"`` for a contiguous float32/float64 NumPy matrix, else ``None``."""
    if not isinstance(A, np.ndarray) or A.ndim != 2 or A.dtype not in _FUSED_DTYPES:
        return None
    if A.flags.c_contiguous:
        return "C"
    return "F" if A.flags.f_contiguous else None


def check_fused(fused, A, kind: str, batch):
    """Validate ``MatrixGame(fused=)``; return the layout the fused pass reads, or ``None``.

    ``None`` (the default) picks the pass where it pays: Numba installed, a
    single dense NumPy matrix of :data:`FUSED_MIN_BYTES` or more, C- or
    F-contiguous, float32 or float64.  ``True`` asks for it on any such matrix
    and says why when it cannot be had; ``False`` keeps the two BLAS products.
    """
    if fused is not None and not isinstance(fused, (bool, np.bool_)):
        raise TypeError(f"fused must be True, False or None, got {type(fused).__name__}")
    if fused is not None and not fused:
        return None
    # a batch's stacked products are matmuls; its games (game(b), views of A[b]) fuse
    M = A[0] if batch is not None and kind == "dense" else A
    layout = _fused_layout(M) if kind == "dense" else None
    if fused is None:
        ok = HAS_NUMBA and batch is None and layout is not None and A.nbytes >= FUSED_MIN_BYTES
        return layout if ok else None
    if kind != "dense" or not isinstance(A, np.ndarray):
        what = f"a {kind} matrix" if kind != "dense" else f"a {type(A).__module__.split('.')[0]} array"
        raise ValueError(f"fused=True needs A as a dense NumPy array, got {what}; pass "
                         "fused=None to use the fused pass only where it applies")
    if A.dtype not in _FUSED_DTYPES:
        raise ValueError(f"fused=True needs A in float32 or float64, got {A.dtype}; convert it "
                         "with A.astype(np.float64)")
    if layout is None:
        raise ValueError("fused=True needs A C- or F-contiguous, got a strided view; pass "
                         "np.ascontiguousarray(A) (a copy) or fused=None")
    if not HAS_NUMBA:
        raise BackendUnavailableError("fused=True needs Numba, which is not installed: "
                                      "pip install 'eqsolve[numba]'")
    return None if batch is not None else layout


class MatrixGame(_TwoPlayer):
    """Zero-sum matrix game: the row player picks ``x`` in the simplex and maximises ``x^T A y``.

    As a VI on the product of simplices its operator is
    :math:`F(x, y) = (-A y,\\; A^\\top x)`, monotone (skew) and, on the product of
    simplices, Lipschitz with constant :math:`\\|A - c\\|_2` (Euclidean) or
    :math:`\\max_{ij}|A_{ij} - c|` for the centre :math:`c` of the payoffs
    (l1/l-infinity, the entropic geometry).  Its certificate is the duality gap

    .. math:: \\operatorname{gap}(x, y) = \\max_i (A y)_i - \\min_j (A^\\top x)_j \\ge 0,

    which brackets the value: :math:`\\min_j (A^\\top x)_j \\le v \\le \\max_i (Ay)_i`.

    Parameters
    ----------
    A : (m, n) or (B, m, n) array_like, scipy.sparse matrix or LinearOperator
        Payoff to the row player.  Dense arrays of any array-API library are
        kept as they are (no copy: NumPy in, NumPy out; CuPy in, CuPy out).  A
        3-d stack is a **batch** of ``B`` games solved together, each with its
        own certificate and status (``method="pdhg"``).  Sparse matrices and
        ``LinearOperator`` objects are used only through products, never
        densified (COO/DOK/LIL are converted once to CSR).  A dask array, a
        ``numpy.memmap`` (``np.load(path, mmap_mode="r")``) or a
        :class:`~eqsolve.problems.chunked.ChunkedMatrix` is a **chunked** game:
        ``A`` is read in row blocks, each product is one pass returning NumPy,
        ``F(x, y)`` is one pass for both products, and ``Result.info["passes"]``
        counts the passes of a solve (see :meth:`from_npy`, :meth:`from_zarr`,
        :meth:`from_hdf5`; construction reads ``A`` once).
    amax : float, optional
        A bound on ``max |A_ij|`` (the certificate's rounding allowance needs
        it).  Computed when omitted; for a ``LinearOperator`` that costs ``n``
        products, so pass it when you know it.
    fused : bool, optional
        How an operator evaluation forms its pair ``(A^T x, A y)`` on a dense
        NumPy matrix.  ``None`` (default): in one compiled pass over ``A``
        (Numba, threads over row ranges) when Numba is installed and ``A`` is
        a C- or F-contiguous float32/float64 matrix of at least
        :data:`FUSED_MIN_BYTES` (32 MiB), else two BLAS products.  ``True``:
        the one pass at any size (needs Numba and such a matrix; says which is
        missing).  ``False``: always the two BLAS products, the reference the
        pass is tested against.  The two differ only in the order of the sums
        (the certificate's rounding allowance covers any order).  Mirror prox,
        extragradient, optimistic and every other method whose evaluation
        needs both products use it; PDHG's two products are sequential
        (``A y`` needs the new ``y``) and stay BLAS.

    Examples
    --------
    >>> import numpy as np
    >>> g = MatrixGame([[1.0, -1.0], [-1.0, 1.0]])      # matching pennies
    >>> c = g.certify(np.array([0.5, 0.5, 0.5, 0.5]))
    >>> c.kind, c.value < 1e-12
    ('duality_gap', True)
    >>> batch = MatrixGame(np.stack([[[1.0, -1.0], [-1.0, 1.0]], [[2.0, 0.0], [0.0, 1.0]]]))
    >>> batch.batch, batch.game(1)
    (2, MatrixGame(2x2, dtype=float64))

    References
    ----------
    J. von Neumann, "Zur Theorie der Gesellschaftsspiele", Math. Ann. 100 (1928).
    """

    residual_kind = "duality_gap"
    monotone = True
    default_method = "pdhg"
    bilinear = True

    def __init__(self, A, *, amax=None, fused=None):
        self.kind = _matrix_kind(A)
        self.batch = None
        if self.kind == "chunked":
            if not isinstance(A, ChunkedMatrix):
                A = ChunkedMatrix.from_memmap(A) if isinstance(A, np.memmap) else ChunkedMatrix(A)
        elif self.kind == "sparse":
            A = _check_sparse("A", A)
        elif self.kind == "operator":
            A = _check_operator("A", A)
        else:
            A = check_array("A", A)
            if A.ndim == 3:
                self.batch = int(A.shape[0])
            elif A.ndim != 2:
                raise ValueError(f"A must be a matrix (m, n) or a stack of matrices (B, m, n), got "
                                 f"an array with shape {tuple(A.shape)}")
        self.A = A
        self.xp = namespace(A) if self.kind == "dense" else namespace()
        self._passes0 = A.passes if self.kind == "chunked" else 0
        self._setup_domain(*A.shape[-2:])
        self._probe = None
        if amax is not None:
            amax = check_positive("amax", amax, allow_zero=True)
        self._amax = amax
        self._lipschitz = None
        self._range = None
        self._saddle = None
        self._fused = check_fused(fused, A, self.kind, self.batch)
        self._fused_option = fused
        self._stats = None

    def __setstate__(self, state):
        super().__setstate__(state)
        if self._fused is not None and self._fused_option is None and not HAS_NUMBA:
            # pickled where Numba was installed, loaded where it is not: the default
            # falls back to BLAS (fused=True says what is missing when used)
            self._fused = None

    @property
    def fused(self) -> bool:
        """Whether operator evaluations form ``(A^T x, A y)`` in one compiled pass over ``A``."""
        return self._fused is not None

    @property
    def wide_certificate(self) -> bool:
        """Whether :meth:`certify` computes in float64 on entries stored in a narrower
        float type (exact in float64), rather than in the entries' own arithmetic."""
        return self.kind in ("dense", "chunked") and narrow_float(self.dtype)

    @property
    def working_dtypes(self) -> tuple:
        """The float types :meth:`working` offers: one dense game of float32 or float64
        entries; float32 only where the centred payoffs fit its exponent range."""
        if not (self.kind == "dense" and self.batch is None
                and str(self.dtype) in ("float32", "float64")):
            return ()
        if str(self.dtype) == "float32" or 2.0 ** -100 <= self.spread <= 2.0 ** 100:
            return ("float32", "float64")
        return ("float64",)

    def working(self, dtype):
        """A game with the same equilibria on entries rounded to ``dtype`` (``"float32"`` or
        ``"float64"``), a new copy each call (a solve holds it while it runs, so that the
        game itself never keeps one); ``self`` for the game's own dtype; ``None`` where not
        offered (:attr:`working_dtypes`).

        The float32 copy of float64 payoffs is of ``A - centre``: on the simplices an
        offset moves every row's payoff and every column's by the same amount, so the
        iterates of a simplex method do not change, and the rounding is relative to the
        spread of the payoffs, not to an offset (``A + 1e6`` keeps its accuracy).  A
        float64 copy of float32 entries is exact.  Only for iterating: :meth:`certify`
        reads the game's own entries.
        """
        name = str(np.dtype(dtype))
        if name not in self.working_dtypes:
            return None
        if name == str(self.dtype):
            return self
        xp = self.xp
        # the copy forms its products as the game does (fused= carried over)
        if name == "float64":
            return MatrixGame(xp.astype(self.A, xp.float64), amax=self._amax,
                              fused=self._fused_option)
        return MatrixGame(_centred_float32(xp, self.A, float(self.centre)),
                          fused=self._fused_option)

    def rounding_floor(self) -> float:
        """``max|A| (gamma_m + gamma_n)`` in the certificate's arithmetic, plus the underflow
        term (:func:`~eqsolve.certificates.residuals.gap_allowance` at a point on the
        simplices with a zero bracket); 0 for a batch or an operator (not known cheaply)."""
        if self.batch is not None or (self.kind == "operator" and self._amax is None):
            return 0.0
        eps = 2.0 ** -52 if self.wide_certificate else finfo_eps(self.xp, self.dtype)
        return gap_allowance(float(self.amax), 0.0, 0.0, 0.0, self.m, self.n, eps)

    def _wide_products(self, x, y):
        """``(A^T x, A y)`` in float64 arithmetic on the narrower stored entries, a row
        block at a time (no float64 copy of the whole matrix)."""
        xp = self.xp
        x, y = xp.astype(x, xp.float64), xp.astype(y, xp.float64)
        if self.kind == "chunked":
            # a float32 block times a float64 vector is computed in float64
            return self.A.products(x, y)
        A = self.A
        if self._fused is not None and str(A.dtype) == "float32":
            # one compiled read of the float32 entries, float64 sums
            kernel = _fused_kernel()
            x, y = np.ascontiguousarray(x), np.ascontiguousarray(y)
            if self._fused == "C":
                Ay, ATx = kernel(A, y, x)
            else:
                ATx, Ay = kernel(A.T, x, y)
            return ATx, Ay
        m, n = A.shape
        rows = max(1, WIDE_BLOCK_ELEMENTS // max(n, 1))
        parts, ATx = [], xp.zeros((n,), dtype=xp.float64)
        for start in range(0, m, rows):
            block = xp.astype(A[start:start + rows, ...], xp.float64)
            parts.append(block @ y)
            # any summation order keeps Higham's bound (gamma_m) on the column sums
            ATx = ATx + x[start:start + rows] @ block
        return ATx, xp.concat(parts)

    @property
    def saddle(self) -> SaddleStructure:
        """``min_y max_x x^T A y``: ``K = A``, zero terms on the simplices (PDHG's view)."""
        if self._saddle is None:
            dx, dy = self.domain.blocks
            # the diagonal steps read the entries of a dense or sparse matrix, and stream a
            # chunked one (ChunkedMatrix.scaled_norms: the same scalings); an operator
            # only offers products.  The exact polish reads a subgame: from memory, or
            # from the rows of a chunked matrix (ChunkedMatrix.submatrix: one pass)
            in_memory = self.kind in ("dense", "sparse")
            host = self.batch is None and (self.kind == "chunked"
                                           or (in_memory and self.backend == "numpy"))
            self._saddle = SaddleStructure(
                n_max=self.m, n_min=self.n, max_first=True, max_domain=dx, min_domain=dy,
                g=Term(), f=Term(),
                entries=self.A if in_memory or self.kind == "chunked" else None,
                centre=self._centre_now, keep_sums=(True, True), polish=host,
                averages_certified=True, dtype=self.dtype, xp=self.xp, stats=self._stats_now)
        return self._saddle

    def _centre_now(self):
        # a bound method rather than a lambda, so that the cached structure pickles
        return self.centre

    def _stats_now(self):
        return self.stats

    @property
    def stats(self):
        """The :class:`~eqsolve.problems.chunked.MatrixStats` of ``A`` (None where not offered).

        Minimum, maximum, squared Frobenius norm, and the row and column
        minima, maxima and l1 norms, from one pass: a chunked game's
        construction scan, or the same block function over a dense NumPy
        ``A`` on first use (then kept).  The same numbers for a game and its
        chunked copy (minima and maxima exactly, sums to rounding).  ``None``
        for a batch, a sparse matrix, a ``LinearOperator`` or GPU arrays.
        """
        if self._stats is None:
            if self.kind == "chunked":
                self._stats = self.A.stats
            elif self.kind == "dense" and self.batch is None and isinstance(self.A, np.ndarray):
                self._stats = matrix_stats(self.A)
        return self._stats

    @property
    def dtype(self):
        return self.A.dtype if self.kind != "operator" else np.dtype(self.A.dtype or np.float64)

    @property
    def amax(self):
        """``max |A_ij|`` (a host NumPy vector of per-game maxima for a batch)."""
        if self._amax is None:
            xp, A = self.xp, self.A
            if self.batch is not None:
                self._amax = np.array([_abs_max(xp, A[b, ...]) for b in range(self.batch)])
            elif self.kind == "sparse":
                self._amax = _abs_max(xp, A.data) if A.nnz else 0.0
            elif self.kind == "operator":
                self._amax = self._operator_probe()[0]
            elif self.kind == "chunked":
                self._amax = A.stats.amax
            else:
                self._amax = _abs_max(xp, A)
        return self._amax

    @property
    def payoff_range(self):
        """``(min A_ij, max A_ij)`` (host arrays of per-game values for a batch).

        Implicit zeros of a sparse matrix count.  Costs ``n`` products for a
        ``LinearOperator`` (shared with :attr:`amax`).
        """
        if self._range is None:
            xp, A = self.xp, self.A
            if self.batch is not None:
                r = [_range(xp, A[b, ...]) for b in range(self.batch)]
                self._range = (np.array([a for a, _ in r]), np.array([b for _, b in r]))
            elif self.kind == "sparse":
                lo, hi = _range(xp, A.data) if A.nnz else (0.0, 0.0)
                if A.nnz < self.m * self.n:
                    lo, hi = min(lo, 0.0), max(hi, 0.0)
                self._range = (lo, hi)
            elif self.kind == "operator":
                self._range = self._operator_probe()[4:6]
            elif self.kind == "chunked":
                self._range = (A.stats.min, A.stats.max)  # from the construction's one pass
            else:
                self._range = _range(xp, A)
        return self._range

    @property
    def centre(self):
        """The midpoint ``(min A + max A) / 2`` of the payoffs (per game for a batch)."""
        lo, hi = self.payoff_range
        return _midpoint(lo, hi)

    @property
    def spread(self):
        """``max A_ij - min A_ij``: the scale of the payoffs (per game for a batch).

        Duality gaps are invariant under adding a constant to ``A`` and scale
        with ``A``: ``tol = 1e-6 * game.spread`` asks the same accuracy of every
        game, whatever its units.
        """
        lo, hi = self.payoff_range
        return hi - lo

    @property
    def lipschitz_entropic(self) -> float:
        """``spread / 2``: the l1/l-infinity Lipschitz constant of ``F`` on the domain.

        Adding ``c`` to every payoff adds ``(-c 1, c 1)`` to ``F`` on the
        simplices, a vector normal to them, so the payoffs are centred first.
        """
        lo, hi = self.payoff_range
        # halves first: the spread itself may exceed float64's range
        return float(np.max(np.asarray(hi) / 2.0 - np.asarray(lo) / 2.0))

    def _operator_probe(self):
        if self._probe is None:
            self._probe = _probe_operator(self.A)
        return self._probe

    @property
    def lipschitz(self) -> float:
        """A rigorous bound on the Euclidean Lipschitz constant of ``F`` on the domain.

        Between two points of the product of simplices, ``F`` of ``A`` and of
        ``A - c`` differ by the same vector (the differences of the strategies
        sum to zero), so the bound is ``||A - c||_2``'s cheap bound
        (:func:`spectral_bound`) at the centre ``c`` of the payoffs: offsets
        do not change it, and the methods' steps from it are offset invariant.
        """
        if self._lipschitz is None:
            xp, A = self.xp, self.A
            if self.batch is not None:
                c = self.centre
                self._lipschitz = max(spectral_bound(xp, A[b, ...], float(c[b]))
                                      for b in range(self.batch))
            elif self.kind == "sparse":
                self._lipschitz = _sparse_centred_bounds(A, self.centre)
            elif self.kind == "operator":
                _, fro, n1, ninf, lo, hi, total = self._operator_probe()
                # centred Frobenius norm from the sums: sum (a - c)^2 = sum a^2 - 2 c sum a + c^2 mn
                c = (lo + hi) / 2.0
                terms = (fro * fro, 2.0 * c * total, c * c * self.m * self.n)
                # the sums cancel: allow 4 ulps of their magnitudes (rounded up)
                fro_c2 = terms[0] - terms[1] + terms[2] + 4 * 2.3e-16 * sum(map(abs, terms))
                fro_c = math.sqrt(max(fro_c2, 0.0))
                self._lipschitz = min(fro, fro_c, math.sqrt(n1 * ninf))
            elif self.kind == "chunked":
                self._lipschitz = A.stats.spectral_bound
            else:
                self._lipschitz = spectral_bound(xp, A, self.centre)
        return self._lipschitz

    def matvec(self, y):
        """``A @ y`` (row payoffs against ``y``)."""
        if self.kind == "chunked":
            return self.A.matvec(y)
        return self.A @ y

    def rmatvec(self, x):
        """``A.T @ x`` (column payoffs against ``x``)."""
        if self.kind == "chunked":
            return self.A.rmatvec(x)
        return self.A.T @ x

    def products(self, x, y):
        """``(A.T @ x, A @ y)``: one pass over a chunked ``A``, and over a dense one when
        :attr:`fused`."""
        if self.kind == "chunked":
            return self.A.products(x, y)
        A = self.A
        if self._fused is not None and x.dtype == A.dtype and y.dtype == A.dtype:
            kernel = _fused_kernel()
            x, y = np.ascontiguousarray(x), np.ascontiguousarray(y)
            if self._fused == "C":
                Ay, ATx = kernel(A, y, x)
            else:  # A.T is C-ordered: (A.T x, A y) = (A.T @ x, (A.T).T @ y)
                ATx, Ay = kernel(A.T, x, y)
            return ATx, Ay
        # other dtypes (a float64 iterate on a float32 game) keep NumPy's promotion
        return A.T @ x, A @ y

    def normal(self, v):
        """``A.T @ (A @ v)``: one pass over a chunked ``A``."""
        if self.kind == "chunked":
            return self.A.normal(v)
        return self.rmatvec(self.matvec(v))

    def counters(self):
        """``{"passes": n}``: passes over a chunked ``A`` since construction (its scan excluded)."""
        if self.kind != "chunked":
            return {}
        return {"passes": self.A.passes - self._passes0}

    @classmethod
    def from_npy(cls, path, **options) -> "MatrixGame":
        """A chunked game on a ``.npy`` file, memory-mapped read-only.

        ``options`` go to :class:`~eqsolve.problems.chunked.ChunkedMatrix`
        (``block_rows``, ``threads``) and its ``from_npy`` (``page_cache=False``
        streams every pass from disk without filling the page cache).  The
        game pickles as the path.
        """
        return cls(ChunkedMatrix.from_npy(path, **options))

    @classmethod
    def from_zarr(cls, path, *, component=None, **options) -> "MatrixGame":
        """A chunked game on a zarr array (``component``: its path inside a group)."""
        return cls(ChunkedMatrix.from_zarr(path, component=component, **options))

    @classmethod
    def from_hdf5(cls, path, key, **options) -> "MatrixGame":
        """A chunked game on the dataset ``key`` of an HDF5 file (needs h5py)."""
        return cls(ChunkedMatrix.from_hdf5(path, key, **options))

    def to_backend(self, backend: str) -> "MatrixGame":
        """The same game with ``A`` on the host (``"numpy"``) or the GPU (``"cupy"``): one copy."""
        if self.kind != "dense":
            raise TypeError(f"a {self.kind} MatrixGame stays on the host; build it from a dense "
                            "CuPy array to solve it on the GPU")
        fused = self._fused_option if backend != "cupy" else None
        return MatrixGame(move_array(self.A, backend), amax=None if self._amax is None else self._amax,
                          fused=fused)

    def game(self, b: int) -> "MatrixGame":
        """Game ``b`` of a batch, as a single :class:`MatrixGame` on a view of ``A`` (no copy)."""
        if self.batch is None:
            raise ValueError("game(b) needs a batch of games (A with shape (B, m, n))")
        if not -self.batch <= b < self.batch:
            raise IndexError(f"game index {b} out of range for a batch of {self.batch}")
        return MatrixGame(self.A[b, ...], amax=float(self.amax[b]), fused=self._fused_option)

    def initial_point(self):
        if self.batch is None:
            return super().initial_point()
        xp = self.xp
        z = super().initial_point()
        return xp.broadcast_to(z, (self.batch, z.shape[0])) * 1.0

    def operator(self, z):
        xp = self.xp
        if self.batch is not None:
            A = self.A
            x, y = z[:, : self.m], z[:, self.m :]
            Ay = xp.matmul(A, y[:, :, None])[:, :, 0]
            ATx = xp.matmul(x[:, None, :], A)[:, 0, :]
            return xp.concat([-Ay, ATx], axis=1)
        ATx, Ay = self.products(z[: self.m], z[self.m :])
        return xp.concat([-Ay, ATx])

    def value(self, z, Fz=None, certificate=None):
        if self.batch is not None:
            Fz = self.operator(z) if Fz is None else Fz
            return self.xp.sum(z[:, : self.m] * -Fz[:, : self.m], axis=1)
        if certificate is not None and "payoff" in certificate.details:
            return certificate.details["payoff"]
        Ay = self.matvec(z[self.m :]) if Fz is None else -Fz[: self.m]
        return to_float(self.xp.sum(z[: self.m] * Ay))

    def certify(self, z, *, Fz=None, point: str = "given") -> Certificate:
        """The duality gap at ``z``; for a batch, the largest gap over the games.

        A batch's certificate lists every game's certificate in
        ``details["games"]`` (each computed by :meth:`game` ``(b).certify``).
        """
        xp = self.xp
        if Fz is None and self.batch is None and self.wide_certificate:
            # the float64 products are all the certificate needs: one pass, not two
            ATx, Ay = self._wide_products(z[: self.m], z[self.m:])
            Fz = xp.concat([-Ay, ATx])
        if Fz is None:
            Fz = self.operator(z)
        if self.batch is not None:
            certs = [self.game(b).certify(z[b, ...], Fz=Fz[b, ...], point=point)
                     for b in range(self.batch)]
            worst = max(certs, key=lambda c: c.value)
            return Certificate("duality_gap", worst.value, point, worst.rounding,
                               {"games": certs, "worst_game": certs.index(worst)})
        x, y = z[: self.m], z[self.m :]
        if self.wide_certificate:
            if narrow_float(Fz.dtype):
                # float32 products carry float32 rounding (2.4e-4 at 2000 x 2000): certify
                # the user's entries in float64 arithmetic instead
                ATx, Ay = self._wide_products(x, y)
                Fz = xp.concat([-Ay, ATx])
            # the simplex defect and the payoff summed in float64 too
            x, y = xp.astype(x, xp.float64), xp.astype(y, xp.float64)
        Ay = -Fz[: self.m]
        gap, rnd, lower, upper = matrix_game_gap(xp, self.A, x, y, Ay, Fz[self.m :], self.amax)
        payoff = to_float(xp.sum(x * Ay))
        return Certificate(
            "duality_gap",
            gap + rnd,
            point,
            rnd,
            {
                "value_bounds": (lower - rnd, upper + rnd),
                "payoff": payoff,
                "row_regret": upper - payoff,
                "column_regret": payoff - lower,
            },
        )

    def check_point(self, name, point, dtype=None):
        if self.batch is None:
            return super().check_point(name, point, dtype=dtype)
        z = check_array(name, point, ndim=2, shape=(self.batch, self.dim))
        return self.xp.stack([self.game(b).check_point(f"{name}[{b}]", z[b, ...], dtype=dtype)
                              for b in range(self.batch)])

    def __repr__(self):
        if self.batch is not None:
            return f"MatrixGame(batch of {self.batch}, {self.m}x{self.n}, dtype={self.A.dtype})"
        kind = "" if self.kind == "dense" else f", {self.kind}"
        return f"MatrixGame({self.m}x{self.n}, dtype={self.dtype}{kind})"


def _float_matrix(name, M, exact):
    """The float64 matrix of a payoff argument (its exact values' roundings when exact)."""
    if exact is None:
        return check_array(name, M, ndim=2)
    if exact.num.ndim != 2:
        raise ValueError(f"{name} must be a matrix (2-d), got an array with shape {exact.shape}")
    if 0 in exact.shape:
        raise ValueError(f"{name} must not be empty, got shape {exact.shape}")
    try:
        F = exact.to_float()
    except OverflowError:
        F = None
    if F is None or not np.all(np.isfinite(F)):
        raise ValueError(f"{name} has an entry beyond float64's range (about 1.8e308); rescale "
                         "the payoffs")
    return F


class BimatrixGame(_TwoPlayer):
    """General-sum two-player game: the row player maximises ``x^T A y``, the column player ``x^T B y``.

    VI operator :math:`F(x, y) = (-A y, -B^\\top x)`; monotone exactly when the
    game is zero-sum (``A + B = 0``), so first-order methods carry no
    guarantee in general -- the certificate still says how good the returned
    point is.  Certificate: the Nash gap

    .. math:: (\\max_i (A y)_i - x^\\top A y) + (\\max_j (B^\\top x)_j - x^\\top B y) \\ge 0.

    Parameters
    ----------
    A, B : (m, n) array_like
        Payoffs of the row and the column player.  Float arrays are used as
        they are (any array-API library; a dask array, ``numpy.memmap`` or
        :class:`~eqsolve.problems.chunked.ChunkedMatrix` makes a chunked game).
        Integer arrays, and lists or object arrays of ints, Fractions or
        Decimals (mixed with floats or not), are also kept exactly
        (:attr:`exact_input`) for the exact methods (``lemke_howson``,
        :func:`eqsolve.equilibria`); the float methods use their float64
        roundings.

    Examples
    --------
    >>> import numpy as np
    >>> pd = BimatrixGame([[3.0, 0.0], [5.0, 1.0]], [[3.0, 5.0], [0.0, 1.0]])  # prisoner's dilemma
    >>> pd.certify(np.array([0.0, 1.0, 0.0, 1.0])).value < 1e-12    # (defect, defect)
    True
    """

    residual_kind = "nash_gap"

    def __init__(self, A, B):
        self.chunked = _matrix_kind(A) == "chunked" or _matrix_kind(B) == "chunked"
        if self.chunked:
            A, B = (M if isinstance(M, ChunkedMatrix) else ChunkedMatrix.from_memmap(M)
                    if isinstance(M, np.memmap) else ChunkedMatrix(M) for M in (A, B))
            if A.shape != B.shape:
                raise ValueError(f"A and B must have the same shape, got {A.shape} and {B.shape}")
            self.A, self.B = A, B
            self.xp = namespace()
            self._setup_domain(*A.shape)
            self.amax, self.bmax = A.stats.amax, B.stats.amax
            # A + B == 0 would take a joint pass over both sources: left unknown
            self.monotone = None
            self.lipschitz = max(A.stats.spectral_bound, B.stats.spectral_bound)
            self.lipschitz_entropic = max(self.amax, self.bmax)
            self._passes0 = A.passes + B.passes
            self._exact = (None, None)
            return
        # payoffs given exactly (integers, Fractions, Decimals) are kept exactly
        # for the exact methods (lemke_howson, eqsolve.equilibria); the float methods use
        # their float64 roundings
        exact = (exact_matrix("A", A), exact_matrix("B", B))
        A, B = (_float_matrix(name, M, R) for name, M, R in (("A", A, exact[0]), ("B", B, exact[1])))
        if A.shape != B.shape:
            raise ValueError(f"A and B must have the same shape, got {tuple(A.shape)} and {tuple(B.shape)}")
        self.A, self.B = A, B
        self._exact = exact
        self._integer_game = None   # the exact integer form, built by the first exact solve
        self.xp = xp = namespace(A, B)
        self._setup_domain(*A.shape)
        self.amax = _abs_max(xp, A)
        self.bmax = _abs_max(xp, B)
        # A == -B rather than A + B == 0: the sum could overflow at extreme magnitudes
        self.monotone = bool(xp.all(A == -B))
        self.lipschitz = max(spectral_bound(xp, A, name="A"), spectral_bound(xp, B, name="B"))
        self.lipschitz_entropic = max(self.amax, self.bmax)

    @property
    def dtype(self):
        return self.A.dtype

    @property
    def exact_input(self) -> tuple:
        """``(A, B)`` as given exactly (:class:`~eqsolve.problems._exact.RationalArray`), each
        ``None`` when that matrix was given in floating point."""
        return self._exact

    @property
    def exact_payoffs(self) -> tuple:
        """``(A, B)`` exactly, as :class:`~eqsolve.problems._exact.RationalArray` pairs.

        The payoffs as given when they were exact (integers, Fractions, numeric
        strings); float payoffs at their exact binary values.
        """
        if self.chunked or self.backend != "numpy":
            raise TypeError("exact payoffs need a dense NumPy game (not chunked, not on a GPU)")
        return tuple(R if R is not None else RationalArray.from_numeric(np.asarray(M))
                     for R, M in zip(self._exact, (self.A, self.B)))

    def operator(self, z):
        xp = self.xp
        x, y = z[: self.m], z[self.m :]
        if self.chunked:
            return xp.concat([-self.A.matvec(y), -self.B.rmatvec(x)])
        return xp.concat([-(self.A @ y), -(self.B.T @ x)])

    def counters(self):
        """``{"passes": n}``: passes over chunked ``A`` and ``B`` since construction."""
        if not self.chunked:
            return {}
        return {"passes": self.A.passes + self.B.passes - self._passes0}

    def value(self, z, Fz=None, certificate=None) -> float:
        if certificate is not None and "row_payoff" in certificate.details:
            return certificate.details["row_payoff"]
        Ay = self.A @ z[self.m :] if Fz is None else -Fz[: self.m]
        return to_float(self.xp.sum(z[: self.m] * Ay))

    def certify(self, z, *, Fz=None, point: str = "given") -> Certificate:
        if Fz is None:
            Fz = self.operator(z)
        x, y = z[: self.m], z[self.m :]
        gap, rnd, (rg, cg, rp, cp) = bimatrix_nash_gap(
            self.xp, x, y, -Fz[: self.m], -Fz[self.m :], self.amax, self.bmax
        )
        return Certificate(
            "nash_gap",
            gap + rnd,
            point,
            rnd,
            {"row_gain": rg, "column_gain": cg, "row_payoff": rp, "column_payoff": cp},
        )

    def to_backend(self, backend: str) -> "BimatrixGame":
        """The same game with ``A, B`` on the host (``"numpy"``) or the GPU (``"cupy"``)."""
        if self.chunked:
            raise TypeError("a chunked BimatrixGame stays on the host; build it from dense CuPy "
                            "arrays to solve it on the GPU")
        return BimatrixGame(move_array(self.A, backend), move_array(self.B, backend))

    def __repr__(self):
        return f"BimatrixGame({self.m}x{self.n}, dtype={self.A.dtype})"
