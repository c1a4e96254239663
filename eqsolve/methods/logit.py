"""Logit quantal-response-equilibrium path following to a Nash equilibrium, with a polish.

The logit quantal response equilibria (QRE) of a finite game are the profiles
:math:`\\sigma` with :math:`\\sigma_i(a) \\propto \\exp(\\lambda\\,v_i(a; \\sigma_{-i}))`
for every player ``i`` and strategy ``a``, where :math:`v_i(a; \\sigma_{-i})` is
player ``i``'s expected payoff for playing ``a`` against the others' mixed
strategies.  At :math:`\\lambda = 0` the only QRE is the uniform profile; for
generic games the QREs form a smooth curve from it whose limit as
:math:`\\lambda \\to \\infty` is a Nash equilibrium (McKelvey and Palfrey [1]_;
Turocy [2]_; Gambit's ``logit``).

The curve is followed in the variables :math:`(w, \\lambda)`,
:math:`w = \\log\\sigma`, as the zero set of

.. math::

    H_{i,0} = \\sum_a e^{w_i(a)} - 1, \\qquad
    H_{i,a} = w_i(a) - w_i(0) - \\lambda\\,(v_i(a) - v_i(0)) \\quad (a \\ge 1),

by arc length, with an Euler predictor along the tangent (the null vector of
:math:`DH`, oriented so that :math:`\\det[DH; t^\\top]` keeps its sign, which
holds through the turns of the curve in :math:`\\lambda`) and a chord
Gauss-Newton corrector with the Moore-Penrose inverse of :math:`DH` factored
at the predictor point, refactored once at an iterate where it stops
contracting (Allgower and Georg [3]_).  A step is accepted when the corrector
converges, contracts (ratio at most 1/2) and its first correction is at most
half the step; the step then grows by ``max_growth`` when the contraction
ratio is below 0.05 (1.5 below 0.2); a rejected step is cut by 0.3.
Log-probabilities never underflow, so the path can be followed to very large
:math:`\\lambda` (probabilities of strategies outside the limit's support
decay like :math:`e^{-\\lambda \\Delta}`).  Payoffs are divided by their spread
(largest ``max U_i - min U_i``), so :math:`\\lambda` is in units of one over
the payoff spread and the path does not depend on the payoffs' scale.

**Polish.**  The QRE converges to the equilibrium only like :math:`1/\\lambda`
on its support, so once :math:`\\lambda` is large the support of the limit is
read off the QRE (strategies ``a`` with
:math:`\\lambda\\,(\\max_b v_i(b) - v_i(a)) \\le c` for ``c`` in
:data:`SUPPORT_THRESHOLDS`, in spread units) and the Nash equations on that
support -- every support strategy of a player earns the same payoff
:math:`u_i`, probabilities on the support sum to one, zero elsewhere -- are
solved by Newton's method from the QRE point.  A solution with nonnegative
probabilities is offered to the driver as the step's candidate and certified
at once; the Nash gap certificate then says whether no strategy outside the
support does better.  A solution is kept only within
``min(0.1, 4 lambda |d sigma / d lambda|)`` (max norm, the derivative from
the tangent) of the QRE point: the QRE approaches its own limit like
``sigma* + c / lambda``, whose distance to the limit ``|c| / lambda`` is
``lambda |d sigma / d lambda|``, so a solution of the support equations
farther from the path is another equilibrium, not the one the path selects
(Gambit's ``logit`` returns the same one to its accuracy).  Polishes are
tried once that bound is below the cap 0.1 and the scaled :math:`\\lambda`
is at least 1, then whenever the support read off the path changes or
:math:`\\lambda` has doubled since the last try.  For two players the Nash
equations on a support are linear (one Newton step).

The solve stops when the certified Nash gap is at most ``tol`` (status
``"converged"``), else at ``max_iter`` path steps.  No generic guarantee of
a finite number of steps is claimed: the curve may turn back in
:math:`\\lambda` (it is followed by arc length, so that is fine) and, in
non-generic games, branch, where the corrector can fail (status
``"stalled"`` with a message).

With Numba installed, the step, the payoffs and their Jacobian and the
polish's Newton iterations of a :class:`~eqsolve.problems.NormalFormGame` run
compiled (:mod:`eqsolve.methods._logit_numba`: the payoffs as a table over the
joint profiles, a Householder QR for the tangent and the minimum-norm
solves); they take the same decisions as the NumPy code, which remains the
reference and the fallback (a numerically singular ``DH``).

Evaluation counting: for a :class:`~eqsolve.problems.NormalFormGame` each
point at which the payoffs :math:`v` and their Jacobian are formed counts
``max(1, N - 1)`` evaluations (the Jacobian's :math:`N(N-1)(N-2)` tensor
contractions against the :math:`N(N-1)` of ``F``); for two-player games the
Jacobian (the payoff matrices) is read once through ``F`` at unit vectors
(``m + n`` evaluations) and every point costs one evaluation of ``F``.

References
----------
.. [1] R. D. McKelvey and T. R. Palfrey, "Quantal response equilibria for
   normal form games", Games Econ. Behav. 10 (1995) 6-38.
.. [2] T. L. Turocy, "A dynamic homotopy interpretation of the logistic
   quantal response equilibrium correspondence", Games Econ. Behav. 51 (2005)
   243-263.
.. [3] E. L. Allgower and K. Georg, *Introduction to Numerical Continuation
   Methods*, SIAM (2003), chapter 6.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np

from .._validation import check_positive
from ..problems.games import BimatrixGame, MatrixGame
from ..problems.normal_form import NormalFormGame
from .base import Candidate, Method, NonFiniteError, StepCollapsedError, Traits
from .registry import register

__all__ = ["Logit", "SUPPORT_THRESHOLDS", "payoff_jacobian"]

#: ``c`` of the support rule ``lambda (max_b v_i(b) - v_i(a)) <= c`` (payoffs in spread units)
SUPPORT_THRESHOLDS = (4.0, 12.0)
#: a polished point is kept only within min(NEAR, NEAR_FACTOR * the path's own estimate of
#: its distance to its limit) of the QRE point (max norm): the path's limit, not another
#: equilibrium.  The estimate is lambda |d sigma / d lambda| (sigma = sigma* + c / lambda
#: + ... gives exactly |c| / lambda), from the tangent
NEAR, NEAR_FACTOR = 0.1, 4.0
#: no polish while the proximity bound is at least GATE * NEAR (the QRE far from its limit)
GATE = 1.0
#: the corrector's iteration limit per step
_CORRECTOR_ITERATIONS = 10
#: Newton iterations of one polish
_POLISH_ITERATIONS = 30


def payoff_jacobian(U: np.ndarray, xs) -> tuple[np.ndarray, np.ndarray]:
    """Deviation payoffs and their Jacobian at a mixed profile of an N-player game.

    ``U`` has shape ``(N, s_1, ..., s_N)`` and ``xs`` holds one mixed strategy
    per player.  Returns ``v`` (the concatenated :math:`v_i(a) = u_i(a,
    x_{-i})`) and ``J`` with block ``(i, j)`` equal to :math:`\\partial v_i /
    \\partial x_j` (zero for ``j == i``): the payoff of ``i`` playing ``a``
    against ``j`` playing ``b`` and the others mixing.

    Examples
    --------
    >>> U = np.array([[[1.0, 0.0], [0.0, 2.0]], [[2.0, 0.0], [0.0, 1.0]]])  # battle of the sexes
    >>> v, J = payoff_jacobian(U, [np.array([0.5, 0.5]), np.array([1.0, 0.0])])
    >>> v.tolist(), J[:2, 2:].tolist()
    ([1.0, 0.0, 1.0, 0.5], [[1.0, 0.0], [0.0, 2.0]])
    """
    N = U.shape[0]
    sizes = U.shape[1:]
    off = np.concatenate([[0], np.cumsum(sizes)])
    n = int(off[-1])
    J = np.zeros((n, n))
    v = np.empty(n)
    if N == 1:
        v[:] = U[0]
        return v, J
    for (i, j), spec, others in _pair_specs(N):
        T = np.einsum(spec, U[i], *[xs[k] for k in others]) if others else U[i]
        J[off[i]:off[i + 1], off[j]:off[j + 1]] = T if i < j else T.T
    for i in range(N):
        j = 1 if i == 0 else 0
        v[off[i]:off[i + 1]] = J[off[i]:off[i + 1], off[j]:off[j + 1]] @ xs[j]
    return v, J


_SPECS: dict = {}
_VALUE_SPECS: dict = {}


def _value_specs(N: int):
    """For each player ``i``: the einsum contracting every axis but ``i``."""
    if N not in _VALUE_SPECS:
        letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[:N]
        out = []
        for i in range(N):
            others = tuple(k for k in range(N) if k != i)
            spec = ",".join([letters] + [letters[k] for k in others]) + "->" + letters[i]
            out.append((i, spec, others))
        _VALUE_SPECS[N] = out
    return _VALUE_SPECS[N]


def _pair_specs(N: int):
    """For each ordered pair ``(i, j)``: the einsum contracting every axis but ``i`` and ``j``."""
    if N not in _SPECS:
        letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[:N]
        out = []
        for i in range(N):
            for j in range(N):
                if i == j:
                    continue
                others = tuple(k for k in range(N) if k not in (i, j))
                keep = "".join(letters[k] for k in sorted((i, j)))
                spec = ",".join([letters] + [letters[k] for k in others]) + "->" + keep
                out.append(((i, j), spec, others))
        _SPECS[N] = out
    return _SPECS[N]


class _Game:
    """The game as the path needs it: sizes, the scale, and ``(v, J)`` at a profile.

    Built afresh by each solve (nothing lives on the method).  Payoffs are in
    spread units.
    """

    def __init__(self, problem, oracle):
        self.problem, self.oracle = problem, oracle
        if isinstance(problem, NormalFormGame):
            self.sizes = problem.shape
            U = np.asarray(problem.payoffs, dtype=np.float64)
            spread = max(float(np.max(u) - np.min(u)) for u in U)
            self.scale = spread if spread > 0 else 1.0
            self.U = U / self.scale
            self.count = max(1, problem.num_players - 1)
            self.J0 = None
        else:
            m, n = problem.m, problem.n
            self.sizes = (m, n)
            # F(z) = -(v_1, v_2) is linear in each block: F at e_b in one block gives the
            # columns of the other block's Jacobian exactly (a product with a unit vector)
            eye_m, eye_n = np.eye(m), np.eye(n)
            J = np.zeros((m + n, m + n))
            for b in range(n):
                J[:m, m + b] = -np.asarray(oracle(np.concatenate([eye_m[0], eye_n[b]])),
                                           dtype=np.float64)[:m]
            for a in range(m):
                J[m:, a] = -np.asarray(oracle(np.concatenate([eye_m[a], eye_n[0]])),
                                       dtype=np.float64)[m:]
            if not np.all(np.isfinite(J)):
                raise NonFiniteError
            spread = max(float(np.ptp(J[:m, m:])) if m * n else 0.0,
                         float(np.ptp(J[m:, :m])) if m * n else 0.0)
            self.scale = spread if spread > 0 else 1.0
            self.J0 = J / self.scale
        self.N = len(self.sizes)
        self.off = np.concatenate([[0], np.cumsum(self.sizes)]).astype(np.int64)
        self.n = int(self.off[-1])
        self.first = self.off[:-1].copy()
        # the reference (first) strategy of each entry's player
        self.ref = np.repeat(self.first, self.sizes)
        self.player = np.repeat(np.arange(self.N, dtype=np.int64), self.sizes)
        # N-player tables: the compiled step when Numba is there (one pass over the joint
        # profiles gives v and its Jacobian); two-player games read J once through F
        self.kernels = _kernels() if self.J0 is None else None
        if self.kernels is not None:
            self.Uf = np.ascontiguousarray(self.U.reshape(self.N, -1))
            # idx[p, k]: the global index of player k's strategy in joint profile p (C order)
            grid = np.indices(self.sizes).reshape(self.N, -1).T
            self.idx = np.ascontiguousarray(grid + self.first[None, :], dtype=np.int64)

    def split(self, x):
        return [x[self.off[i]:self.off[i + 1]] for i in range(self.N)]

    def evaluate(self, sigma):
        """``(v, J)`` at the profile ``sigma`` (flat), in spread units."""
        if self.kernels is not None:
            self.oracle.count(self.count)
            v, J = np.empty(self.n), np.empty((self.n, self.n))
            self.kernels.evaluate(self.Uf, self.idx, np.ascontiguousarray(sigma, dtype=np.float64),
                                  v, J, True)
        elif self.J0 is None:
            self.oracle.count(self.count)
            v, J = payoff_jacobian(self.U, self.split(sigma))
        else:
            F = np.asarray(self.oracle(sigma), dtype=np.float64)
            v, J = -F / self.scale, self.J0
        if not (np.all(np.isfinite(v)) and np.all(np.isfinite(J))):
            raise NonFiniteError
        return v, J

    def values(self, sigma):
        """``v`` alone at ``sigma`` (spread units): one evaluation of ``F``."""
        if self.kernels is not None:
            self.oracle.count(1)
            v = np.empty(self.n)
            self.kernels.values(self.Uf, self.idx, np.ascontiguousarray(sigma, dtype=np.float64), v)
        elif self.J0 is None:
            self.oracle.count(1)
            xs = self.split(sigma)
            if self.N == 1:
                v = self.U[0].copy()
            else:
                v = np.concatenate([np.einsum(spec, self.U[i], *[xs[k] for k in others])
                                    for i, spec, others in _value_specs(self.N)])
        else:
            v = -np.asarray(self.oracle(sigma), dtype=np.float64) / self.scale
        if not np.all(np.isfinite(v)):
            raise NonFiniteError
        return v

    # -- the homotopy ------------------------------------------------------
    def residual(self, y, v):
        w, lam = y[:-1], y[-1]
        sig = np.exp(w)
        H = (w - w[self.ref]) - lam * (v - v[self.ref])
        H[self.first] = np.add.reduceat(sig, self.first) - 1.0
        return H

    def jacobian(self, y, v, J):
        """``DH`` (n x (n + 1)) at ``y = (w, lambda)``."""
        w, lam = y[:-1], y[-1]
        sig = np.exp(w)
        n = self.n
        DJ = J - J[self.ref]                       # rows: d(v_a - v_0)
        A = np.empty((n, n + 1))
        A[:, :n] = -lam * DJ * sig[None, :]
        A[np.arange(n), np.arange(n)] += 1.0
        A[np.arange(n), self.ref] -= 1.0
        A[:, n] = -(v - v[self.ref])
        A[self.first, :] = 0.0
        for i in range(self.N):
            A[self.first[i], self.off[i]:self.off[i + 1]] = sig[self.off[i]:self.off[i + 1]]
        return A


def _tangent_and_solver(A):
    """The unit tangent (null vector of ``A``), oriented, and a minimum-norm solver for ``A d = r``.

    The tangent is returned with ``det([A; t^T]) > 0``: this orientation does not change
    along a smooth curve, also where the curve turns back in lambda (the sign of ``t``
    alone, or its angle with the previous tangent, can flip there with a large step).
    """
    n = A.shape[0]
    Q, R = np.linalg.qr(A.T, mode="complete")
    t = Q[:, n]
    Rn = R[:n, :n]
    diag = np.diag(Rn)
    # [A; t^T] = blockdiag(R_n^T, 1) Q^T, so its determinant has the sign of
    # prod(diag R_n) det(Q)
    sign = np.sign(np.prod(np.sign(diag))) * np.sign(np.linalg.det(Q))
    if sign < 0:
        t = -t
    adiag = np.abs(diag)
    if n and not (np.min(adiag) > 1e-14 * max(np.max(adiag), 1e-300)):
        def solve(r):
            return np.linalg.lstsq(A, r, rcond=None)[0]
    else:
        from scipy.linalg import solve_triangular

        Q1 = Q[:, :n]

        def solve(r):
            # A = R^T Q1^T, so the minimum-norm solution is Q1 R^-T r (a triangular solve)
            return Q1 @ solve_triangular(Rn, r, trans="T", check_finite=False)
    return t, solve


def _corrector(game, y, t, h):
    """One predictor-corrector step in NumPy: ``(ok, yp, t_pred, v, kappa)``.

    Euler predictor ``y + h t``; chord corrector with ``DH`` factored once, at the
    predictor point (``H`` at every iterate), refactored once where the chord stops
    contracting.  ``t_pred``: the tangent at the predictor point (``det [DH; t^T] >
    0``); ``v``: the payoffs at the last iterate before its final correction;
    ``kappa``: the largest contraction ratio.
    """
    scale = 1.0 + float(np.max(np.abs(y)))
    ctol = 1e-9 * scale
    yp = y + h * t
    ok, kappa = False, 0.0
    prev = None
    v, J = game.evaluate(np.exp(yp[:-1]))
    t_pred, solve = _tangent_and_solver(game.jacobian(yp, v, J))
    fresh = True  # DH was factored at this iterate
    for _ in range(_CORRECTOR_ITERATIONS):
        if not fresh:
            v = game.values(np.exp(yp[:-1]))
        d = solve(-game.residual(yp, v))
        if not np.all(np.isfinite(d)):
            break
        nd = float(np.linalg.norm(d))
        if prev is None:
            if nd > 0.5 * h + ctol:
                break                      # the predictor left the curve's neighbourhood
        elif nd > 0.5 * prev + ctol:
            if fresh:
                break                      # no contraction even with Newton's own DH
            # the chord's DH is too stale here (a turn of the curve): refactor at the
            # iterate and take a Newton step instead of giving up the step
            v, J = game.evaluate(np.exp(yp[:-1]))
            _, solve = _tangent_and_solver(game.jacobian(yp, v, J))
            fresh = True
            continue
        else:
            kappa = max(kappa, nd / prev if prev > 0 else 0.0)
        fresh = False
        yp = yp + d
        prev = nd
        if nd <= ctol:
            ok = True
            break
    return ok, yp, t_pred, v, kappa


def _compiled_corrector(game, y, t, h):
    """:func:`_corrector` in one compiled call (``NormalFormGame`` payoff tables), or ``None``
    when ``DH`` is numerically singular there (the NumPy step, with least squares, redoes it)."""
    k = game.kernels
    status, yp, t_pred, v, kappa, n_eval, n_vals = k.path_step(
        game.Uf, game.idx, game.ref, game.first, game.off, y, t, float(h))
    game.oracle.count(game.count * int(n_eval) + int(n_vals))
    if status == -2:
        raise NonFiniteError
    if status == -1:
        return None
    return status == 1, yp, t_pred, v, float(kappa)


def _kernels():
    """The compiled logit kernels, or ``None`` without Numba."""
    try:
        from . import _logit_numba
    except ImportError:
        return None
    return _logit_numba


class LogitState(NamedTuple):
    y: np.ndarray          # (w, lambda)
    tangent: np.ndarray
    h: float               # the next arc-length step
    v: np.ndarray          # payoffs at the path point (spread units)
    z: np.ndarray          # the candidate of this step (path point, or a fresh polish)
    polished: bool         # z is a fresh polish: certify it now
    next_polish: float     # lambda at which to try the next polish unprompted
    tried: frozenset       # supports tried since the last doubling of lambda
    steps: int
    rejected: int
    polish_attempts: int
    polish_solutions: int
    game: Any
    orientation: float     # +-1: the sign of det([DH; t]) along the path


@register
@dataclass(frozen=True)
class Logit(Method):
    """Logit QRE path following from the uniform profile (lambda = 0) to a Nash equilibrium.

    For normal-form games with any number of players (and bimatrix / matrix
    games): the quantal-response-equilibrium curve is followed in
    log-probabilities by arc length (predictor-corrector, adaptive step), and
    the Nash equations on the support read off the path are solved by
    Newton's method (the polish); the solve stops when the certified Nash gap
    is at most ``tol``.  One iteration is one accepted or rejected
    predictor-corrector step.  The path starts at the uniform profile (the
    only QRE at lambda = 0), so ``x0`` is not used.

    Parameters
    ----------
    first_step : float
        The first arc-length step, in the variables (log-probabilities, lambda
        in units of one over the payoff spread); default 1.
    max_growth : float
        The factor by which the step grows after an easy step (> 1; default 2:
        3 made 1.25x the steps on random 3 x 3 x 3 and 2 x 2 x 2 x 2 games, twice as
        many of them rejected).
    polish : bool
        Solve the Nash equations on the support read off the path (default
        True).  Without it the path alone approaches the equilibrium like
        ``1 / lambda``.
    """

    name: ClassVar[str] = "logit"
    summary: ClassVar[str] = ("logit quantal-response-equilibrium path following (predictor-"
                              "corrector in log-probabilities) with a Newton polish on the "
                              "support: Nash equilibria of N-player normal-form games")
    # path points approach the equilibrium only like 1/lambda: certifying them sparsely
    # saves time (a certificate costs about as much as two compiled path steps), and every
    # polished point is certified at once (certify_now)
    TRAITS: ClassVar[Traits] = Traits(outputs=("last",), default_output="last",
                                      needs_monotone=False, backends=("numpy",),
                                      min_certify_interval=32)

    first_step: float
    max_growth: float
    polish: bool

    @classmethod
    def supports(cls, problem, **options):
        if isinstance(problem, NormalFormGame):
            return None
        if isinstance(problem, (MatrixGame, BimatrixGame)):
            dense = isinstance(problem.A, np.ndarray) and getattr(problem, "batch", None) is None
            if isinstance(problem, BimatrixGame):
                dense = dense and isinstance(problem.B, np.ndarray)
            if dense:
                return None
            return ("logit needs the payoffs of one game as dense NumPy arrays (a batch, sparse, "
                    "chunked or GPU game is not taken)")
        return (f"logit solves finite games in normal form (NormalFormGame, BimatrixGame, "
                f"MatrixGame), got {type(problem).__name__}")

    @classmethod
    def from_options(cls, problem, *, first_step=1.0, max_growth=2.0, polish=True):
        first_step = check_positive("first_step", first_step)
        max_growth = check_positive("max_growth", max_growth)
        if not max_growth > 1.0:
            raise ValueError(f"max_growth must be greater than 1, got {max_growth}")
        if not isinstance(polish, (bool, np.bool_)):
            raise TypeError(f"polish must be True or False, got {type(polish).__name__}")
        return cls(first_step, max_growth, bool(polish))

    # -- the steps ------------------------------------------------------------
    def init(self, problem, oracle, z0):
        game = _Game(problem, oracle)
        # the path starts at the uniform profile whatever x0 says: it is the only QRE at 0
        w = np.concatenate([np.full(s, -math.log(s)) for s in game.sizes])
        y = np.concatenate([w, [0.0]])
        sig = np.exp(w)
        v, J = game.evaluate(sig)
        A = game.jacobian(y, v, J)
        ok, t = game.kernels.tangent(A) if game.kernels is not None else (False, None)
        if not ok:
            t, _ = _tangent_and_solver(A)
        # the path leaves lambda = 0 upwards: that fixes the orientation for the whole path
        orientation = 1.0 if t[-1] >= 0 else -1.0
        t = orientation * t
        z = self._point(problem, sig, game)
        return LogitState(y, t, self.first_step, v, z, False, 1.0, frozenset(), 0, 0, 0, 0, game,
                          orientation)

    def _point(self, problem, sig, game):
        # renormalise each player's block (exp(w) sums to one only to the corrector's accuracy)
        z = sig / np.add.reduceat(sig, game.first)[game.player]
        dtype = getattr(problem, "dtype", np.float64)
        return z.astype(dtype, copy=False)

    def step(self, problem, oracle, s):
        game = s.game
        y, t, h = s.y, s.tangent, s.h
        scale = 1.0 + float(np.max(np.abs(y)))
        got = _compiled_corrector(game, y, t, h) if game.kernels is not None else None
        if got is None:
            got = _corrector(game, y, t, h)
        ok, yp, t_pred, v, kappa = got
        if not ok:
            h_new = 0.3 * h
            if h_new < 1e-13 * scale:
                raise StepCollapsedError(
                    f"the logit path could not be followed at lambda = "
                    f"{y[-1] / game.scale:.6g}: the corrector fails for every step (a branch "
                    "point of a non-generic game); the best certified point is returned")
            return s._replace(h=h_new, polished=False, steps=s.steps + 1,
                              rejected=s.rejected + 1)
        if yp[-1] < -1e-9 * scale:
            # the oriented path never returns below lambda = 0 in a generic game
            raise StepCollapsedError(
                "the logit path turned back below lambda = 0 (a branch point of a non-generic "
                "game); the best certified point is returned")
        sig = np.exp(yp[:-1])
        # the next predictor's direction: the tangent at the predictor point (within one
        # corrector's distance of the new point; the corrector absorbs the difference)
        t_new = s.orientation * t_pred
        # the chord corrector contracts by kappa per iteration: a small kappa means the
        # predictor was close to the curve and the step can grow
        growth = (self.max_growth if kappa <= 0.05 else 1.5 if kappa <= 0.2
                  else 1.0 if kappa <= 0.4 else 0.7)
        h_next = h * growth
        z = self._point(problem, sig, game)
        state = s._replace(y=yp, tangent=t_new, h=h_next, v=v, z=z, polished=False,
                           steps=s.steps + 1)
        if self.polish:
            state = self._maybe_polish(problem, state)
        return state

    # -- the polish -------------------------------------------------------------
    def _supports(self, game, lam, v):
        out = []
        loss = lam * (np.maximum.reduceat(v, game.first)[game.player] - v)
        for c in SUPPORT_THRESHOLDS:
            key = tuple(np.flatnonzero(loss <= c).tolist())
            if key not in out:
                out.append(key)
        return out

    def _maybe_polish(self, problem, s):
        game = s.game
        lam = float(s.y[-1])
        if lam < 1.0:
            return s
        fresh = lam >= s.next_polish
        tried = frozenset() if fresh else s.tried
        sig = np.exp(s.y[:-1])
        t_w, t_lam = s.tangent[:-1], float(s.tangent[-1])
        speed = float(np.max(np.abs(sig * t_w)))
        # where the curve turns back (t_lam <= 0) the estimate says nothing: the cap alone
        near = NEAR if t_lam <= 0 else min(NEAR, max(NEAR_FACTOR * lam * speed / t_lam, 1e-12))
        if near >= GATE * NEAR:
            return s               # the QRE is still far from its limit: too early to guess
        supports = [S for S in self._supports(game, lam, s.v) if S not in tried]
        if not supports:
            return s
        next_polish = 2.0 * lam if fresh else s.next_polish
        attempts, best = 0, None
        for S in supports:
            attempts += 1
            tried = tried | {S}
            # the path's own limit is within O(1 / lambda) of the QRE: a far solution of the
            # support equations is another equilibrium (or none), not the one the path selects
            try:
                z = self._newton(game, np.array(S, dtype=np.int64), sig, near)
            except NonFiniteError:
                z = None
            if z is None or float(np.max(np.abs(z - sig))) > near:
                continue
            v, _ = game.evaluate(z)
            gap = sum(float(np.max(v[game.off[i]:game.off[i + 1]])
                            - z[game.off[i]:game.off[i + 1]] @ v[game.off[i]:game.off[i + 1]])
                      for i in range(game.N))
            if best is None or gap < best[0]:
                best = (gap, z)
        s = s._replace(next_polish=next_polish, tried=tried,
                       polish_attempts=s.polish_attempts + attempts)
        if best is None:
            return s
        dtype = getattr(problem, "dtype", np.float64)
        return s._replace(z=best[1].astype(dtype, copy=False), polished=True,
                          polish_solutions=s.polish_solutions + 1)

    def _newton(self, game, S, sig, near=math.inf):
        """Nash equations on the support ``S``: a profile with nonnegative probabilities, or None.

        Gives up early (None) when an iterate leaves the ``2 near`` neighbourhood of the
        QRE point (its answer would be rejected) or Newton is not converging fast.
        """
        if game.kernels is not None:
            status, x, n_eval = game.kernels.support_newton(
                game.Uf, game.idx, game.off, S, game.player, sig, float(near),
                _POLISH_ITERATIONS)
            game.oracle.count(game.count * int(n_eval))
            return x if status == 1 else None
        k, N = len(S), game.N
        pl = game.player[S]
        x = np.zeros(game.n)
        x[S] = sig[S]
        for i in range(N):
            blk = pl == i
            if not np.any(blk):
                return None
            tot = float(np.sum(x[S[blk]]))
            # support probabilities that underflowed at a large lambda: start uniform there
            x[S[blk]] = x[S[blk]] / tot if tot > 0 else 1.0 / int(np.sum(blk))
        v, J = game.evaluate(x)
        u = np.array([x[game.off[i]:game.off[i + 1]] @ v[game.off[i]:game.off[i + 1]]
                      for i in range(N)])
        E = np.zeros((k, N))
        E[np.arange(k), pl] = 1.0
        M = np.zeros((k + N, k + N))
        M[:k, k:] = -E
        M[k:, :k] = E.T
        last = first = math.inf
        for it in range(_POLISH_ITERATIONS):
            r = np.concatenate([v[S] - u[pl], E.T @ x[S] - 1.0])
            nr = float(np.max(np.abs(r)))
            if not math.isfinite(nr):
                return None
            if nr <= 4.0 * np.finfo(np.float64).eps * (1.0 + float(np.max(np.abs(v[S])))) \
                    or nr >= last:
                break
            if it == 0:
                first = nr
            elif it >= 4 and nr > 1e-6 * first:
                return None            # not Newton's quadratic convergence: a wrong support
            last = nr
            M[:k, :k] = J[np.ix_(S, S)]
            try:
                d = np.linalg.solve(M, -r)
            except np.linalg.LinAlgError:
                d = np.linalg.lstsq(M, -r, rcond=None)[0]
            x[S] += d[:k]
            u = u + d[k:]
            if float(np.max(np.abs(x - sig))) > 2.0 * near:
                return None
            v, J = game.evaluate(x)
        if np.min(x[S]) < -1e-9:
            return None
        x = np.maximum(x, 0.0)
        for i in range(N):
            sl = slice(game.off[i], game.off[i + 1])
            tot = float(np.sum(x[sl]))
            if not tot > 0:
                return None
            x[sl] /= tot
        return x

    def candidates(self, s):
        return {"last": Candidate(s.z)}

    def certify_now(self, s):
        return s.polished

    def diagnostics(self, s):
        return {"lambda": float(s.y[-1]) / s.game.scale, "path_steps": s.steps,
                "rejected_steps": s.rejected, "arc_step": s.h,
                "polish_attempts": s.polish_attempts, "polish_solutions": s.polish_solutions}
