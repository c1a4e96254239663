"""Finite-sum variational inequalities: F = (1/n) sum_i F_i, evaluated one component at a time.

Stochastic methods (``vr_halpern``) sample components; everything that is
certified uses full passes, i.e. the exact mean ``F``.  Component data are
NumPy arrays (the sampling methods index them on the host).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._validation import check_array, check_callable, check_positive
from ..certificates import Certificate
from ..certificates.residuals import gamma
from ..domains import Product, Reals, Simplex
from .games import spectral_bound
from .vi import VI, as_domain

__all__ = ["FiniteSumVI"]

# the exact affine constants need O(n d^3) flops; above this they are left unknown
_EXACT_CONSTANTS_FLOPS = 2e9


def _check_affine(M, q):
    """Validate stacked affine components; return float64 ``(M, q)`` of shapes (n, d, d), (n, d)."""
    if isinstance(M, (list, tuple)):
        shapes = {np.shape(m) for m in M}
        if len(M) == 0:
            raise ValueError("M must hold at least one component (n >= 1), got none")
        if len(shapes) > 1:
            raise ValueError(f"M's components must all have the same shape (d, d); got shapes "
                             f"{sorted(shapes)}")
    if isinstance(q, (list, tuple)):
        shapes = {np.shape(v) for v in q}
        if len(shapes) > 1:
            raise ValueError(f"q's components must all have the same shape (d,); got shapes "
                             f"{sorted(shapes)}")
    if np.ndim(M) == 3 and np.shape(M)[0] == 0:
        raise ValueError("M must hold at least one component (n >= 1), got n = 0")
    # copies: the problem keeps precomputed means, so later edits by the caller must not leak in
    M = np.array(check_array("M", M, ndim=3), dtype=np.float64)
    n, d, d2 = M.shape
    if d != d2:
        raise ValueError(f"M must stack square matrices, shape (n, d, d); got {M.shape}")
    q = np.array(check_array("q", q, shape=(n, d)), dtype=np.float64)
    return M, q


def _check_callable_components(F_i, n, F_batch):
    if F_i is None or not callable(F_i):
        raise TypeError(f"F_i must be a callable F_i(i, z) -> array, got {type(F_i).__name__}")
    check_callable("F_batch", F_batch)
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"n must be an integer number of components, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"n must be >= 1 (the number of components), got {n}")
    return int(n)


def _affine_constants(M):
    """Exact (L of the mean, mean-square L, monotone, cocoercivity on average) of ``z -> M_i z``.

    Mean-square Lipschitz: ``E_i |M_i h|^2 = h^T Q h`` with ``Q = mean M_i^T M_i``.
    Cocoercive on average with constant ``c``: ``Q <= c S`` (``S`` the symmetric part of
    the mean), the largest generalised eigenvalue of ``(Q, S)`` when ``S`` is definite.
    """
    n, d, _ = M.shape
    Mbar = M.mean(axis=0)
    L = float(np.linalg.norm(Mbar, 2))
    S = 0.5 * (Mbar + Mbar.T)
    s_eig = np.linalg.eigvalsh(S)
    scale = max(float(np.abs(s_eig).max()), L, 1e-300)
    monotone = bool(s_eig[0] >= -1e-12 * scale)
    if n * d ** 3 > _EXACT_CONSTANTS_FLOPS:
        return L, None, monotone, None
    Q = np.einsum("nij,nik->jk", M, M) / n
    L_avg = math.sqrt(max(float(np.linalg.eigvalsh(Q)[-1]), 0.0))
    coco = None
    if s_eig[0] > 1e-10 * scale:
        from scipy.linalg import eigh

        # a little slack over the computed eigenvalue, so rounding cannot understate it
        coco = float(eigh(Q, S, eigvals_only=True)[-1]) * (1 + 1e-9)
    return L, L_avg * (1 + 1e-12), monotone, coco


class FiniteSumVI(VI):
    """Finite-sum VI: find :math:`z^\\star \\in Z` with :math:`0 \\in F(z^\\star) + N_Z(z^\\star)`,

    .. math:: F(z) = \\frac1n \\sum_{i=1}^n F_i(z).

    Sampling methods evaluate components; the certificate is always computed
    from the exact mean (a full pass): the natural residual
    :math:`\\|z - \\Pi_Z(z - F(z))\\|` (``\\|F(z)\\|`` without constraints), with
    the gap function beside it on bounded domains, as for :class:`VI`.
    Cost is counted in component evaluations: a full pass is ``n`` of them.

    Parameters
    ----------
    F_i : callable
        ``F_i(i, z) -> array`` of shape ``(d,)``: the i-th component.
    n : int
        Number of components.
    domain : Domain or int
        The constraint set (its projection is the resolvent); ``d`` means
        :math:`\\mathbb{R}^d`.
    F_batch : callable, optional
        ``F_batch(indices, z) -> array (len(indices), d)``, the stacked
        components (faster than calling ``F_i`` in a loop).
    L : float, optional
        Lipschitz constant of the mean ``F``.
    L_avg : float, optional
        Lipschitz constant on average: :math:`\\mathbb{E}_i\\|F_i(u) - F_i(v)\\|^2
        \\le L_{avg}^2 \\|u - v\\|^2` (uniform ``i``).  Sets the step sizes of
        ``vr_halpern``.
    cocoercivity : float, optional
        ``c`` with :math:`\\mathbb{E}_i\\|F_i(u) - F_i(v)\\|^2 \\le c\\,\\langle F(u) -
        F(v), u - v\\rangle` (cocoercive on average; implies ``F`` is
        ``1/c``-cocoercive, hence monotone).
    monotone : bool, optional
    residual : {"natural_residual", "gap_function"}

    Examples
    --------
    >>> import numpy as np
    >>> M = np.stack([np.eye(2), 3 * np.eye(2)]); q = np.array([[1.0, 0.0], [-5.0, 2.0]])
    >>> fs = FiniteSumVI.affine(M, q)          # F(z) = 2 z + (-2, 1): solution (1, -0.5)
    >>> fs.n_components, fs.lipschitz, fs.cocoercivity
    (2, 2.0, 2.5000000025)
    >>> fs.certify(np.array([1.0, -0.5])).value < 1e-14
    True

    References
    ----------
    .. [1] X. Cai, A. Alacaoglu, J. Diakonikolas, "Variance reduced Halpern iteration
       for finite-sum monotone inclusions", ICLR 2024, arXiv:2310.02987.
    """

    def __init__(self, F_i, n, domain, *, F_batch=None, L=None, L_avg=None, cocoercivity=None,
                 monotone=None, residual="natural_residual"):
        n = _check_callable_components(F_i, n, F_batch)
        self._fi, self._fb = F_i, F_batch
        self._init(n, as_domain("domain", domain), L, L_avg, cocoercivity, monotone, residual)

    def _init(self, n, domain, L, L_avg, cocoercivity, monotone, residual):
        self.n_components = n
        self.lipschitz_avg = None if L_avg is None else check_positive("L_avg", L_avg)
        self.cocoercivity = None if cocoercivity is None else check_positive("cocoercivity",
                                                                           cocoercivity)
        if self.cocoercivity is not None:
            monotone = True
        VI.__init__(self, self._full, domain, L=L, monotone=monotone, residual=residual)

    # -- constructors ------------------------------------------------------
    @classmethod
    def affine(cls, M, q, domain=None, *, residual="natural_residual"):
        """Affine components :math:`F_i(z) = M_i z + q_i` (stacked ``M (n, d, d)``, ``q (n, d)``).

        The constants are computed exactly where cheap (``n d^3`` up to ~1e9):
        ``L = ||mean M||_2``, ``L_avg = sqrt(lambda_max(mean M_i^T M_i))``,
        monotonicity from the symmetric part of the mean, and the cocoercivity on
        average when that symmetric part is definite.

        Examples
        --------
        >>> import numpy as np
        >>> fs = FiniteSumVI.affine(np.ones((3, 1, 1)), np.zeros((3, 1)))
        >>> fs.operator(np.array([2.0])), fs.lipschitz_avg
        (array([2.]), 1.000000000001)
        """
        M, q = _check_affine(M, q)
        n, d, _ = M.shape
        self = cls.__new__(cls)
        self._M, self._q = M, q
        self._Mbar, self._qbar = M.mean(axis=0), q.mean(axis=0)
        self._abs_M = float(np.linalg.norm(np.abs(M).mean(axis=0)))
        self._abs_q = float(np.linalg.norm(np.abs(q).mean(axis=0)))
        self._fi, self._fb = None, self._affine_batch
        L, L_avg, mono, coco = _affine_constants(M)
        dom = Reals(d) if domain is None else as_domain("domain", domain)
        if dom.dim != d:
            raise ValueError(f"domain has dimension {dom.dim}, but the components act on R^{d}")
        self._init(n, dom, L if L > 0 else None, L_avg if L_avg else None, coco, mono, residual)
        return self

    @classmethod
    def from_matrix_game(cls, A):
        """The matrix game ``x^T A y`` (row player maximises) as a finite sum of row/column terms.

        With :math:`N = \\max(m, n)`, component ``k`` keeps row ``k`` and column ``k``:
        :math:`F_k(x, y) = N\\,(-A_{:,k}\\, y_k,\\; A_{k,:}^\\top x_k)` (a missing row or
        column contributes zero), so the mean is the game's operator
        :math:`(-A y, A^\\top x)` and one component costs ``O(m + n)``.  Exact
        constants: ``L_avg = sqrt(N) max(max_k |A_{:,k}|, max_k |A_{k,:}|)``;
        ``L`` as for :class:`MatrixGame`.  On the product of simplices the gap
        function reported with the certificate is the game's duality gap.

        Examples
        --------
        >>> import numpy as np
        >>> fs = FiniteSumVI.from_matrix_game(np.array([[1.0, -1.0], [-1.0, 1.0]]))
        >>> z = np.full(4, 0.5)
        >>> fs.certify(z).details["gap_function"] < 1e-14, fs.n_components
        (True, 2)
        """
        A = np.array(check_array("A", A, ndim=2), dtype=np.float64)
        m, nc = A.shape
        N = max(m, nc)
        self = cls.__new__(cls)
        self.A, self._m = A, m
        self._amax = float(np.abs(A).max())
        self._fi, self._fb = None, self._game_batch
        # column and row norms of A scaled by a power of two (exact): no square can overflow
        k = math.frexp(self._amax)[1] if self._amax > 0 else 0
        As = A * math.ldexp(1.0, -k)
        scale = max(float(np.linalg.norm(As, axis=0).max()), float(np.linalg.norm(As, axis=1).max()))
        try:
            scale = math.ldexp(scale, k)
        except OverflowError:
            scale = math.inf
        L = spectral_bound(np, A)
        if not math.isfinite(scale):
            raise ValueError(f"A is too large for float64: its row and column norms (max |A_ij| "
                             f"= {self._amax:.3g}) exceed 1.8e308; divide A by a power of two")
        self._init(N, Product(Simplex(m), Simplex(nc)), L if L > 0 else None,
                   math.sqrt(N) * scale * (1 + 1e-12) if scale > 0 else None, None, True,
                   "natural_residual")
        return self

    # -- certification ---------------------------------------------------------
    def _operator_error(self, z) -> float:
        """Bound on ``||fl(F(z)) - F(z)||_2`` for eqsolve's own affine / game evaluations.

        Affine: ``Mbar z + qbar`` with means formed in floating point, entrywise error
        at most ``gamma_{n+d+2} (mean|M_i| |z| + mean|q_i|)``; game: ``gamma_N max|A_ij|``
        times ``sqrt(m) |y|_1`` and ``sqrt(n) |x|_1`` (Higham 3.1).  A user's callable
        components cannot be bounded (as for :class:`VI`): zero is returned.
        """
        eps = float(np.finfo(np.float64).eps)
        if hasattr(self, "_Mbar"):
            g = gamma(self.n_components + self.dim + 2, eps)
            return g * (self._abs_M * float(np.linalg.norm(z)) + self._abs_q)
        if hasattr(self, "A"):
            m, nc = self.A.shape
            x, y = z[:m], z[m:]
            g = gamma(self.n_components + 1, eps)
            return g * self._amax * (math.sqrt(m) * float(np.abs(y).sum())
                                     + math.sqrt(nc) * float(np.abs(x).sum()))
        return 0.0

    def _radius(self) -> float:
        """``max_{w in Z} ||w||_2`` bounded through the support function per coordinate (cached)."""
        if not hasattr(self, "_radius_cache"):
            far = np.empty(self.dim)
            e = np.zeros(self.dim)
            for i in range(self.dim):  # one unit vector at a time: O(d) memory
                e[i] = 1.0
                far[i] = max(float(self.domain.support(e)), float(self.domain.support(-e)))
                e[i] = 0.0
            self._radius_cache = float(np.linalg.norm(far))
        return self._radius_cache

    def certify(self, z, *, Fz=None, point: str = "given"):
        """The :class:`VI` certificate of the exact mean ``F``, plus the rounding of ``F`` itself.

        An error ``delta`` in ``F(z)`` moves the natural residual by at most
        ``|delta|`` (the projection is nonexpansive) and the gap function by at most
        ``|delta| (|z| + max_Z |w|)``; both allowances are added.
        """
        cert = VI.certify(self, z, Fz=Fz, point=point)
        err = self._operator_error(z)
        if err == 0.0:
            return cert
        details = dict(cert.details)
        gap_err = err * (float(np.linalg.norm(z)) + self._radius()) if self.domain.bounded else 0.0
        if "gap_function" in details:
            details["gap_function"] += gap_err
        if "natural_residual" in details:
            details["natural_residual"] += err
        extra = gap_err if self.residual_kind == "gap_function" else err
        return Certificate(cert.kind, cert.value + extra, cert.point, cert.rounding + extra,
                           details)

    # -- evaluations ----------------------------------------------------------
    def _affine_batch(self, idx, z):
        return self._M[idx] @ z + self._q[idx]

    def _game_batch(self, idx, z):
        A, m, N = self.A, self._m, self.n_components
        x, y = z[:m], z[m:]
        out = np.zeros((len(idx), z.shape[0]))
        rows = idx < m
        cols = idx < A.shape[1]
        out[cols, :m] = -(A[:, idx[cols]] * (N * y[idx[cols]])).T
        out[rows, m:] = A[idx[rows], :] * (N * x[idx[rows]])[:, None]
        return out

    def components(self, indices, z):
        """The stacked components ``[F_i(z) for i in indices]``, shape ``(len(indices), d)``."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        if self._fb is not None:
            out = np.asarray(self._fb(idx, z), dtype=np.float64)
        else:
            out = np.stack([np.asarray(self._fi(int(i), z), dtype=np.float64) for i in idx])
        if out.shape != (idx.shape[0], self.dim):
            raise ValueError(f"the components returned an array of shape {out.shape} for "
                             f"{idx.shape[0]} indices; each component must have shape "
                             f"({self.dim},), like z")
        return out

    def sample_mean(self, indices, z):
        """:math:`\\frac{1}{|S|}\\sum_{i \\in S} F_i(z)` for the index array ``S``."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        if hasattr(self, "A"):
            # one row and one column per index: avoid building the (|S|, d) stack
            A, m, N, b = self.A, self._m, self.n_components, idx.shape[0]
            c, r = idx[idx < A.shape[1]], idx[idx < m]
            return np.concatenate([-(A[:, c] @ z[m:][c]), A[r, :].T @ z[:m][r]]) * (N / b)
        return self.components(idx, z).mean(axis=0)

    def sample_mean_diff(self, indices, u, v):
        """Mean of ``F_i(u) - F_i(v)`` over the index array ``S`` (one product for linear components)."""
        if hasattr(self, "A"):
            return self.sample_mean(indices, u - v)
        if hasattr(self, "_M"):
            idx = np.asarray(indices, dtype=np.int64).reshape(-1)
            return (self._M[idx] @ (u - v)).mean(axis=0)
        return self.sample_mean(indices, u) - self.sample_mean(indices, v)

    def _full(self, z):
        if hasattr(self, "_Mbar"):
            return self._Mbar @ z + self._qbar
        if hasattr(self, "A"):
            m = self._m
            return np.concatenate([-(self.A @ z[m:]), self.A.T @ z[:m]])
        total = np.zeros(self.dim)
        for start in range(0, self.n_components, 4096):
            idx = np.arange(start, min(start + 4096, self.n_components))
            total += self.components(idx, z).sum(axis=0)
        return total / self.n_components

    @property
    def blocks(self):
        return ("x", "y") if hasattr(self, "A") else ("z",)

    def split(self, z):
        if hasattr(self, "A"):
            return {"x": z[: self._m], "y": z[self._m:]}
        return {"x": z}

    def initial_point(self):
        if hasattr(self, "A"):
            m, nc = self.A.shape
            return np.concatenate([np.full(m, 1.0 / m), np.full(nc, 1.0 / nc)])
        return self.domain.project(np.zeros(self.dim))

    def __repr__(self):
        return f"FiniteSumVI(n={self.n_components}, dim={self.dim}, domain={self.domain!r})"
