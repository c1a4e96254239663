"""Bilinear saddle problems and linear programs, and the structure PDHG reads of them.

Every problem PDHG solves is

.. math:: \\min_{u \\in U} \\max_{v \\in V}\\; f(u) + \\langle v, K u\\rangle - g(v)

with separable, prox-friendly ``f`` and ``g``.  A problem declares it through
:attr:`~eqsolve.problems.base.Problem.saddle`, a :class:`SaddleStructure`:
the products with ``K`` (``problem.matvec(u) = K u``, ``problem.rmatvec(v) =
K^T v``), the prox maps of its two blocks, ``F`` from those products, and
optionally a detector of infeasibility.  A matrix game is ``min_y max_x x^T A
y`` (``K = A``, ``f = g = 0`` on simplices); a :class:`LinearProgram` is its
Lagrangian; a :class:`BilinearSaddle` is the Chambolle--Pock class on bounded
domains.
"""

from __future__ import annotations

import importlib
import math
import sys

import numpy as np

from .._validation import check_array
from ..certificates import Certificate
from ..certificates.linear import (EPS, box_conjugate_up, interval_box_min, product_error,
                                   reduced_cost_split, simplex_conjugate_up, sum_down, sum_up)
from ..certificates.residuals import gamma
from ..domains import Box, Domain, Product, Simplex
from ..treeplex import Treeplex
from .base import Problem

__all__ = ["SaddleStructure", "Term", "zero", "linear", "quadratic", "l1", "LinearProgram",
           "BilinearSaddle", "check_linear_program", "check_matrix", "matrix_kind"]


# -- separable terms ----------------------------------------------------------------


class Term:
    """A separable convex term ``h(w) = sum_j quad_j w_j^2 / 2 + lin_j w_j + l1_j |w_j|``.

    Build one with :func:`zero`, :func:`linear`, :func:`quadratic` or :func:`l1`
    (sums of them: ``linear(c) + l1(0.1)``).  Scalars broadcast over the block.
    """

    def __init__(self, quad=0.0, lin=0.0, l1=0.0):
        self.quad, self.lin, self.l1 = quad, lin, l1

    def __add__(self, other):
        if not isinstance(other, Term):
            return NotImplemented
        return Term(_add(self.quad, other.quad), _add(self.lin, other.lin),
                    _add(self.l1, other.l1))

    @property
    def is_zero(self) -> bool:
        return all(_is_zero(p) for p in (self.quad, self.lin, self.l1))

    @property
    def smooth(self) -> bool:
        return _is_zero(self.l1)

    @property
    def has_linear(self) -> bool:
        """Whether the linear part is nonzero."""
        return not _is_zero(self.lin)

    def resolved(self, name: str, dim: int) -> "Term":
        """The term with every part a finite float64 vector of length ``dim`` (checked)."""
        parts = []
        for label, p in (("quadratic", self.quad), ("linear", self.lin), ("l1", self.l1)):
            v = np.asarray(p, dtype=np.float64)
            if v.ndim == 0:
                v = np.full(dim, float(v))
            v = check_array(f"{name} ({label} part)", v, ndim=1, shape=(dim,))
            if label != "linear" and np.any(v < 0):
                raise ValueError(f"{name} ({label} part) must be >= 0 (a convex term), got "
                                 f"{float(v.min())}")
            parts.append(v)
        return Term(*parts)

    def value(self, w):
        """``(h(w) as computed, sum of |terms|)``."""
        t = 0.5 * self.quad * w * w + self.lin * w + self.l1 * np.abs(w)
        mag = 0.5 * self.quad * w * w + np.abs(self.lin * w) + self.l1 * np.abs(w)
        return t, mag

    def grad(self, w):
        """``h'(w)`` (``l1_j sign(w_j)`` for the l1 part: a subgradient), or None for zero."""
        if self.is_zero:
            return None
        out = self.lin if _is_zero(self.quad) else self.quad * w + self.lin
        return out if _is_zero(self.l1) else out + self.l1 * np.sign(w)

    def prox(self, w, t, domain, metric=None):
        """``argmin_{u in domain} h(u) + sum_j (u_j - w_j)^2 / (2 t_j)`` (``t`` scalar or vector).

        ``metric`` (proportional to ``t``, or None) is the weight vector the
        simplex projection uses: the projection in the metric of ``t`` does
        not change when ``t`` is scaled, and passing the unscaled weights
        keeps a preconditioned step's projection bit-identical to the
        projection in those weights.
        """
        if isinstance(domain, (Simplex, Treeplex)):
            # on the simplex (and on a treeplex) |u| = u, so l1 is linear; quadratics are
            # refused at construction; a diagonal metric needs the weighted projection
            shift = self.lin + self.l1
            v = w if _is_zero(shift) else w - t * shift
            weights = t if metric is None else metric
            if np.ndim(weights) == 0:
                return domain.project(v)
            return domain.project_weighted(v, weights)
        v = w if _is_zero(self.lin) else w - t * self.lin
        if not _is_zero(self.l1):
            v = np.sign(v) * np.maximum(np.abs(v) - t * self.l1, 0.0)
        if not _is_zero(self.quad):
            v = v / (1.0 + t * self.quad)
        return domain.project(v)

    def __repr__(self):
        return f"Term(quad={self.quad!r}, lin={self.lin!r}, l1={self.l1!r})"


def _is_zero(p) -> bool:
    return bool(np.all(np.asarray(p) == 0))


def _add(a, b):
    return np.asarray(a, dtype=np.float64) + np.asarray(b, dtype=np.float64)


def zero() -> Term:
    """The zero term."""
    return Term()


def linear(c) -> Term:
    """``c^T w``."""
    return Term(lin=c)


def quadratic(d, c=0.0) -> Term:
    """``sum_j d_j w_j^2 / 2 + c_j w_j`` (``d >= 0``)."""
    return Term(quad=d, lin=c)


def l1(lam) -> Term:
    """``sum_j lam_j |w_j|`` (``lam >= 0``)."""
    return Term(l1=lam)


# -- the structure PDHG reads ---------------------------------------------------------


