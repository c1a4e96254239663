"""N-player normal-form (strategic) games with exact payoffs and a certified Nash gap."""

from __future__ import annotations

import math

import numpy as np

from ..certificates import Certificate
from ..certificates.residuals import gamma, simplex_defect
from ..domains import Product, Simplex
from ._exact import RationalArray, exact_number
from .base import Problem
from .games import BimatrixGame, MatrixGame

__all__ = ["NormalFormGame", "MAX_PLAYERS", "MAX_CONTINGENCIES"]

#: most players a game may have (NumPy arrays have at most 32 axes in NumPy 1.x)
MAX_PLAYERS = 31
#: largest number of pure-strategy profiles (product of the strategy counts) accepted;
#: each profile holds one payoff per player, kept exactly, so memory grows with it
MAX_CONTINGENCIES = 1_000_000


class NormalFormGame(Problem):
    """A finite game in normal form: N players, each maximising its own payoff.

    Player ``i`` picks a mixed strategy ``x_i`` in the simplex over its
    ``s_i`` pure strategies; its expected payoff is the multilinear form
    :math:`u_i(x) = \\sum_{a} U_i[a_1, \\dots, a_N] \\prod_j x_j[a_j]`.  As a VI
    on the product of simplices the operator is
    :math:`F(x) = (-\\nabla_{x_1} u_1(x), \\dots, -\\nabla_{x_N} u_N(x))`, whose
    solutions are exactly the Nash equilibria.  It is monotone only in special
    cases (two-player zero-sum games), so first-order methods carry no
    guarantee in general; the certificate still says how good a point is.

    The certificate is the Nash gap

    .. math:: \\sum_i \\Big(\\max_{a_i} u_i(a_i, x_{-i}) - u_i(x)\\Big) \\ge 0,

    zero exactly at a Nash equilibrium; no player gains more than it by any
    deviation (a pure deviation is always among the best).  Payoffs are kept
    exactly (:class:`fractions.Fraction`) as given or read from a file;
    computation uses their float64 roundings, and the rounding allowance
    covers that conversion too, so the certificate bounds the gap of the
    exact game.

    Parameters
    ----------
    payoffs : sequence of N array_like, or array_like of shape (N, s_1, ..., s_N)
        ``payoffs[i][a_1, ..., a_N]`` is player ``i``'s payoff at the pure
        profile ``a``.  Entries may be ints, floats, :class:`~fractions.Fraction`,
        :class:`~decimal.Decimal` or strings such as ``"1/3"`` or ``"0.25"``.
    players : sequence of str, optional
        Player names (default ``"Player 1"``, ...).
    strategies : sequence of sequences of str, optional
        Strategy labels per player (default ``"1"``, ``"2"``, ...).
    title, comment : str
        Free text kept for files (Gambit ``.nfg`` title and comment).

    Attributes
    ----------
    num_players : int
    shape : tuple of int
        Strategy counts ``(s_1, ..., s_N)``.
    payoffs : ndarray, shape (N, s_1, ..., s_N)
        Float64 payoffs (read-only).
    zero_sum : bool
        Two players whose exact payoffs sum to zero everywhere.
    outcome_index : ndarray of int, shape (s_1, ..., s_N), or None
        With :attr:`outcomes`: the outcome of each profile (0 = none).

    A solve's ``Result.value`` is the first player's expected payoff;
    :meth:`payoff` gives every player's.

    Examples
    --------
    >>> import numpy as np
    >>> from eqsolve.problems import NormalFormGame
    >>> pd = NormalFormGame([[[3, 0], [5, 1]], [[3, 5], [0, 1]]],
    ...                     strategies=[["C", "D"], ["C", "D"]])   # prisoner's dilemma
    >>> pd.certify(pd.join(([0, 1], [0, 1]))).value < 1e-12        # (D, D) is a Nash equilibrium
    True
    >>> round(pd.certify(pd.join(([1, 0], [1, 0]))).value, 9)       # each gains 2 by defecting
    4.0
    >>> type(pd.to_problem()).__name__
    'BimatrixGame'

    References
    ----------
    J. Nash, "Non-cooperative games", Ann. Math. 54 (1951) 286-295.
    """

    residual_kind = "nash_gap"
    # logit path following to the Nash limit, polished on the support (measured:
    # benchmarks/general_sum_nplayer.py); the first-order methods do not converge on
    # general-sum games
    default_method = "logit"

    def __init__(self, payoffs, *, players=None, strategies=None, title: str = "", comment: str = ""):
        exact = self._exact_tensor(payoffs)
        n = exact.shape[0]
        shape = exact.shape[1:]
        self.num_players = n
        self.shape = tuple(int(s) for s in shape)
        self.players = self._labels("players", players, n, lambda k: f"Player {k + 1}")
        if strategies is None:
            strategies = [None] * n
        if not isinstance(strategies, (list, tuple)) or len(strategies) != n:
            raise ValueError(f"strategies must list the strategy labels of each of the {n} players")
        self.strategies = tuple(
            self._labels(f"strategies[{i}]", s, self.shape[i], lambda k: str(k + 1))
            for i, s in enumerate(strategies)
        )
        for name, text in (("title", title), ("comment", comment)):
            if not isinstance(text, str):
                raise TypeError(f"{name} must be a string, got {type(text).__name__}")
        self.title, self.comment = title, comment
        # the exact payoffs stay compact (int64 numerators and denominators); the object
        # array of Fractions is built on first access to exact_payoffs
        self._exact = exact
        self._exact_objects = None
        try:
            U = exact.to_float()
        except OverflowError:
            U = None
        if U is None or not np.all(np.isfinite(U)):
            raise ValueError("payoffs must fit in float64: an entry is larger than 1.8e308 in "
                             "magnitude; rescale the payoffs")
        U.flags.writeable = False
        self.payoffs = U
        self._outcomes = None
        self._outcome_table = None
        self.outcome_index = None
        self.domain = Product(*[Simplex(s) for s in self.shape])
        self._offsets = np.cumsum((0,) + self.shape)
        self.umax = [float(np.max(np.abs(U[i]))) for i in range(n)]
        self.zero_sum = n == 2 and exact.block(0).is_negation_of(exact.block(1))
        self.monotone = True if self.zero_sum else None
        self.lipschitz = None

    @property
    def exact_payoffs(self) -> np.ndarray:
        """The exact payoffs: an object array of Fractions, shape (N, s_1, ..., s_N), read-only.

        Kept compactly (int64 numerators and denominators) and built on first use.
        """
        if self._exact_objects is None:
            obj = self._exact.to_object()
            obj.flags.writeable = False
            self._exact_objects = obj
        return self._exact_objects

    @property
    def outcomes(self):
        """The outcome table of a Gambit outcome-form file, or None.

        A list of ``(label, tuple of Fraction)``; :attr:`outcome_index` maps each
        profile to an outcome (0 = none).  Kept so that writing the game back
        gives the same file.
        """
        if self._outcomes is None and self._outcome_table is not None:
            labels, pays = self._outcome_table
            n = self.num_players
            fr = pays.to_object().reshape(len(labels), n)
            self._outcomes = [(lab, tuple(row)) for lab, row in zip(labels, fr.tolist())]
        return self._outcomes

    @outcomes.setter
    def outcomes(self, value):
        self._outcomes = value
        self._outcome_table = None

    def _set_outcome_table(self, labels, pays: RationalArray, index):
        """Outcome form without building Fractions: labels, a (K, N) RationalArray, the index."""
        self._outcomes = None
        self._outcome_table = (labels, pays)
        self.outcome_index = index

    # -- construction helpers -------------------------------------------
    @staticmethod
    def _exact_tensor(payoffs) -> RationalArray:
        if payoffs is None:
            raise TypeError("payoffs is required, got None")
        if isinstance(payoffs, (str, bytes, dict, set)):
            raise TypeError(f"payoffs must be a sequence of payoff arrays, got {type(payoffs).__name__}")
        if isinstance(payoffs, RationalArray):
            arr = payoffs.num
        elif isinstance(payoffs, np.ndarray) and payoffs.dtype.kind in "iuf":
            arr = payoffs
        else:
            try:
                arr = np.array(payoffs, dtype=object)
            except ValueError as exc:
                raise ValueError(f"payoffs must be N arrays of the same shape ({exc})") from None
        if arr.ndim < 2:
            raise ValueError(f"payoffs must have shape (N, s_1, ..., s_N), got shape {arr.shape}")
        n = arr.shape[0]
        if arr.ndim != n + 1:
            raise ValueError(
                f"payoffs must have shape (N, s_1, ..., s_N) with one axis per player: "
                f"got {n} payoff arrays with {arr.ndim - 1} axes each"
            )
        if n < 1 or n > MAX_PLAYERS:
            raise ValueError(f"a game needs between 1 and {MAX_PLAYERS} players, got {n}")
        if any(s < 1 for s in arr.shape[1:]):
            raise ValueError(f"every player needs at least one strategy, got shape {arr.shape[1:]}")
        size = math.prod(arr.shape[1:])
        if size > MAX_CONTINGENCIES:
            raise ValueError(
                f"the game has {size} pure-strategy profiles, more than MAX_CONTINGENCIES = "
                f"{MAX_CONTINGENCIES}; raise eqsolve.problems.normal_form.MAX_CONTINGENCIES "
                "if you have the memory"
            )
        if isinstance(payoffs, RationalArray):
            return payoffs
        if arr.dtype.kind in "iuf":
            if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
                idx = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
                raise ValueError(f"payoffs{idx} must be finite, got {arr[idx]}")
            # vectorised: no Fraction is built for integers or short binary fractions
            return RationalArray.from_numeric(arr)
        flat = [exact_number(f"payoffs{tuple(int(i) for i in idx)}", v)
                for idx, v in zip(np.ndindex(arr.shape), arr.ravel())]
        return RationalArray.from_fractions(flat, arr.shape)

    @staticmethod
    def _labels(name, labels, count, default):
        if labels is None:
            return tuple(default(k) for k in range(count))
        if isinstance(labels, str) or not isinstance(labels, (list, tuple)):
            raise TypeError(f"{name} must be a list of {count} strings, got {type(labels).__name__}")
        if len(labels) != count:
            raise ValueError(f"{name} must have {count} labels, got {len(labels)}")
        for lab in labels:
            if not isinstance(lab, str):
                raise TypeError(f"{name} must contain strings, got {type(lab).__name__}")
        return tuple(labels)

    # -- the VI ----------------------------------------------------------
    @property
    def blocks(self):
        return tuple(f"x{i + 1}" for i in range(self.num_players))

    def split(self, z):
        o = self._offsets
        return {b: z[o[i]:o[i + 1]] for i, b in enumerate(self.blocks)}

    def join(self, point, name: str = "point"):
        # one player: ([p_1, ..., p_s],) is that player's strategy, as for N players
        if (self.num_players == 1 and isinstance(point, (tuple, list)) and len(point) == 1
                and (isinstance(point[0], (tuple, list)) or getattr(point[0], "ndim", None) == 1)):
            point = point[0]
        return super().join(point, name)

    def initial_point(self):
        return np.concatenate([np.full(s, 1.0 / s) for s in self.shape])

    def _deviation_payoffs(self, xs):
        """``v_i[a] = u_i(a, x_{-i})`` for every player ``i``: contract all other players."""
        out = []
        n = self.num_players
        for i in range(n):
            T = self.payoffs[i]
            # contract the highest axes first so the remaining axis numbers stay valid
            for j in range(n - 1, -1, -1):
                if j != i:
                    T = np.tensordot(T, xs[j], axes=([j], [0]))
            out.append(np.asarray(T, dtype=np.float64).reshape(self.shape[i]))
        return out

    def operator(self, z):
        xs = list(self.split(np.asarray(z, dtype=np.float64)).values())
        return -np.concatenate(self._deviation_payoffs(xs))

    def payoff(self, profile) -> np.ndarray:
        """Expected payoff of every player at a mixed profile (one vector per player).

        Examples
        --------
        >>> from eqsolve.problems import NormalFormGame
        >>> g = NormalFormGame([[[1, -1], [-1, 1]], [[-1, 1], [1, -1]]])
        >>> g.payoff(([0.5, 0.5], [1.0, 0.0])).tolist()
        [0.0, 0.0]
        """
        z = self.check_point("profile", profile)
        xs = list(self.split(z).values())
        v = self._deviation_payoffs(xs)
        return np.array([float(np.dot(xs[i], v[i])) for i in range(self.num_players)])

    def certify(self, z, *, Fz=None, point: str = "given") -> Certificate:
        z = np.asarray(z, dtype=np.float64)
        xs = list(self.split(z).values())
        v = self._deviation_payoffs(xs) if Fz is None else list(self.split(-np.asarray(Fz)).values())
        eps = float(np.finfo(np.float64).eps)
        defects = [simplex_defect(np, x) for x in xs]
        D = sum(defects)
        R = math.prod(1.0 + d for d in defects)
        gains, payoffs, best = [], [], []
        rounding = 0.0
        for i in range(self.num_players):
            pay = float(np.dot(xs[i], v[i]))
            top = float(np.max(v[i]))
            gains.append(top - pay)
            payoffs.append(pay)
            best.append(int(np.argmax(v[i])))
            # v_i passes through sum_{j != i} s_j roundings per term, the payoff dot
            # product s_i more, and each payoff one more (exact value -> float64);
            # every term is at most umax_i * prod ||x_j||_1 <= umax_i * R in size
            k = sum(self.shape) + 2
            rounding += 3.0 * gamma(k, eps) * self.umax[i] * R * R + eps * (abs(top) + abs(pay))
            # the nearest profile on the simplices is within l1 distance d_j per player
            rounding += 3.0 * self.umax[i] * D * R
        gap = sum(gains)
        rounding += gamma(self.num_players, eps) * sum(abs(g) for g in gains)
        details = {
            "gains": tuple(gains),
            "payoffs": tuple(payoffs),
            "best_responses": tuple(self.strategies[i][b] for i, b in enumerate(best)),
        }
        return Certificate("nash_gap", max(gap, 0.0) + rounding, point, rounding, details)

    def value(self, z, Fz=None, certificate=None):
        if certificate is not None and "payoffs" in certificate.details:
            return certificate.details["payoffs"][0]
        return None

    # -- conversions -------------------------------------------------------
    def to_problem(self):
        """The two-player game as a :class:`MatrixGame` (zero-sum) or :class:`BimatrixGame`.

        A game is zero-sum when the exact payoffs satisfy ``U_1 + U_2 == 0``
        entry by entry.  Games with other numbers of players have no
        specialised problem class: solve the ``NormalFormGame`` itself with a
        generic method (no convergence guarantee) or certify profiles you
        computed elsewhere.

        Examples
        --------
        >>> from eqsolve.problems import NormalFormGame
        >>> NormalFormGame([[[0, 1], [1, 0]], [[0, -1], [-1, 0]]]).to_problem()
        MatrixGame(2x2, dtype=float64)
        """
        if self.num_players != 2:
            raise ValueError(
                f"to_problem needs a two-player game, this one has {self.num_players} players; "
                "N-player games are solved as NormalFormGame itself (eqsolve.solve uses the logit "
                "path to a Nash equilibrium) or certified with eqsolve.certify"
            )
        A, B = np.array(self.payoffs[0]), np.array(self.payoffs[1])
        return MatrixGame(A) if self.zero_sum else BimatrixGame(A, B)

    def __eq__(self, other):
        if not isinstance(other, NormalFormGame):
            return NotImplemented
        return (self.shape == other.shape and self.players == other.players
                and self.strategies == other.strategies and self.title == other.title
                and self._exact == other._exact)

    __hash__ = None

    def __repr__(self):
        dims = "x".join(str(s) for s in self.shape)
        return f"NormalFormGame({self.num_players} players, {dims})"
