"""Counterfactual regret minimisation on the vectorised treeplex: CFR+, DCFR, predictive CFR+.

Every information set runs a regret minimiser on its *counterfactual
values*: for player 1 facing ``y``, the sequence values
``V = expected(A y, beta)`` computed bottom-up (each sequence's own payoff
plus the values, under the current behaviour strategy, of the sets below it;
:meth:`eqsolve.treeplex.Treeplex.expected`), and the instantaneous regret of
action ``a`` at set ``I`` is ``V_{Ia} - sum_b beta_{Ib} V_{Ib}``.  The laminar
regret decomposition bounds the sequence-form regret by the sum of the local
ones, so the average plans converge to an equilibrium at rate O(1/sqrt(T))
(in practice much faster).  The players update in turn (alternation): player
1 against ``y_t``, then player 2 against ``x_{t+1}``.  Each iteration is one
product with ``A`` and one with ``A^T`` (one evaluation of ``F``) plus a few
vectorised passes per depth level.

Variants (``variant=``):

``"pcfr+"`` (default)
    predictive CFR+: regret matching+ with the last instantaneous regret as
    the prediction, ``beta ∝ [R + r_last]^+``; quadratic averaging.
``"cfr+"``
    regret matching+ ``R <- [R + r]^+``, linear averaging.
``"dcfr"``
    discounted CFR: positive regrets scaled by ``t^a/(t^a+1)``, negative by
    ``t^b/(t^b+1)`` before each update, averages weighted by ``t^g``
    (``a, b, g = 1.5, 0, 2``).

References
----------
.. [1] M. Zinkevich, M. Johanson, M. Bowling and C. Piccione, "Regret
   minimization in games with incomplete information", NeurIPS 2007.
.. [2] O. Tammelin, "Solving large imperfect information games using CFR+",
   arXiv:1407.5042 (2014).
.. [3] N. Brown and T. Sandholm, "Solving imperfect-information games via
   discounted regret minimization", AAAI 2019.
.. [4] G. Farina, C. Kroer and T. Sandholm, "Faster game solving via
   predictive Blackwell approachability: connecting regret matching and
   mirror descent", AAAI 2021.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np

from .._validation import check_positive
from ..backend import HAS_NUMBA, check_backend
from .base import Candidate, Family, Method, Traits
from .registry import register

__all__ = ["CFR", "CFRPlus", "DCFR", "PredictiveCFRPlus"]


class CFRState(NamedTuple):
    x: Any          # player 1's current plan
    y: Any          # player 2's current plan
    bx: Any         # behaviour strategies (per sequence)
    by: Any
    Rx: Any         # cumulative regrets (per sequence; entry 0 unused)
    Ry: Any
    rx: Any         # last instantaneous regrets (the predictions of PCFR+)
    ry: Any
    Ay: Any         # A @ y
    ATx: Any        # A.T @ x
    sx: Any         # weighted sums of the plans (the average's numerators)
    sy: Any
    wsum: float
    t: int


_KERNELS: dict = {}


def _kernel():
    """The compiled update (imported once: an import statement per call costs more than
    the update itself on small games)."""
    if not _KERNELS:
        from ._cfr_numba import respond

        _KERNELS["respond"] = respond
    return _KERNELS["respond"]


def _supports(problem):
    if problem.treeplexes is None:
        return (f"regret minimisation runs on games in sequence form (ExtensiveFormGame); got "
                f"{type(problem).__name__}")
    if problem.monotone is not True:
        return ("CFR's self-play converges to equilibria of zero-sum games; this game is "
                "general-sum (certify profiles of it with eq.certify)")
    return None


@dataclass(frozen=True)
class _RegretMatching(Method):
    """Shared iteration of the CFR variants (the fields are their options).

    Parameters
    ----------
    alternate : bool
        Update the players in turn (default ``True``, as CFR+ prescribes);
        ``False`` updates both against the previous iterate.
    average_power : float
        The average weights iterate ``t`` by ``t**average_power``.
    backend : {"numba", "numpy"}, optional
        ``"numba"`` (the default when Numba is installed) runs each player's
        update as one compiled pass over the sets; ``"numpy"`` is the
        vectorised reference (a few passes per depth level).
    """

    TRAITS: ClassVar[Traits] = Traits(outputs=("last", "average"), default_output="best",
                                      restart=False, backends=("numpy", "numba"))
    plus: ClassVar[bool] = True          # regret matching+ (floor regrets at 0)
    predictive: ClassVar[bool] = False
    default_power: ClassVar[float] = 1.0

    alternate: bool = True
    average_power: float = 1.0
    backend: str = "numpy"

    @classmethod
    def supports(cls, problem, **options):
        return _supports(problem)

    @classmethod
    def _common(cls, alternate, average_power, backend):
        if not isinstance(alternate, (bool, np.bool_)):
            raise TypeError(f"alternate must be True or False, got {alternate!r}")
        power = cls.default_power if average_power is None else check_positive(
            "average_power", average_power, allow_zero=True)
        if backend is None:
            backend = "numba" if HAS_NUMBA else "numpy"
        elif backend not in ("numpy", "numba"):
            raise ValueError(f"backend must be 'numpy' or 'numba' for regret minimisation, got "
                             f"{backend!r}")
        if backend == "numba":
            check_backend("numba")
        return bool(alternate), float(power), backend

    @classmethod
    def from_options(cls, problem, *, alternate=True, average_power=None, backend=None):
        alternate, power, backend = cls._common(alternate, average_power, backend)
        return cls(alternate, power, backend)

    #: the kernel's code for this variant's local update
    mode: ClassVar[int] = 0

    # -- the local regret minimisers ------------------------------------------
    def _discount(self, R, t):
        return R

    def _discounts(self, t):
        return 1.0, 1.0

    def _respond(self, tp, g, beta, R, t):
        """One regret-minimiser update of the player with treeplex ``tp`` facing
        the utility vector ``g``; returns ``(plan, behaviour, regrets, inst)``."""
        if tp.n_sets == 0:
            return np.ones(1), np.ones(1), R, R
        if self.backend == "numba":
            x, b, inst = np.empty_like(g), np.empty_like(g), np.empty_like(g)
            pos, neg = self._discounts(t)
            _kernel()(tp.parents, tp.start, tp.sizes, g, beta, R, self.mode, pos, neg, x, b, inst)
            return x, b, R, inst
        V, setv = tp.expected(g, beta)
        inst = np.empty_like(V)
        inst[0] = 0.0
        inst[1:] = V[1:] - setv[tp.owner[1:]]
        R = self._discount(R, t) + inst
        if self.plus:
            np.maximum(R, 0.0, out=R)
        drive = R + inst if self.predictive else R
        beta = tp.normalize_behavior(np.maximum(drive, 0.0))
        return tp.reach(beta), beta, R, inst

    # -- the method hooks ------------------------------------------------------
    def init(self, problem, oracle, z0):
        X, Y = problem.treeplexes
        n1 = X.dim
        z0 = np.asarray(z0, dtype=np.float64)
        x, y = z0[:n1], z0[n1:]
        bx = X.normalize_behavior(X.behavior(x))
        by = Y.normalize_behavior(Y.behavior(y))
        x, y = X.reach(bx), Y.reach(by)
        ATx, Ay = oracle.products(x, y)
        zx, zy = np.zeros(X.dim), np.zeros(Y.dim)
        return CFRState(x, y, bx, by, zx, zy, zx, zy, Ay, ATx, zx, zy, 0.0, 0)

    def step(self, problem, oracle, s):
        X, Y = problem.treeplexes
        t = s.t + 1
        x, bx, Rx, rx = self._respond(X, s.Ay, s.bx, s.Rx.copy(), t)
        if self.alternate:
            ATx = oracle.rmatvec(x)
            y, by, Ry, ry = self._respond(Y, -ATx, s.by, s.Ry.copy(), t)
            Ay = oracle.matvec(y)
        else:
            y, by, Ry, ry = self._respond(Y, -s.ATx, s.by, s.Ry.copy(), t)
            ATx, Ay = oracle.products(x, y)
        w = float(t) ** self.average_power
        return CFRState(x, y, bx, by, Rx, Ry, rx, ry, Ay, ATx, s.sx + w * x, s.sy + w * y,
                        s.wsum + w, t)

    def candidates(self, s):
        z = np.concatenate([s.x, s.y])
        out = {"last": Candidate(z, np.concatenate([-s.Ay, s.ATx]))}
        # before the first iteration the average is the start
        out["average"] = (Candidate(np.concatenate([s.sx, s.sy]) / s.wsum) if s.wsum > 0
                          else out["last"])
        return out

    def diagnostics(self, s):
        return {"average_weight": s.wsum}


@dataclass(frozen=True)
class CFRPlus(_RegretMatching):
    """CFR+: regret matching+, alternating updates, linear averaging."""

    name: ClassVar[str] = "cfr+"
    summary: ClassVar[str] = "CFR+ (regret matching+, alternation, linear averaging)"


@dataclass(frozen=True)
class PredictiveCFRPlus(_RegretMatching):
    """Predictive CFR+: regret matching+ predicting the last instantaneous regret."""

    name: ClassVar[str] = "pcfr+"
    summary: ClassVar[str] = "predictive CFR+ (optimistic regret matching+, quadratic averaging)"
    predictive: ClassVar[bool] = True
    mode: ClassVar[int] = 1
    default_power: ClassVar[float] = 2.0
    average_power: float = 2.0


@dataclass(frozen=True)
class DCFR(_RegretMatching):
    """Discounted CFR.

    Parameters
    ----------
    alpha, beta, gamma : float
        Positive regrets are scaled by ``t^alpha/(t^alpha+1)`` and negative
        ones by ``t^beta/(t^beta+1)`` before each update; the average weights
        iterate ``t`` by ``t^gamma`` (Brown and Sandholm's 1.5, 0, 2).
    """

    name: ClassVar[str] = "dcfr"
    summary: ClassVar[str] = "discounted CFR (alpha=1.5, beta=0, gamma=2)"
    plus: ClassVar[bool] = False
    mode: ClassVar[int] = 2
    default_power: ClassVar[float] = 2.0
    average_power: float = 2.0
    alpha: float = 1.5
    beta: float = 0.0

    @classmethod
    def from_options(cls, problem, *, alternate=True, alpha=1.5, beta=0.0, gamma=2.0,
                     backend=None):
        alternate, power, backend = cls._common(alternate, gamma, backend)
        a = check_positive("alpha", alpha, allow_zero=True)
        b = float(beta)
        if not math.isfinite(b):
            raise ValueError(f"beta must be finite, got {beta!r}")
        return cls(alternate, power, backend, a, b)

    def _discounts(self, t):
        # the regrets accumulated up to t - 1 are discounted before the update
        k = t - 1
        if k == 0:
            return 1.0, 1.0
        return k ** self.alpha / (k ** self.alpha + 1.0), k ** self.beta / (k ** self.beta + 1.0)

    def _discount(self, R, t):
        pos, neg = self._discounts(t)
        return np.where(R > 0, R * pos, R * neg)


@register
class CFR(Family):
    """Counterfactual regret minimisation on games in sequence form."""

    name = "cfr"
    summary = ("counterfactual regret minimisation on the vectorised treeplex: predictive CFR+ "
               "(default), CFR+, discounted CFR")
    variants = {"pcfr+": PredictiveCFRPlus, "cfr+": CFRPlus, "dcfr": DCFR}