class SaddleStructure:
    """``min_u max_v f(u) + <v, K u> - g(v)`` over ``U x V``: what PDHG reads of a problem.

    PDHG's code names the maximiser ``x`` (the rows of ``K``) and the
    minimiser ``y`` (its columns), as in a matrix game; the problem's joint
    point holds them in its own order (``max_first``).

    Attributes
    ----------
    n_max, n_min : int
        The sizes of the two blocks.
    max_domain, min_domain : Domain
    g, f : Term
        The terms of the maximiser and of the minimiser.
    entries : array, scipy.sparse matrix, ChunkedMatrix or None
        ``K``'s entries for the diagonal preconditioners (None: products
        only); a :class:`~eqsolve.problems.chunked.ChunkedMatrix` streams them
        (its ``scaled_norms``).
    stats : MatrixStats, callable or None
        ``K``'s one-pass statistics (:class:`~eqsolve.problems.chunked.MatrixStats`),
        or a function computing them on first use; None where not offered.
    centre : float
        Subtracted from the entries before equilibrating (the payoffs' centre
        for a game, whose offsets are normal to the simplices; 0 otherwise).
    keep_sums : (bool, bool)
        Whether the differences of the (maximiser's, minimiser's) iterates
        keep their sums (simplex blocks), so that the step's norm is taken on
        those directions only.
    norm_bound : float or None
        A rigorous bound on ``||K||_2`` where one is cheap (products-only
        problems; None otherwise).
    polish : bool
        Whether a polish applies: the matrix-game subgame polish, or the
        ``polisher``'s restricted solve.
    polisher : object or None
        For problems other than matrix games, an object with
        ``polish_work(widen)`` (the work of one restricted solve, in products
        with ``K``) and ``restricted_optimum(v, u, Fu, widen)`` (a candidate
        ``(v, u)`` or None; ``Fu = f'(u) + K^T v``): :meth:`LinearProgram.restricted_optimum`.
    averages_certified : bool
        Whether the products of an average of iterates, formed by averaging
        their products, may be certified as products (matrix games, whose
        allowance covers it); otherwise the average is certified with fresh
        products.
    """

    def __init__(self, *, n_max, n_min, max_first, max_domain, min_domain, g, f, entries,
                 centre=0.0, keep_sums=(False, False), norm_bound=None, polish=False,
                 averages_certified=False, detector=None, polisher=None, dtype=np.float64,
                 xp=np, stats=None):
        self.n_max, self.n_min, self.max_first = n_max, n_min, max_first
        self.max_domain, self.min_domain = max_domain, min_domain
        self.g, self.f = g, f
        self.entries, self._centre, self.keep_sums = entries, centre, keep_sums
        self.norm_bound, self.polish = norm_bound, polish
        self.averages_certified = averages_certified
        self._detector = detector
        self.polisher = polisher
        self.dtype, self.xp = dtype, xp
        self._stats = stats

    def __getstate__(self):
        # the array namespace is a module, which pickle cannot store: keep its name
        state = dict(self.__dict__)
        state["xp"] = self.xp.__name__
        return state

    def __setstate__(self, state):
        state["xp"] = importlib.import_module(state["xp"])
        self.__dict__.update(state)

    @property
    def centre(self) -> float:
        return self._centre() if callable(self._centre) else self._centre

    @property
    def stats(self):
        """``K``'s :class:`~eqsolve.problems.chunked.MatrixStats` (computed on first use
        where the problem offers them; None otherwise)."""
        return self._stats() if callable(self._stats) else self._stats

    @property
    def plain(self) -> bool:
        """True when both terms are zero (the prox maps are projections)."""
        # read every step by PDHG: the terms never change, so the answer is kept
        plain = self.__dict__.get("_plain")
        if plain is None:
            plain = self.__dict__["_plain"] = self.f.is_zero and self.g.is_zero
        return plain

    def parts(self, z):
        """``(v, u)``: the maximiser's and the minimiser's blocks of the joint point."""
        if self.max_first:
            return z[: self.n_max], z[self.n_max:]
        return z[self.n_min:], z[: self.n_min]

    def join(self, v, u):
        return self.xp.concat([v, u]) if self.max_first else self.xp.concat([u, v])

    def prox_max(self, w, s, metric=None):
        """``prox_{s g}`` over the maximiser's domain (``s`` scalar or diagonal steps)."""
        return self.g.prox(w, s, self.max_domain, metric)

    def prox_min(self, w, t, metric=None):
        """``prox_{t f}`` over the minimiser's domain."""
        return self.f.prox(w, t, self.min_domain, metric)

    def operator(self, v, u, KTv, Ku):
        """``F`` at ``(v, u)`` in the problem's order: ``(-K u + g'(v), f'(u) + K^T v)``."""
        gv, fu = self.g.grad(v), self.f.grad(u)
        Fv = -Ku if gv is None else gv - Ku
        Fu = KTv if fu is None else fu + KTv
        return self.join(Fv, Fu)

    def products(self, z, Fz):
        """``(K^T v, K u)`` recovered from ``F(z)`` (exact when the terms are zero)."""
        v, u = self.parts(z)
        Fv, Fu = self.parts(Fz)
        gv, fu = self.g.grad(v), self.f.grad(u)
        return (Fu if fu is None else Fu - fu), (-Fv if gv is None else gv - Fv)

    def detect(self, oracle, dv, du):
        """``(status, message, info)`` when the directions prove infeasibility, else None."""
        if self._detector is None:
            return None
        return self._detector(oracle, dv, du)


# -- matrices ------------------------------------------------------------------------


def matrix_kind(A) -> str:
    """``"dense"``, ``"sparse"`` (scipy.sparse) or ``"operator"`` (a LinearOperator)."""
    sp = sys.modules.get("scipy.sparse")
    if sp is not None:
        if sp.issparse(A):
            return "sparse"
        from scipy.sparse.linalg import LinearOperator

        if isinstance(A, LinearOperator):
            return "operator"
    return "dense"


