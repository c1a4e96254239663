"""Correlated and coarse correlated equilibria of finite games, certified.

A distribution :math:`\\mu` over the joint pure profiles is a **correlated
equilibrium** (CE) when no player gains by switching from a recommended
strategy ``a`` to another ``b``,

.. math::

    g_p(a \\to b) = \\sum_{s:\\, s_p = a} \\mu(s)\\,\\big(u_p(b, s_{-p}) - u_p(s)\\big)
    \\le 0,

and a **coarse correlated equilibrium** (CCE) when no player gains by
committing to a fixed strategy ``b`` before the draw,
:math:`g_p(b) = \\sum_s \\mu(s)(u_p(b, s_{-p}) - u_p(s)) \\le 0`.  Both sets are
polytopes, so :func:`correlated_equilibrium` finds one by linear programming
(HiGHS, ``scipy.optimize.linprog``) over the joint profiles, optionally
maximising the welfare or a weighted objective.  Its certificate
(:func:`certify_correlated`) is the largest deviation gain of the returned
distribution, computed in float64 with a rigorous rounding allowance
(Higham's :math:`\\gamma_k` for the sums, the payoffs' conversion, and the
distribution's l1 distance to the simplex of distributions), so it bounds the
largest gain of the exact game at a true distribution next to the one
returned.

For games whose joint profile is too large for the LP, ``method="self_play"``
lets every player run optimistic hedge
(:class:`~eqsolve.methods.online.OnlineOptimistic`, entropic, on its simplex)
against the others' mixed strategies.  The empirical joint play
:math:`\\bar\\mu = \\frac1T\\sum_t x_1^t \\otimes \\dots \\otimes x_N^t` is an
approximate CCE whose gain for ``(p, b)`` is exactly player ``p``'s average
external regret against ``b``; optimistic hedge has regret
:math:`O(\\log T)` per player in general-sum games (Daskalakis, Fishelson and
Golowich [1]_), so the CCE gap decays like :math:`O(\\log T / T)`.

References
----------
.. [1] C. Daskalakis, M. Fishelson and N. Golowich, "Near-optimal no-regret
   learning in general games", NeurIPS 2021.
.. [2] R. J. Aumann, "Subjectivity and correlation in randomized strategies",
   J. Math. Econ. 1 (1974) 67-96.
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..certificates import Certificate
from ..certificates.residuals import gamma
from ..domains import Simplex
from ..methods.online import OnlineOptimistic
from ..result import STATUS_MESSAGES
from .pure_equilibria import payoff_tables

__all__ = ["correlated_equilibrium", "certify_correlated", "deviation_gains",
           "CorrelatedResult", "KINDS", "LP_MAX_PROFILES", "LP_MAX_NONZEROS"]

#: the two kinds of correlated equilibrium
KINDS = ("ce", "cce")
#: largest joint profile the default method solves by linear programming (above: self-play)
LP_MAX_PROFILES = 20_000
#: largest constraint matrix (nonzeros) the LP is built with: above it a clear error
LP_MAX_NONZEROS = 50_000_000
_EPS = float(np.finfo(np.float64).eps)


@dataclass
class CorrelatedResult:
    """A correlated (or coarse correlated) equilibrium and its certificate.

    Attributes
    ----------
    distribution : ndarray, shape (s_1, ..., s_N)
        Probability of every joint pure profile.
    kind : {"ce", "cce"}
    certificate : Certificate
        ``ce_gap`` / ``cce_gap``: the largest deviation gain, rounding
        included (``details``: each player's largest gain and the deviation
        attaining it, the l1 distance of ``distribution`` to the simplex).
    residual : float
        ``certificate.value``.
    objective : float or None
        The objective's value at ``distribution`` (welfare, or the weighted
        sum), when one was asked for.
    method : {"lp", "self_play"}
    status : str
        ``"converged"`` when ``residual <= tol``, else ``"max_iter"`` (self-play
        that ran out of rounds) or ``"stalled"`` (the LP solver's own failure,
        with its message in ``warnings``).
    iterations : int
        Simplex iterations (LP) or rounds of play (self-play).
    elapsed : float
        Seconds.
    history : dict
        Self-play: ``rounds`` and ``gap`` (the average-regret gap, rounding
        included) at checkpoints.
    info : dict
        Method details (self-play: the learners' step rule, the per-player
        average regrets).
    """

    distribution: Any
    kind: str
    certificate: Certificate
    objective: float | None
    method: str
    status: str
    tol: float
    iterations: int = 0
    elapsed: float = 0.0
    history: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    info: dict = field(default_factory=dict)

    @property
    def residual(self) -> float:
        return self.certificate.value

    @property
    def converged(self) -> bool:
        return self.status == "converged"

    @property
    def message(self) -> str:
        return STATUS_MESSAGES[self.status]

    def __repr__(self):
        return (f"CorrelatedResult(kind={self.kind!r}, method={self.method!r}, "
                f"status={self.status!r}, residual={self.residual:.3e}, "
                f"shape={tuple(self.distribution.shape)})")


# -- the game as payoff tables ------------------------------------------------------
def _tables(game):
    """``(U (N, s_1, ..., s_N) float64, umax per player, exact_floats)``."""
    U, floats = payoff_tables(game, "a correlated equilibrium")
    if not floats:
        return U, np.array(game.umax, dtype=np.float64), False
    return U, np.abs(U).reshape(U.shape[0], -1).max(axis=1), True


def _check_kind(kind):
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValueError(f"kind must be 'ce' (correlated) or 'cce' (coarse correlated), got "
                         f"{kind!r}")


def _check_distribution(distribution, shape):
    try:
        mu = np.array(distribution, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"distribution must be an array of probabilities of shape {shape}, one "
                         "per joint pure profile") from None
    if mu.shape != tuple(shape):
        raise ValueError(f"distribution must have the game's shape {tuple(shape)} (one probability "
                         f"per joint pure profile), got shape {mu.shape}")
    if not np.all(np.isfinite(mu)):
        raise ValueError("distribution must be finite (no NaN or inf)")
    return mu


def _moved(a, p):
    """``a`` with axis ``p`` first, as a (s_p, rest) matrix."""
    return np.moveaxis(a, p, 0).reshape(a.shape[p], -1)


def deviation_gains(game, distribution, kind: str = "ce") -> list:
    """Every player's deviation gains under ``distribution`` (float64, not certified).

    Returns one array per player: ``(s_p, s_p)`` with entry ``[a, b]`` the gain
    :math:`g_p(a \\to b)` for ``kind="ce"`` (zero diagonal), or ``(s_p,)`` with
    entry ``b`` the gain :math:`g_p(b)` for ``kind="cce"``.

    Examples
    --------
    >>> from eqsolve.problems import NormalFormGame
    >>> chicken = NormalFormGame([[[0, 7], [2, 6]], [[0, 2], [7, 6]]])
    >>> mu = np.array([[0, 1], [1, 1]]) / 3          # Aumann's correlated equilibrium
    >>> float(max(g.max() for g in deviation_gains(chicken, mu, "ce"))) <= 0
    True
    """
    _check_kind(kind)
    U, _, _ = _tables(game)
    mu = _check_distribution(distribution, U.shape[1:])
    return _gains(U, mu, kind)


def _gains(U, mu, kind):
    out = []
    for p in range(U.shape[0]):
        M, V = _moved(mu, p), _moved(U[p], p)
        if kind == "ce":
            A = M @ V.T                      # A[a, b] = sum_r M[a, r] V[b, r]
            out.append(A - np.diag(A)[:, None])
        else:
            out.append(V @ M.sum(axis=0) - float(np.sum(M * V)))
    return out


def certify_correlated(game, distribution, kind: str = "ce") -> Certificate:
    """The certified largest deviation gain of ``distribution`` (a ``ce_gap`` / ``cce_gap``).

    ``value`` bounds from above the largest gain, in the exact game, of a
    true distribution within ``details["simplex_distance"]`` (l1) of the one
    given: the gains' float64 evaluation error (Higham's
    :math:`\\gamma_k`, ``k`` the number of profiles plus :math:`s_p + 2`), the
    payoffs' conversion to float64, and the distance to the simplex (each gain
    is linear in the distribution with coefficients at most :math:`2\\max|U_p|`)
    are included.

    Examples
    --------
    >>> from eqsolve.problems import NormalFormGame
    >>> pd = NormalFormGame([[[3, 0], [5, 1]], [[3, 5], [0, 1]]])
    >>> cert = certify_correlated(pd, [[0, 0], [0, 1]], "ce")     # (D, D)
    >>> cert.kind, cert.value < 1e-12
    ('ce_gap', True)
    >>> round(certify_correlated(pd, [[1, 0], [0, 0]], "cce").value, 9)   # (C, C): defect gains 2
    2.0
    """
    _check_kind(kind)
    U, umax, _ = _tables(game)
    mu = _check_distribution(distribution, U.shape[1:])
    return _certify(U, umax, mu, kind)


def _certify(U, umax, mu, kind, point="given", extra=None):
    P = mu.size
    flat = mu.reshape(-1)
    g_P = gamma(P + 2, _EPS)
    l1 = float(np.sum(np.abs(flat))) * (1.0 + g_P)
    neg = float(np.sum(np.maximum(-flat, 0.0)))
    defect = (2.0 * neg + abs(float(np.sum(flat)) - 1.0)) * (1.0 + g_P) + g_P * l1
    gains = _gains(U, mu, kind)
    per_player, where, allowance = [], [], 0.0
    value = 0.0
    for p, g in enumerate(gains):
        s_p = U.shape[p + 1]
        # evaluation (gamma of the longest sum), payoff conversion (eps/2 per payoff, two
        # payoffs per term) and the distance to a true distribution
        allow = (2.0 * umax[p] * (gamma(P + s_p + 2, _EPS) + _EPS) * l1
                 + 2.0 * umax[p] * defect) * (1.0 + 4.0 * _EPS)
        top = float(np.max(g)) if g.size else 0.0
        idx = np.unravel_index(int(np.argmax(g)), g.shape) if g.size else ()
        per_player.append(top)
        where.append(tuple(int(i) for i in idx))
        bound = max(top, 0.0) + allow
        bound = float(np.nextafter(bound, math.inf))
        if bound > value:
            value = bound
        allowance = max(allowance, allow)
    details = {"gains": tuple(per_player), "deviations": tuple(where),
               "simplex_distance": defect}
    if extra:
        details.update(extra)
    return Certificate(f"{kind}_gap", value, point, allowance, details)


# -- the linear program -----------------------------------------------------------
def _objective(U, objective):
    """The per-profile value to maximise (``None``: feasibility)."""
    N = U.shape[0]
    if objective is None:
        return None
    if isinstance(objective, str):
        if objective != "welfare":
            raise ValueError(f"objective must be None, 'welfare' or an array of weights, got "
                             f"{objective!r}")
        return U.sum(axis=0)
    try:
        w = np.array(objective, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("objective weights must be numbers: one per player (shape "
                         f"({N},)) or one per joint profile (shape {U.shape[1:]})") from None
    if not np.all(np.isfinite(w)):
        raise ValueError("objective weights must be finite (no NaN or inf)")
    if w.shape == (N,):
        return np.tensordot(w, U, axes=(0, 0))
    if w.shape == U.shape[1:]:
        return w
    raise ValueError(f"objective weights must have shape ({N},) (one per player) or "
                     f"{U.shape[1:]} (one per joint profile), got shape {w.shape}")


def _lp_constraints(U, umax, kind):
    """Sparse ``A_ub`` (rows: deviations, scaled per player) with ``A_ub mu <= 0``."""
    from scipy import sparse

    shape = U.shape[1:]
    P = int(np.prod(shape))
    index = np.arange(P).reshape(shape)
    rows, cols, vals = [], [], []
    r0 = 0
    for p in range(U.shape[0]):
        s_p = shape[p]
        idx, V = _moved(index, p), _moved(U[p], p)
        scale = 1.0 / umax[p] if umax[p] > 0 else 1.0
        if kind == "ce":
            a, b = np.nonzero(~np.eye(s_p, dtype=bool))
            R = idx.shape[1]
            rows.append(np.repeat(r0 + np.arange(a.size), R))
            cols.append(idx[a].reshape(-1))
            vals.append(((V[b] - V[a]) * scale).reshape(-1))
            r0 += a.size
        else:
            # row b: sum over every profile (a, r) of V[b, r] - V[a, r]
            D = (V[:, None, :] - V[None, :, :]) * scale          # D[b, a, r]
            rows.append(np.repeat(r0 + np.arange(s_p), idx.size))
            cols.append(np.tile(idx.reshape(-1), s_p))
            vals.append(D.reshape(-1))
            r0 += s_p
    rows, cols, vals = (np.concatenate(v) for v in (rows, cols, vals))
    return sparse.csr_matrix((vals, (rows, cols)), shape=(r0, P))


def _solve_lp(game, U, umax, kind, objective, tol):
    from scipy.optimize import linprog

    shape = U.shape[1:]
    P = int(np.prod(shape))
    value = _objective(U, objective)
    c = np.zeros(P) if value is None else -value.reshape(-1)
    spread = float(np.max(np.abs(c))) if value is not None else 0.0
    if spread > 0:
        c = c / spread
    A_ub = _lp_constraints(U, umax, kind)
    t0 = time.perf_counter()
    res = linprog(c, A_ub=A_ub, b_ub=np.zeros(A_ub.shape[0]), A_eq=np.ones((1, P)),
                  b_eq=np.array([1.0]), bounds=(0.0, None), method="highs",
                  options={"primal_feasibility_tolerance": 1e-10,
                           "dual_feasibility_tolerance": 1e-10})
    warnings = []
    if res.x is None:
        # a finite game always has a correlated equilibrium (its Nash equilibria), so this
        # is the solver's numerical failure: fall back to the uniform distribution, certified
        warnings.append(f"HiGHS did not return a solution ({res.message}); the uniform "
                        "distribution is returned with its certificate")
        mu = np.full(shape, 1.0 / P)
        status = "stalled"
    else:
        mu = np.maximum(np.asarray(res.x, dtype=np.float64), 0.0).reshape(shape)
        mu /= float(np.sum(mu))
        status = None
    cert = _certify(U, umax, mu, kind)
    if status is None:
        status = "converged" if cert.value <= tol else "stalled"
        if status == "stalled":
            warnings.append(f"the LP solution's certified gain {cert.value:.3e} is above tol = "
                            f"{tol:g} (HiGHS' feasibility tolerance is 1e-10 relative to the "
                            "payoffs); raise tol")
    obj = None if value is None else float(np.sum(value * mu))
    return CorrelatedResult(mu, kind, cert, obj, "lp", status, tol,
                            iterations=int(getattr(res, "nit", 0) or 0),
                            elapsed=time.perf_counter() - t0, warnings=warnings,
                            info={"solver": "highs", "solver_message": str(res.message),
                                  "profiles": P, "constraints": int(A_ub.shape[0])})


# -- self-play -----------------------------------------------------------------------
def _values(U, xs):
    """``v_p[a] = u_p(a, x_{-p})`` for every player (tensor contractions)."""
    N = U.shape[0]
    out = []
    for p in range(N):
        T = U[p]
        for k in range(N - 1, -1, -1):
            if k != p:
                T = np.tensordot(T, xs[k], axes=([k], [0]))
        out.append(np.asarray(T, dtype=np.float64).reshape(U.shape[p + 1]))
    return out


def _self_play(game, U, umax, kind, tol, max_rounds, step, check_every):
    if kind != "cce":
        raise ValueError("self-play (no-regret learning) reaches coarse correlated equilibria "
                         "only: ask for kind='cce', or use method='lp' for kind='ce'")
    N = U.shape[0]
    shape = U.shape[1:]
    spreads = [float(np.max(U[p]) - np.min(U[p])) for p in range(N)]
    spread = max(spreads) if max(spreads) > 0 else 1.0
    # the gradient of player p's loss moves by at most spread * sum_j ||dx_j||_1 when the
    # others move (l_inf / l_1, the entropic geometry's dual pair), so (N - 1) spread is the
    # learners' joint smoothness and 1 / ((N - 1) spread) the default constant step
    factor = 1.0 / max(N - 1, 1) if step is None else float(step)
    eta = factor / spread
    learners = [OnlineOptimistic(Simplex(s), step=eta) for s in shape]
    rule = f"constant step {eta:.6g} = {factor:.6g} / payoff spread"
    cum_v = [np.zeros(s) for s in shape]
    cum_pay = np.zeros(N)
    plays = [np.empty((max_rounds, s)) for s in shape]
    hist = {"rounds": [], "gap": []}
    t0 = time.perf_counter()
    next_check, T = 1, 0
    k = sum(shape) + 2
    # rounding of each round's values and payoffs (as in NormalFormGame.certify) and of the
    # running sums over rounds
    per_round = [3.0 * gamma(k, _EPS) * umax[p] for p in range(N)]
    gap = math.inf
    for t in range(max_rounds):
        xs = [lr.play() for lr in learners]
        v = _values(U, xs)
        for p in range(N):
            learners[p].observe(-v[p])
            cum_v[p] += v[p]
            cum_pay[p] += float(xs[p] @ v[p])
            plays[p][t] = xs[p]
        T = t + 1
        if T >= next_check or T == max_rounds:
            gap = _play_gap(cum_v, cum_pay, T, per_round, umax)
            hist["rounds"].append(T)
            hist["gap"].append(gap)
            next_check = max(T + 1, int(T * 1.25)) if check_every is None else \
                T + check_every
            if gap <= tol:
                break
    X = [pl[:T] for pl in plays]
    mu = _empirical(X) / T
    regrets = [float(np.max(cum_v[p]) - cum_pay[p]) / T for p in range(N)]
    cert = _certify(U, umax, mu, "cce", point="average",
                    extra={"average_regret": tuple(regrets), "play_gap": gap})
    status = "converged" if cert.value <= tol else "max_iter"
    return CorrelatedResult(mu, "cce", cert, None, "self_play", status, tol, iterations=T,
                            elapsed=time.perf_counter() - t0, history=hist,
                            info={"step_rule": rule, "average_regret": tuple(regrets),
                                  "rounds": T})


def _play_gap(cum_v, cum_pay, T, per_round, umax):
    """The largest average external regret over players, rounding included."""
    out = 0.0
    for p in range(len(cum_v)):
        r = (float(np.max(cum_v[p])) - cum_pay[p]) / T
        allow = (per_round[p] + gamma(T + 2, _EPS) * 2.0 * umax[p]) * (1.0 + 4.0 * _EPS)
        out = max(out, max(r, 0.0) + allow)
    return out


def _empirical(X):
    """``sum_t x_1^t (x) ... (x) x_N^t`` as an N-d array (one einsum over the rounds)."""
    N = len(X)
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[:N]
    spec = ",".join("T" + c for c in letters) + "->" + letters
    return np.einsum(spec, *X, optimize=True)


def correlated_equilibrium(game, kind: str = "ce", objective=None, *, method: str | None = None,
                           tol: float = 1e-6, max_rounds: int = 5000,
                           step: float | None = None) -> CorrelatedResult:
    """A correlated (``"ce"``) or coarse correlated (``"cce"``) equilibrium of a finite game.

    Parameters
    ----------
    game : NormalFormGame, BimatrixGame or MatrixGame
    kind : {"ce", "cce"}
    objective : None, "welfare" or array_like
        ``None``: any equilibrium (a vertex of the polytope, as HiGHS finds
        it); ``"welfare"``: maximise the sum of the players' expected payoffs;
        weights of shape ``(N,)``: maximise the weighted sum of payoffs; an
        array of the game's shape ``(s_1, ..., s_N)``: maximise its expectation.
        Linear programming only.
    method : {None, "lp", "self_play"}
        ``"lp"``: HiGHS on the joint distribution (exact up to the solver's
        tolerances; the certificate says how close).  ``"self_play"``: every
        player runs optimistic hedge; ``kind="cce"`` only, no objective.
        ``None``: ``"self_play"`` for a CCE without objective of a game with
        more than :data:`LP_MAX_PROFILES` joint profiles, else ``"lp"``.
    tol : float
        The certified largest gain at which the result counts as
        ``"converged"``; self-play stops there.
    max_rounds : int
        Self-play: the most rounds of play.
    step : float, optional
        Self-play: the learners' constant step in units of one over the payoff
        spread (largest ``max U_p - min U_p``).  Default ``1 / (N - 1)``: one
        over the smoothness of a player's loss in the others' strategies
        (``(N - 1)`` spreads, l_inf against l_1).  Measured on random 3- and
        10 x 10 x 10-player games, the gap after T rounds is about inversely
        proportional to the step in this range; larger steps can cycle.

    Returns
    -------
    CorrelatedResult

    Examples
    --------
    >>> from eqsolve.problems import NormalFormGame
    >>> chicken = NormalFormGame([[[0, 7], [2, 6]], [[0, 2], [7, 6]]])
    >>> res = correlated_equilibrium(chicken, "ce", "welfare")
    >>> res.converged, round(res.objective, 6)           # 10.5 = 2 x 5.25 > any Nash welfare
    (True, 10.5)
    >>> play = correlated_equilibrium(chicken, "cce", method="self_play", max_rounds=2000)
    >>> play.residual < 0.05, play.method
    (True, 'self_play')
    """
    _check_kind(kind)
    U, umax, _ = _tables(game)
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not (tol > 0 and
                                                                         math.isfinite(tol)):
        raise ValueError(f"tol must be a positive number, got {tol!r}")
    if isinstance(max_rounds, bool) or not isinstance(max_rounds, numbers.Integral) \
            or max_rounds < 1:
        raise ValueError(f"max_rounds must be a positive integer, got {max_rounds!r}")
    if step is not None and (isinstance(step, bool) or not isinstance(step, numbers.Real)
                             or not (step > 0 and math.isfinite(step))):
        raise ValueError(f"step must be a positive number or None, got {step!r}")
    P = int(np.prod(U.shape[1:]))
    if method is None:
        # self-play reaches coarse correlated equilibria only: a CE is always an LP
        method = ("lp" if (P <= LP_MAX_PROFILES or objective is not None or kind == "ce")
                  else "self_play")
    if method not in ("lp", "self_play"):
        raise ValueError(f"method must be None, 'lp' or 'self_play', got {method!r}")
    if method == "self_play":
        if objective is not None:
            raise ValueError("an objective needs method='lp': self-play finds some coarse "
                             "correlated equilibrium, it does not optimise over them")
        return _self_play(game, U, umax, kind, float(tol), int(max_rounds), step, None)
    _objective(U, objective)  # bad objectives fail before the LP is built
    shape = U.shape[1:]
    nnz = P * sum((s - 1) if kind == "ce" else s for s in shape)
    if nnz > LP_MAX_NONZEROS:
        raise ValueError(
            f"the {kind.upper()} linear program of this game has {nnz} constraint nonzeros, more "
            f"than LP_MAX_NONZEROS = {LP_MAX_NONZEROS}; ask for kind='cce' without an objective "
            "(no-regret self-play), or raise eqsolve.analysis.correlated.LP_MAX_NONZEROS if you "
            "have the memory")
    return _solve_lp(game, U, umax, kind, objective, float(tol))