def check_matrix(name: str, A, cols: int | None = None):
    """A finite real 2-d matrix (dense, scipy.sparse or LinearOperator), never copied densely.

    Sparse matrices in formats without fast products are converted once to
    CSR (a new object: the caller's is untouched); ``cols`` checks the width.
    """
    kind = matrix_kind(A)
    if kind == "sparse":
        if A.ndim != 2 or 0 in A.shape:
            raise ValueError(f"{name} must be a non-empty sparse matrix, got shape {A.shape}")
        if not np.issubdtype(A.dtype, np.number) or np.issubdtype(A.dtype, np.complexfloating):
            raise TypeError(f"{name} must hold real numbers, got dtype {A.dtype}")
        if A.format not in ("csr", "csc"):
            A = A.tocsr()
        if not np.issubdtype(A.dtype, np.float64):
            A = A.astype(np.float64)
        if not np.all(np.isfinite(A.data)):
            raise ValueError(f"{name} contains NaN or infinite entries; every entry must be finite")
    elif kind == "operator":
        if len(A.shape) != 2 or 0 in A.shape:
            raise ValueError(f"{name} must be a non-empty (m, n) LinearOperator, got shape "
                             f"{A.shape}")
    else:
        A = check_array(name, A, ndim=2)
        if not isinstance(A, np.ndarray):
            raise TypeError(f"{name} must be a NumPy array, scipy.sparse matrix or "
                            f"LinearOperator, got {type(A).__module__}.{type(A).__name__}")
    if cols is not None and A.shape[1] != cols:
        raise ValueError(f"{name} must have {cols} columns (the length of c), got shape "
                         f"{tuple(A.shape)}")
    return A, kind


def _abs_max_axes(A, kind):
    """``(max_j |A_ij| per row, max_i |A_ij| per column)``; a LinearOperator is probed by columns."""
    m, n = A.shape
    if kind == "sparse":
        B = abs(A)
        return (np.asarray(B.max(axis=1).toarray()).ravel(),
                np.asarray(B.max(axis=0).toarray()).ravel())
    rows, cols = np.zeros(m), np.zeros(n)
    if kind == "dense":
        step = max(1, (1 << 16) // max(n, 1))
        for s in range(0, m, step):
            blk = np.abs(A[s:s + step])
            rows[s:s + step] = blk.max(axis=1)
            cols = np.maximum(cols, blk.max(axis=0))
        return rows, cols
    for s in range(0, n, 256):
        k = min(256, n - s)
        E = np.zeros((n, k))
        E[np.arange(s, s + k), np.arange(k)] = 1.0
        blk = np.abs(np.asarray(A.matmat(E)))
        if not np.all(np.isfinite(blk)):
            raise ValueError("a LinearOperator returned NaN or infinite values")
        rows = np.maximum(rows, blk.max(axis=1))
        cols[s:s + k] = blk.max(axis=0)
    return rows, cols


def _schur_bound(rowmax, colmax, A, kind) -> float:
    """A rigorous bound on ``||A||_2``: ``sqrt(||A||_1 ||A||_inf)`` (from the entries' maxima
    times the counts for an operator; exact sums otherwise), rounded up."""
    m, n = A.shape
    if kind == "sparse":
        B = abs(A)
        r, c = float(B.sum(axis=1).max()), float(B.sum(axis=0).max())
    elif kind == "dense":
        r = c = 0.0
        cs = np.zeros(n)
        step = max(1, (1 << 16) // max(n, 1))
        for s in range(0, m, step):
            blk = np.abs(A[s:s + step])
            r = max(r, float(blk.sum(axis=1).max()))
            cs += blk.sum(axis=0)
        c = float(cs.max())
    else:
        r, c = float(rowmax.max()) * n, float(colmax.max()) * m
    return math.sqrt(r * c) * (1.0 + gamma(m + n + 4, EPS))


class _Stacked:
    """``[A_1; A_2; ...]`` through products only (blocks of any kind, never densified)."""

    def __init__(self, blocks):
        self.blocks = blocks
        self.shape = (sum(b.shape[0] for b in blocks), blocks[0].shape[1])
        self.dtype = np.dtype(np.float64)
        self._cuts = np.cumsum([0] + [b.shape[0] for b in blocks])

    def matvec(self, x):
        return np.concatenate([np.asarray(b @ x, dtype=np.float64).ravel() for b in self.blocks])

    def rmatvec(self, y):
        out = np.zeros(self.shape[1])
        for b, s, e in zip(self.blocks, self._cuts[:-1], self._cuts[1:]):
            out = out + np.asarray(b.T @ y[s:e], dtype=np.float64).ravel()
        return out

    def matmat(self, E):
        return np.vstack([np.asarray(b @ E) for b in self.blocks])


# -- linear programs -------------------------------------------------------------------


def _check_vector(name, v, length, what):
    v = check_array(name, v, ndim=1)
    if v.shape[0] != length:
        raise ValueError(f"{name} must have length {length} ({what}), got {v.shape[0]}")
    return np.array(v, dtype=np.float64)  # a private copy: the caller's array is never used


def _check_bounds(bounds, n):
    """``bounds`` as scipy.optimize.linprog reads it: ``(lower, upper)`` arrays of length ``n``."""
    if bounds is None:
        bounds = (0.0, None)
    try:
        pairs = list(bounds)
    except TypeError:
        raise TypeError("bounds must be a pair (min, max) or a sequence of n pairs, got "
                        f"{type(bounds).__name__}") from None
    if len(pairs) == 2 and all(p is None or np.ndim(p) == 0 for p in pairs):
        # one (min, max) pair for every variable
        pairs = [tuple(pairs)] * n
    if len(pairs) != n:
        raise ValueError(f"bounds must be one pair (min, max) or {n} pairs (one per variable), "
                         f"got {len(pairs)} entries")
    lower, upper = np.empty(n), np.empty(n)
    for j, pair in enumerate(pairs):
        try:
            lo, hi = pair
        except (TypeError, ValueError):
            raise ValueError(f"bounds[{j}] must be a pair (min, max), got {pair!r}") from None
        for side, val, inf, arr in (("min", lo, -math.inf, lower), ("max", hi, math.inf, upper)):
            if val is None:
                arr[j] = inf
                continue
            try:
                val = float(val)
            except (TypeError, ValueError):
                raise TypeError(f"bounds[{j}] {side} must be a number or None, got "
                                f"{type(val).__name__}") from None
            if math.isnan(val):
                raise ValueError(f"bounds[{j}] {side} is NaN; use None for no bound")
            arr[j] = val
        if lower[j] > upper[j]:
            raise ValueError(f"bounds[{j}]: the lower bound {lower[j]} exceeds the upper bound "
                             f"{upper[j]}")
        if lower[j] == math.inf or upper[j] == -math.inf:
            raise ValueError(f"bounds[{j}] = ({lower[j]}, {upper[j]}): a lower bound of +inf or "
                             "an upper bound of -inf leaves no feasible value")
    return lower, upper


def check_linear_program(c, A_ub=None, b_ub=None, A_eq=None, b_eq=None, bounds=(0, None)):
    """Validate linprog-style arguments: ``(c, blocks, b, n_eq, lower, upper)``.

    ``blocks`` are the checked constraint matrices ``[A_eq, A_ub]`` (those
    given; never copied densely except dense arrays, which are kept as
    given), ``b`` the stacked right-hand side and ``n_eq`` the number of
    equality rows.  Every error names the argument and what to fix.
    """
    c = check_array("c", c)
    if c.ndim != 1:
        raise ValueError(f"c must be a vector (1-d), got shape {tuple(c.shape)}")
    c = np.array(c, dtype=np.float64)
    n = c.shape[0]
    blocks, rhs, n_eq = [], [], 0
    for A_name, b_name, A, b in (("A_eq", "b_eq", A_eq, b_eq), ("A_ub", "b_ub", A_ub, b_ub)):
        if A is None and b is None:
            continue
        if A is None:
            raise ValueError(f"{b_name} is given without {A_name}; give both or neither")
        if b is None:
            raise ValueError(f"{A_name} is given without {b_name}; give both or neither")
        A, _ = check_matrix(A_name, A, cols=n)
        b = _check_vector(b_name, b, A.shape[0], f"one entry per row of {A_name}")
        blocks.append(A)
        rhs.append(b)
        if A_name == "A_eq":
            n_eq = A.shape[0]
    lower, upper = _check_bounds(bounds, n)
    return c, blocks, (np.concatenate(rhs) if rhs else np.zeros(0)), n_eq, lower, upper


def _combine(blocks, n):
    """One matrix ``[A_eq; A_ub]`` and its kind: dense or sparse when every block is
    (a dense block beside a sparse one is made sparse), products-only otherwise."""
    import scipy.sparse as sp

    if not blocks:
        # no constraints: one empty inequality 0 x <= 0, whose multiplier stays 0
        return sp.csr_array((1, n)), "sparse"
    kinds = [matrix_kind(b) for b in blocks]
    if "operator" in kinds:
        return _Stacked(blocks), "operator"
    if len(blocks) == 1:
        return blocks[0], kinds[0]
    if "sparse" in kinds:
        return sp.vstack([sp.csr_array(b) for b in blocks], format="csr"), "sparse"
    return np.vstack(blocks), "dense"


class LinearProgram(Problem):
    """``min c^T x  s.t.  A_ub x <= b_ub,  A_eq x = b_eq,  l <= x <= u``, as scipy.optimize.linprog.

    Solved as its Lagrangian saddle problem

    .. math:: \\min_{l \\le x \\le u}\\; \\max_{y \\in \\mathbb{R}^{m_{eq}} \\times \\mathbb{R}^{m_{ub}}_+}
       \\; c^\\top x + y^\\top (A x - b), \\qquad A = [A_{eq}; A_{ub}],\\; b = [b_{eq}; b_{ub}],

    whose VI operator is :math:`F(x, y) = (c + A^\\top y,\\; b - A x)`.  The
    joint point is ``(x, y)``: ``Result.x`` is the primal point and
    ``Result.y`` the multipliers (equalities first; ``y >= 0`` on the
    inequalities; scipy's ``marginals`` are ``-y``).

    Certificate (kind ``"objective_bracket"``), at ``(x, y)``:

    * ``details["objective_bounds"] = (lo, hi)``: ``lo`` a rigorous lower
      bound on the optimum by weak duality at ``y`` (``-b^T y + min_{l<=x<=u}
      (c + A^T y)^T x`` rounded down; ``-inf`` where an infinite bound meets a
      reduced cost of the wrong sign), ``hi = c^T x`` rounded up;
    * ``details["primal_infeasibility"]``: the largest violation of a
      constraint at ``x``, rounded up (0 does not occur with equalities: the
      rounding of ``A x`` is counted);
    * ``details["dual_infeasibility"]``: the largest change of ``c`` that
      makes ``y`` dual feasible (0 when every bound is finite), and
      ``details["corrected_lower_bound"]``, the rigorous lower bound for that
      changed LP (equal to ``lo`` when ``dual_infeasibility`` is 0).

    The residual is ``|hi - corrected_lower_bound| + primal_infeasibility +
    dual_infeasibility``: zero exactly at an optimal primal-dual pair.  When
    both infeasibilities are zero up to rounding, ``[lo, hi]`` brackets the
    optimum; in general ``lo <= optimum`` always, and ``x`` is feasible, with
    objective ``hi``, for the LP whose constraints are loosened by
    ``primal_infeasibility``.

    Parameters
    ----------
    c : (n,) array_like
    A_ub, A_eq : (m, n) array, scipy.sparse matrix or LinearOperator, optional
        Used only through products (and, for the diagonal preconditioners,
        their entries); sparse matrices are never densified.
    b_ub, b_eq : (m,) array_like, optional
    bounds : pair or sequence of n pairs
        ``(min, max)`` for every variable or one pair per variable; ``None``
        for no bound (default ``(0, None)``: ``x >= 0``).

    Examples
    --------
    >>> import eqsolve as eq
    >>> lp = eq.LinearProgram([-1.0, -2.0], A_ub=[[1.0, 1.0]], b_ub=[1.0])
    >>> res = eq.solve(lp, tol=1e-8)
    >>> res.status, round(res.value, 6)
    ('converged', -2.0)
    """

    residual_kind = "objective_bracket"
    default_method = "pdhg"
    monotone = True
    blocks = ("x", "y")

    def __init__(self, c, A_ub=None, b_ub=None, A_eq=None, b_eq=None, bounds=(0, None)):
        c, blocks, b, n_eq, lower, upper = check_linear_program(c, A_ub, b_ub, A_eq, b_eq,
                                                                bounds)
        self.c, self.b, self.n_eq = c, b, n_eq
        self.lower, self.upper = lower, upper
        self._finite_bounds = bool(np.all(np.isfinite(lower)) and np.all(np.isfinite(upper)))
        self.K, self.kind = _combine(blocks, c.shape[0])
        if b.shape[0] == 0:
            self.b = np.zeros(1)
        self.n, self.m = c.shape[0], self.K.shape[0]
        # terms summed per entry of A x and of A^T y (Higham's gamma_k): a sparse product
        # sums the stored entries of a row or a column only
        self._row_terms, self._col_terms = self.n, self.m
        if self.kind == "sparse":
            csr = self.K.tocsr()
            self._row_terms = max(int(np.max(np.diff(csr.indptr), initial=0)), 1)
            self._col_terms = max(int(np.max(np.bincount(csr.indices, minlength=self.n),
                                             initial=0)), 1)
        self.xp, self.dtype = np, np.dtype(np.float64)
        dual_lower = np.concatenate([np.full(n_eq, -math.inf), np.zeros(self.m - n_eq)])
        self.domain = Product(Box(lower, upper), Box(dual_lower, math.inf, dim=self.m))
        self.rowmax, self.colmax = _abs_max_axes(self.K, self.kind)
        self._norm = _schur_bound(self.rowmax, self.colmax, self.K, self.kind)
        self.lipschitz = self._norm
        self.saddle = SaddleStructure(
            n_max=self.m, n_min=self.n, max_first=False, max_domain=self.domain.blocks[1],
            min_domain=self.domain.blocks[0], g=Term(lin=self.b), f=Term(lin=self.c),
            entries=None if self.kind == "operator" else self.K, norm_bound=self._norm,
            detector=self._detect, polish=self.kind != "operator",
            polisher=None if self.kind == "operator" else self)
        self._columns = None  # K by columns, made at the first polish

    # -- the operator --------------------------------------------------------------
    def matvec(self, x):
        """``A @ x`` (the stacked constraint rows, equalities first)."""
        if self.kind == "operator":
            return self.K.matvec(x)
        return self.K @ x

    def rmatvec(self, y):
        """``A.T @ y``."""
        if self.kind == "operator":
            return self.K.rmatvec(y)
        return self.K.T @ y

    def split(self, z):
        return {"x": z[: self.n], "y": z[self.n:]}

    def operator(self, z):
        x, y = z[: self.n], z[self.n:]
        return np.concatenate([self.c + self.rmatvec(y), self.b - self.matvec(x)])

    def initial_point(self):
        # the box point nearest the origin, and zero multipliers
        return np.concatenate([np.clip(np.zeros(self.n), self.lower, self.upper),
                               np.zeros(self.m)])

    def value(self, z, Fz=None, certificate=None):
        if certificate is not None and "objective" in certificate.details:
            return certificate.details["objective"]
        return float(self.c @ z[: self.n])

    # -- the certificate ---------------------------------------------------------------
    def _bracket(self, x, y, r, s):
        """The bracket's pieces from ``r = c + A^T y`` and ``s = A x - b`` as computed."""
        y_l1 = float(np.sum(np.abs(y)))
        x_l1 = float(np.sum(np.abs(x)))
        dr = product_error(self.colmax, y_l1, self._col_terms, extra=np.abs(self.c) + np.abs(r))
        ds = product_error(self.rowmax, x_l1, self._row_terms, extra=np.abs(self.b) + np.abs(s))
        by = self.b * y
        finite = self._finite_bounds
        lo_terms = np.concatenate([-by, interval_box_min(r - dr, r + dr, self.lower, self.upper,
                                                         finite)])
        lo = sum_down(lo_terms)
        if finite:
            # every reduced cost is admissible: the corrected bound is the bound
            lo_corr, dual_inf = lo, 0.0
        else:
            rlo, rhi, dual_inf = reduced_cost_split(r, dr, self.lower, self.upper)
            lo_corr = sum_down(np.concatenate([-by, interval_box_min(rlo, rhi, self.lower,
                                                                      self.upper)]))
        cx = self.c * x
        hi = sum_up(cx)
        objective = float(np.sum(cx))
        eq_viol = np.abs(s[: self.n_eq]) + ds[: self.n_eq]
        ub_viol = np.maximum(s[self.n_eq:] + ds[self.n_eq:], 0.0)
        box_viol = np.maximum(np.maximum(self.lower - x, x - self.upper), 0.0)
        primal_inf = max(float(eq_viol.max(initial=0.0)), float(ub_viol.max(initial=0.0)),
                         float(box_viol.max(initial=0.0))) * (1.0 + EPS)
        if float(np.min(y[self.n_eq:], initial=0.0)) < 0:
            # multipliers of inequalities below zero prove nothing: no lower bound
            lo = lo_corr = -math.inf
        return lo, lo_corr, hi, objective, primal_inf, dual_inf

    def certify(self, z, *, Fz=None, point: str = "given") -> Certificate:
        """The objective bracket at ``z = (x, y)`` (see the class docstring)."""
        if Fz is None:
            Fz = self.operator(z)
        x, y = z[: self.n], z[self.n:]
        r, s = Fz[: self.n], -Fz[self.n:]
        lo, lo_corr, hi, objective, primal_inf, dual_inf = self._bracket(x, y, r, s)
        width = abs(hi - lo_corr)
        value = width + primal_inf + dual_inf
        if not math.isfinite(value):
            value = math.inf
        exact_width = hi - lo if math.isfinite(lo) else math.inf
        rounding = max(0.0, value - (abs(objective - lo_corr) if math.isfinite(lo_corr)
                                     else 0.0) - primal_inf - dual_inf)
        return Certificate("objective_bracket", value, point, rounding, {
            "objective_bounds": (lo, hi),
            "objective": objective,
            "primal_infeasibility": primal_inf,
            "dual_infeasibility": dual_inf,
            "corrected_lower_bound": lo_corr,
            "bracket_width": exact_width,
            "relative_gap": (exact_width / (1.0 + abs(hi) + abs(lo))
                             if math.isfinite(exact_width) else math.inf),
        })

    # -- the polish: the LP restricted to the columns an iterate identifies -----------------
    #: columns a polish keeps per constraint row, times its ``widen`` factor
    POLISH_COLUMNS = 3
    #: restricted solves after the first one, each adding the columns that price out
    PRICING_ROUNDS = 4

    def _budget(self, widen: float) -> int:
        return int(min(self.n, math.ceil(self.POLISH_COLUMNS * widen * max(self.m, 1))))

    def polish_work(self, widen: float = 1.0) -> float:
        """The work of one restricted solve, in products with ``K`` (so that a solver can
        compare it with its iterations): a simplex method's ``m + k`` pivots over the
        ``k`` kept columns, against the ``nnz(K)`` entries of one product."""
        k = self._budget(widen)
        return (self.m + k) * k / self.n

    def restricted_optimum(self, y, x, r, widen: float = 1.0):
        """An optimal ``(y, x)`` (multipliers, primal point) of the LP restricted to the
        columns that ``(x, y)`` identifies, or None.

        ``r = c + A^T y`` are the reduced costs at the multipliers ``y``.
        Column ``j`` is kept when its reduced cost is among the
        ``POLISH_COLUMNS * widen * m`` smallest in magnitude, or ``x_j`` among
        as many farthest from its bounds (a basis has ``m`` columns); every
        other column is fixed at its finite bound nearest ``x_j`` (a free
        column is kept).  HiGHS' dual simplex solves the restricted LP; the
        fixed columns whose reduced cost at its multipliers would improve it
        (negative at a lower bound, positive at an upper one) are added, most
        violated first, and it is solved again, at most ``PRICING_ROUNDS``
        times.  A restricted LP without a feasible point is widened (four
        times the columns) until it has one or holds half of them.  The pair
        returned is only a candidate: its certificate, on the whole LP,
        decides whether it is kept.  None when the restricted LP is
        infeasible or unsolved (the support is not identified yet).
        """
        n, k = self.n, self._budget(widen)
        lower, upper = self.lower, self.upper
        if self._columns is None:
            self._columns = self.K.tocsc() if self.kind == "sparse" else self.K
        # the bound each column is nearest (a finite one; free columns are kept)
        to_lower = np.where(np.isfinite(upper), x - lower <= upper - x, True)
        fixed_at = np.where(np.isfinite(lower) & to_lower, lower, upper)
        span = np.minimum(x - lower, upper - x)
        span = np.where(np.isfinite(span), span, np.inf)
        tol = 1e-9 * (1.0 + float(np.max(np.abs(self.c), initial=0.0)))
        while True:
            keep = np.zeros(n, dtype=bool)
            if k >= n:
                keep[:] = True
            else:
                keep[np.argpartition(np.abs(r), k - 1)[:k]] = True
                keep[np.argpartition(-span, k - 1)[:k]] = True
            keep |= ~np.isfinite(fixed_at)
            res, x_full = self._restricted_solve(keep, fixed_at)
            if res is not None or 2 * k >= n:
                break
            # no feasible point with the other columns at their bounds: widen, up to half
            k = min(n, 4 * k)
        if res is None:
            return None
        y_new = self._multipliers(res)
        for _ in range(self.PRICING_ROUNDS):
            # fixed columns that would improve the restricted LP, most violated first
            r_new = self.c + self.rmatvec(y_new)
            gain = np.where(keep, 0.0, np.where(fixed_at == lower, -r_new, r_new))
            out = np.flatnonzero(gain > tol)
            if out.size == 0:
                break
            keep[out[np.argsort(-gain[out])[:k]]] = True
            found, x_new = self._restricted_solve(keep, fixed_at)
            if found is None:
                break
            x_full, y_new = x_new, self._multipliers(found)
        return y_new, np.clip(x_full, lower, upper)

    def _multipliers(self, res):
        """The LP's multipliers ``y`` from a linprog result (its marginals are ``-y``)."""
        y = np.zeros(self.m)
        if self.n_eq:
            y[: self.n_eq] = -res.eqlin.marginals
        if self.n_eq < self.m:
            y[self.n_eq:] = np.maximum(-res.ineqlin.marginals, 0.0)
        return y

    def _restricted_solve(self, keep, fixed_at):
        """HiGHS' dual simplex (no presolve) on the columns ``keep``, the others at ``fixed_at``:
        ``(result, x)`` with ``x`` the whole primal point, or ``(None, None)``."""
        from scipy.optimize import linprog

        m, n_eq = self.m, self.n_eq
        cols = np.flatnonzero(keep)
        x = np.where(keep, 0.0, fixed_at)
        rhs = self.b - self.matvec(x)
        Ks = self._columns[:, cols]
        res = linprog(self.c[cols], A_eq=Ks[:n_eq] if n_eq else None,
                      b_eq=rhs[:n_eq] if n_eq else None,
                      A_ub=Ks[n_eq:] if n_eq < m else None,
                      b_ub=rhs[n_eq:] if n_eq < m else None,
                      bounds=np.column_stack([self.lower[cols], self.upper[cols]]),
                      # presolve costs more than the solve on a restricted LP (measured:
                      # 0.38 s against 0.016 s on the 6,000 columns of an n = 500
                      # assignment LP)
                      method="highs-ds", options={"presolve": False})
        if res.status != 0 or res.x is None:
            return None, None
        x[cols] = res.x
        return res, x

    # -- infeasibility detection ------------------------------------------------------
    def farkas_bound(self, ray, ATray=None) -> float:
        """A rigorous lower bound on ``min_{l<=x<=u} ray^T (A x - b)`` (``ray`` a multiplier
        direction with ``ray >= 0`` on the inequalities): positive proves the LP infeasible,
        since at a feasible ``x`` the left side is ``<= 0``."""
        if float(np.min(ray[self.n_eq:], initial=0.0)) < 0:
            return -math.inf
        if ATray is None:
            ATray = self.rmatvec(ray)
        d = product_error(self.colmax, float(np.sum(np.abs(ray))), self.m, extra=ATray)
        return sum_down(np.concatenate([-self.b * ray,
                                        interval_box_min(ATray - d, ATray + d, self.lower,
                                                         self.upper)]))

    def ray_evidence(self, d, Ad=None):
        """``(c^T d upper bound, constraint violation upper bound)`` of a primal direction ``d``
        in the recession cone of the bounds: ``d`` with ``c^T d < 0`` and no violation proves
        the dual infeasible (the LP has no finite optimum)."""
        if Ad is None:
            Ad = self.matvec(d)
        e = product_error(self.rowmax, float(np.sum(np.abs(d))), self.n, extra=Ad)
        viol = max(float(np.max(np.abs(Ad[: self.n_eq]) + e[: self.n_eq], initial=0.0)),
                   float(np.max(Ad[self.n_eq:] + e[self.n_eq:], initial=0.0)))
        return sum_up(self.c * d), viol

    def recession(self, d):
        """``d`` with the components the bounds forbid as directions set to zero."""
        d = np.where(np.isfinite(self.upper), np.minimum(d, 0.0), d)
        return np.where(np.isfinite(self.lower), np.maximum(d, 0.0), d)

    #: a primal ray is accepted when its violation is below this fraction of ``|c^T d|``
    RAY_TOLERANCE = 1e-9

    def _detect(self, oracle, dv, du):
        """Infeasibility from the displacement of PDHG's iterates: ``dv`` (multipliers), ``du``."""
        scale = float(np.max(np.abs(dv), initial=0.0))
        if scale > 0:
            ray = dv / scale
            ray[self.n_eq:] = np.maximum(ray[self.n_eq:], 0.0)
            bound = self.farkas_bound(ray, oracle.rmatvec(ray))
            if bound > 0:
                return ("infeasible", "the linear program is infeasible: the multiplier "
                        f"direction y (info['ray']) satisfies min over the bounds of "
                        f"y^T (A x - b) >= {bound:.3e} > 0 (rigorous, with rounding), which no "
                        "feasible x allows (Farkas); check the constraints",
                        {"ray_kind": "dual", "ray": ray.tolist(), "farkas_bound": bound})
        d = self.recession(du)
        scale = float(np.max(np.abs(d), initial=0.0))
        if scale > 0:
            d = d / scale
            cd, viol = self.ray_evidence(d, oracle.matvec(d))
            size = float(np.max(np.abs(self.c), initial=0.0)) * float(np.sum(np.abs(d)))
            if cd < -1e-6 * size and viol <= self.RAY_TOLERANCE * abs(cd):
                exact = viol == 0.0
                return ("unbounded", "the linear program has no finite optimum: the direction "
                        f"d (info['ray']) keeps the bounds, has c^T d <= {cd:.3e} < 0 and "
                        f"violates the constraints by at most {viol:.1e} "
                        f"({'a rigorous proof' if exact else 'to within the ray tolerance'}), "
                        "so the objective decreases without bound along it if the LP is "
                        "feasible; check for a missing constraint or bound",
                        {"ray_kind": "primal", "ray": d.tolist(), "ray_objective": cd,
                         "ray_violation": viol})
        return None

    def __repr__(self):
        kind = "" if self.kind == "dense" else f", {self.kind}"
        return (f"LinearProgram(n={self.n}, {self.n_eq} equalities, "
                f"{self.m - self.n_eq} inequalities{kind})")


# -- bilinear saddle problems ------------------------------------------------------------


def _as_term(name, term, dim, domain):
    if term is None:
        term = Term()
    elif not isinstance(term, Term):
        term = Term(lin=check_array(name, term, ndim=1, shape=(dim,)))
    term = term.resolved(name, dim)
    if isinstance(domain, Simplex) and not _is_zero(term.quad):
        raise ValueError(f"{name}: a quadratic term needs a Box domain (its prox on a simplex "
                         "has no closed form here); use a linear or l1 term on a Simplex")
    return term


def _check_bounded(name, domain):
    if not isinstance(domain, Domain):
        raise TypeError(f"{name} must be a Simplex or a bounded Box, got {type(domain).__name__}")
    if isinstance(domain, Simplex) or (isinstance(domain, Box) and domain.bounded):
        return domain
    raise ValueError(f"{name} must be a Simplex or a Box with finite bounds (the certified "
                     f"duality gap needs a bounded domain), got {domain!r}; a linear program "
                     "with free variables is eq.LinearProgram")


class BilinearSaddle(Problem):
    """``min_{x in X} max_{y in Y} f(x) + <K x, y> - g(y)``: the Chambolle--Pock class.

    ``f`` and ``g`` are separable terms (:func:`zero`, :func:`linear`,
    :func:`quadratic`, :func:`l1`, or sums of them; an array means a linear
    term, ``None`` zero) and ``X``, ``Y`` bounded domains (a ``Simplex`` or a
    ``Box`` with finite bounds; quadratic terms need a Box).  The VI operator
    is :math:`F(x, y) = (f'(x) + K^\\top y,\\; -K x + g'(y))` (the l1 part
    contributes the subgradient ``lam sign(w)``; with it ``F`` is not
    continuous, and PDHG, which uses its prox, is the method for it).

    Certificate (kind ``"saddle_gap"``): the duality gap

    .. math:: \\max_{y' \\in Y} L(x, y') - \\min_{x' \\in X} L(x', y)
       = f(x) + g(y) + g^*_Y(K x) + f^*_X(-K^\\top y),

    the conjugates over the domains in closed form (the support function for
    linear terms, one-dimensional maxima on a box), with rounding
    allowances.  ``details["value_bounds"]`` brackets the saddle value.

    Parameters
    ----------
    K : (dim Y, dim X) array, scipy.sparse matrix or LinearOperator
    X, Y : Domain
    f, g : Term, array or None

    Examples
    --------
    >>> import numpy as np, eqsolve as eq
    >>> from eqsolve.problems.bilinear import l1
    >>> p = eq.BilinearSaddle(np.array([[1.0, -1.0], [-1.0, 1.0]]), eq.Simplex(2), eq.Simplex(2))
    >>> p.certify(np.full(4, 0.5)).value < 1e-12
    True
    >>> q = eq.BilinearSaddle(np.eye(2), eq.Box(-1, 1, dim=2), eq.Box(-1, 1, dim=2), f=l1(0.5))
    >>> eq.solve(q, tol=1e-9).converged
    True
    """

    residual_kind = "saddle_gap"
    default_method = "pdhg"
    monotone = True
    blocks = ("x", "y")

    def __init__(self, K, X, Y, f=None, g=None):
        self.X, self.Y = _check_bounded("X", X), _check_bounded("Y", Y)
        K, self.kind = check_matrix("K", K)
        if K.shape != (self.Y.dim, self.X.dim):
            raise ValueError(f"K must have shape (Y.dim, X.dim) = {(self.Y.dim, self.X.dim)} "
                             f"(K x lies in Y's space), got {tuple(K.shape)}")
        self.K = K
        self.n, self.m = self.X.dim, self.Y.dim
        self.f = _as_term("f", f, self.n, self.X)
        self.g = _as_term("g", g, self.m, self.Y)
        self.xp, self.dtype = np, np.dtype(np.float64)
        self.domain = Product(self.X, self.Y)
        self.rowmax, self.colmax = _abs_max_axes(K, self.kind)
        norm = _schur_bound(self.rowmax, self.colmax, K, self.kind)
        curv = max(float(np.max(self.f.quad)), float(np.max(self.g.quad)))
        self.lipschitz = norm + curv if self.f.smooth and self.g.smooth else None
        simplex = (isinstance(self.Y, Simplex), isinstance(self.X, Simplex))
        self.saddle = SaddleStructure(
            n_max=self.m, n_min=self.n, max_first=False, max_domain=self.Y, min_domain=self.X,
            g=self.g, f=self.f, entries=None if self.kind == "operator" else K,
            keep_sums=simplex, norm_bound=norm)

    def matvec(self, x):
        """``K @ x``."""
        return self.K.matvec(x) if self.kind == "operator" else self.K @ x

    def rmatvec(self, y):
        """``K.T @ y``."""
        return self.K.rmatvec(y) if self.kind == "operator" else self.K.T @ y

    def split(self, z):
        return {"x": z[: self.n], "y": z[self.n:]}

    def operator(self, z):
        x, y = z[: self.n], z[self.n:]
        return self.saddle.operator(y, x, self.rmatvec(y), self.matvec(x))

    def initial_point(self):
        def centre(d):
            if isinstance(d, Simplex):
                return np.full(d.dim, d.radius / d.dim)
            return d.project(np.zeros(d.dim))
        return np.concatenate([centre(self.X), centre(self.Y)])

    def _sup(self, term, domain, s, delta):
        """An upper bound on ``sup_{w in domain} s^T w - term(w)``."""
        if isinstance(domain, Simplex):
            return simplex_conjugate_up(s, delta, domain.radius, term.lin + term.l1)[0]
        return box_conjugate_up(s, delta, domain.lower, domain.upper, term.quad, term.lin,
                                term.l1)[0]

    def value(self, z, Fz=None, certificate=None):
        if certificate is not None and "lagrangian" in certificate.details:
            return certificate.details["lagrangian"]
        x, y = z[: self.n], z[self.n:]
        return float(self.f.value(x)[0].sum() + y @ self.matvec(x) - self.g.value(y)[0].sum())

    def certify(self, z, *, Fz=None, point: str = "given") -> Certificate:
        """The duality gap at ``z = (x, y)`` (see the class docstring)."""
        if Fz is None:
            Fz = self.operator(z)
        x, y = z[: self.n], z[self.n:]
        KTy, Kx = self.saddle.products(z, Fz)
        dKx = product_error(self.rowmax, float(np.sum(np.abs(x))), self.n, extra=Kx)
        dKTy = product_error(self.colmax, float(np.sum(np.abs(y))), self.m, extra=KTy)
        fx, fmag = self.f.value(x)
        gy, gmag = self.g.value(y)
        sup_y = self._sup(self.g, self.Y, Kx, dKx)        # max_{y'} <Kx, y'> - g(y')
        sup_x = self._sup(self.f, self.X, -KTy, dKTy)     # -min_{x'} f(x') + <K^T y, x'>
        f_up = sum_up(fx + gamma(4, EPS) * fmag)
        g_up = sum_up(gy + gamma(4, EPS) * gmag)
        f_dn = sum_down(fx - gamma(4, EPS) * fmag)
        g_dn = sum_down(gy - gamma(4, EPS) * gmag)
        upper = sum_up([f_up, sup_y])          # max_{y'} L(x, y') <= upper
        lower = sum_down([-g_up, -sup_x])      # min_{x'} L(x', y) >= lower
        gap_exact = float(np.sum(fx)) + float(np.sum(gy)) + sup_y + sup_x
        value = max(upper - lower, 0.0)
        lag = float(np.sum(fx) + y @ Kx - np.sum(gy))
        return Certificate("saddle_gap", value, point, max(value - gap_exact, 0.0), {
            "value_bounds": (lower, upper),
            "lagrangian": lag,
            "primal_objective": upper,
            "dual_objective": lower,
            "f_bounds": (f_dn, f_up),
            "g_bounds": (g_dn, g_up),
        })

    def __repr__(self):
        kind = "" if self.kind == "dense" else f", {self.kind}"
        return f"BilinearSaddle({self.m}x{self.n}{kind})"
