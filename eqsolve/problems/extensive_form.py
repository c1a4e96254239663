"""Two-player zero-sum extensive-form games in sequence form.

A game tree with chance moves and information sets (perfect recall) becomes
the bilinear saddle point

.. math:: \\max_{x \\in X} \\min_{y \\in Y} x^\\top A y,

over the players' treeplexes ``X`` and ``Y`` (:class:`~eqsolve.treeplex.Treeplex`),
with ``A[s1, s2]`` the sum, over the leaves that the sequence pair
``(s1, s2)`` reaches, of the chance probability times player 1's payoff:
a sparse matrix with at most one entry per leaf, never dense.  Player 1
(OpenSpiel's player 0) maximises.

References
----------
.. [1] D. Koller, N. Megiddo and B. von Stengel, "Efficient computation of
   equilibria for extensive two-person games", Games Econ. Behav. 14 (1996).
.. [2] B. von Stengel, "Efficient computation of behavior strategies",
   Games Econ. Behav. 14 (1996) 220-246.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..backend import HAS_NUMBA, namespace, to_float
from ..certificates import Certificate
from ..certificates.sequence_form import sequence_form_gap, sequence_form_nash_conv
from ..domains import Product
from ..treeplex import Treeplex, canonical_order
from .base import Problem
from .bilinear import SaddleStructure, Term

__all__ = ["ExtensiveFormGame", "SequenceFormBuilder"]


class SequenceFormBuilder:
    """Collects a game tree's decisions and leaves, then builds the sequence form.

    A reader walks the tree once, calling :meth:`decision` at every decision
    node (it returns the first sequence of the node's information set, in the
    builder's numbering) and :meth:`leaf` at every terminal node, then
    :meth:`build`.  Perfect recall is checked as the tree is walked: every
    node of an information set must follow the same own sequence and offer
    the same actions.

    Payoffs and probabilities may be floats or exact numbers
    (``fractions.Fraction``); exact ones are summed exactly and rounded once.
    """

    def __init__(self):
        self._sets = ({}, {})          # key -> (set index, first sequence, parent, actions)
        self._parents = ([], [])
        self._sizes = ([], [])
        self._keys = ([], [])
        self._actions = ([], [])
        self._next = [1, 1]
        self._rows, self._cols, self._w, self._w2 = [], [], [], []
        self._const = None
        self._general = False
        self._exact = True
        self._chance_depth = 0

    def decision(self, player: int, key, parent: int, actions) -> int:
        """Register a node of ``player``'s information set ``key`` reached by her
        sequence ``parent``; returns the set's first sequence (action ``i`` is
        sequence ``first + i``)."""
        table = self._sets[player]
        hit = table.get(key)
        actions = tuple(actions)
        if hit is not None:
            idx, first, par, acts = hit
            if par != parent:
                raise ValueError(
                    f"player {player + 1}'s information set {key!r} is reached by two different "
                    "sequences of her own moves: the game does not have perfect recall, which the "
                    "sequence form needs")
            if acts != actions:
                raise ValueError(f"information set {key!r} offers different actions at two of "
                                 f"its nodes ({acts} and {actions}): the game is malformed")
            return first
        if not actions:
            raise ValueError(f"information set {key!r} of player {player + 1} has no actions")
        first = self._next[player]
        table[key] = (len(self._parents[player]), first, parent, actions)
        self._parents[player].append(parent)
        self._sizes[player].append(len(actions))
        self._keys[player].append(key)
        self._actions[player].append(actions)
        self._next[player] += len(actions)
        return first

    def leaf(self, seq1: int, seq2: int, chance, payoff1, payoff2, chance_depth: int = 0):
        """A terminal node reached by the sequences ``(seq1, seq2)`` with chance
        probability ``chance`` and payoffs ``(payoff1, payoff2)``."""
        total = payoff1 + payoff2
        if self._const is None:
            self._const = total
        elif total != self._const:
            scale = max(abs(payoff1), abs(payoff2), abs(self._const), 1e-300)
            exact = isinstance(total, (int, Fraction)) and isinstance(self._const, (int, Fraction))
            if exact or abs(total - self._const) > 1e-12 * scale:
                self._general = True
        if chance == 0:
            return
        if not all(isinstance(v, (int, Fraction)) for v in (chance, payoff1, payoff2)):
            self._exact = False
        self._chance_depth = max(self._chance_depth, chance_depth)
        self._rows.append(seq1)
        self._cols.append(seq2)
        self._w.append(chance * payoff1)
        self._w2.append(chance * payoff2)

    def _matrix(self, weights, exact_key, kwargs):
        """The sparse matrix of chance-weighted payoffs ``weights`` and the most leaves
        summed into one entry."""
        n1, n2 = self._next
        rows = np.asarray(self._rows, dtype=np.int64)
        cols = np.asarray(self._cols, dtype=np.int64)
        if self._exact and weights:
            acc: dict = {}
            for r, c, w in zip(self._rows, self._cols, weights):
                acc[(r, c)] = acc.get((r, c), 0) + w
            keys = list(acc)
            rows = np.fromiter((k[0] for k in keys), np.int64, len(keys))
            cols = np.fromiter((k[1] for k in keys), np.int64, len(keys))
            data = np.fromiter((float(acc[k]) for k in keys), np.float64, len(keys))
            if exact_key is not None:
                kwargs.setdefault(exact_key, (rows, cols, [acc[k] for k in keys]))
            terms = 1
        else:
            data = np.asarray([float(w) for w in weights], dtype=np.float64)
            terms = 1
            if rows.size:
                _, counts = np.unique(rows * n2 + cols, return_counts=True)
                terms = int(counts.max())
        A = sp.coo_matrix((data, (rows, cols)), shape=(n1, n2)).tocsr()
        A.sum_duplicates()
        A.eliminate_zeros()
        return A, terms

    def build(self, *, general_sum: bool = False, **kwargs) -> "ExtensiveFormGame":
        """The game in sequence form.

        A game whose payoffs do not add up to one constant at every leaf is
        refused unless ``general_sum=True``: then player 2's payoffs are kept
        as a second matrix ``B`` and the game can be certified (the NashConv
        of any profile) but not solved by the zero-sum methods.
        """
        if self._general and not general_sum:
            raise ValueError(
                "the game is not constant-sum (the players' payoffs do not add up to the same "
                "constant at every leaf); ExtensiveFormGame solves two-player zero-sum or "
                "constant-sum games -- build it with general_sum=True to certify profiles of it")
        A, terms = self._matrix(self._w, "exact_entries", kwargs)
        if self._general:
            kwargs["B"], terms2 = self._matrix(self._w2, None, kwargs)
            terms = max(terms, terms2)
        # rounding of each entry: the chance product, the payoff product, the sum of
        # the leaves it collects (exact inputs: one rounding)
        ulps = 1 if self._exact else self._chance_depth + 1 + terms
        const = 0.0 if (self._const is None or self._general) else self._const
        return ExtensiveFormGame(
            A, parents=tuple(np.asarray(p, np.int64) for p in self._parents),
            sizes=tuple(np.asarray(s, np.int64) for s in self._sizes),
            infosets=(tuple(self._keys[0]), tuple(self._keys[1])),
            actions=(tuple(self._actions[0]), tuple(self._actions[1])),
            constant=const, _entry_ulps=ulps, **kwargs)


_KERNELS: dict = {}


def _csr_matvec():
    """The compiled CSR product (imported once: the import statement would cost more
    than a small product)."""
    if not _KERNELS:
        from ._sparse_numba import csr_matvec

        _KERNELS["csr_matvec"] = csr_matvec
    return _KERNELS["csr_matvec"]


def _check_pair(name, value):
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{name} must be a pair (player 1's, player 2's), got {type(value).__name__}")
    return value


class ExtensiveFormGame(Problem):
    """A two-player zero-sum (or constant-sum) extensive-form game in sequence form.

    Player 1 chooses a realisation plan ``x`` over her treeplex ``X`` and
    maximises ``x^T A y``; player 2 chooses ``y`` over ``Y``.  As a VI on
    ``X x Y``: ``F(x, y) = (-A y, A^T x)``, monotone.  The certificate is the
    sequence-form duality gap (kind ``"nash_conv"``): OpenSpiel's NashConv,
    twice the exploitability.

    Parameters
    ----------
    A : (n1, n2) array_like or scipy.sparse matrix
        Chance-weighted payoffs to player 1 over sequence pairs (kept sparse,
        CSR).
    parents, sizes : pairs of int sequences
        Each player's treeplex (see :class:`~eqsolve.treeplex.Treeplex`):
        ``parents[p][i]`` is the sequence leading to player ``p``'s
        information set ``i``, ``sizes[p][i]`` its number of actions.  Sets
        may be given in any topological order (a set after the one owning its
        parent sequence); they are put in the treeplex's canonical order, and
        ``A``'s rows and columns with them (``sequence_maps``).
    infosets : pair of sequences, optional
        A key per information set (OpenSpiel's information-state strings,
        ``.efg`` labels); default ``(player, index)``.
    actions : pair of sequences of tuples, optional
        The action labels of each set (OpenSpiel's action ids); default
        ``0..size-1``.
    constant : float
        The players' payoffs add up to this at every leaf (0: zero-sum).
    chance_rounding : float
        An allowance added as is to every certificate's gap (and to both ends
        of the value bracket) for a difference between the game solved and
        the game meant, e.g. a file's decimal chance probabilities normalised
        to sum to one: it must bound the change of the *gap*, twice the
        change of any one payoff ``x^T A y`` (``io.efg`` passes twice its bound).
    exact_entries : (rows, cols, values), optional
        ``A``'s entries as exact numbers in the input numbering (kept as
        ``exact_entries`` for exact checks; the builder passes them when the
        tree's numbers are exact).

    Attributes
    ----------
    X, Y : Treeplex
    A : scipy.sparse.csr_matrix
    sequence_maps : pair of int arrays
        ``sequence_maps[p][s]`` is the canonical index of input sequence ``s``.

    Examples
    --------
    Matching pennies where player 2 moves after seeing nothing:

    >>> import numpy as np
    >>> g = ExtensiveFormGame([[0, 0, 0], [0, 1, -1], [0, -1, 1]],
    ...                       parents=([0], [0]), sizes=([2], [2]))
    >>> c = g.certify(g.initial_point())
    >>> c.kind, c.value < 1e-12, c.details["value_bounds"][0] <= 0.0 <= c.details["value_bounds"][1]
    ('nash_conv', True, True)
    """

    residual_kind = "nash_conv"
    monotone = True
    default_method = "cfr"
    bilinear = True
    blocks = ("x", "y")

    def __init__(self, A, *, parents, sizes, infosets=None, actions=None, constant=0.0,
                 B=None, chance_rounding: float = 0.0, exact_entries=None,
                 _entry_ulps: int = 1):
        parents = _check_pair("parents", parents)
        sizes = _check_pair("sizes", sizes)
        orders, maps, trees = [], [], []
        for p in range(2):
            order, seq_map = canonical_order(parents[p], sizes[p])
            par = np.asarray(parents[p], np.int64)
            siz = np.asarray(sizes[p], np.int64)
            trees.append(Treeplex(seq_map[par[order]] if order.size else par, siz[order]))
            orders.append(order)
            maps.append(seq_map)
        self.X, self.Y = trees
        self.sequence_maps = tuple(maps)
        n1, n2 = self.X.dim, self.Y.dim
        A = self._permuted(self._check_payoffs(A, n1, n2), maps, n1, n2)
        self.A = A
        #: player 2's payoffs of a general-sum game (None: zero- or constant-sum)
        self.B = None
        self.zero_sum = B is None
        self.bilinear = self.zero_sum
        if B is not None:
            self.B = self._permuted(self._check_payoffs(B, n1, n2, "B"), maps, n1, n2)
            self.BT = self.B.T.tocsr()
            self.absB, self.absBT = abs(self.B), abs(self.B).T.tocsr()
            self.monotone = None
            self.k_cols2 = int(np.diff(self.BT.indptr).max(initial=0)) + int(_entry_ulps)
        self.AT = A.T.tocsr()
        #: ``A``'s entries as exact numbers ``(rows, cols, values)`` in the canonical
        #: numbering, when the game was built from exact payoffs and probabilities
        self.exact_entries = None
        if exact_entries is not None:
            r, c, v = exact_entries
            self.exact_entries = (maps[0][np.asarray(r, np.int64)],
                                  maps[1][np.asarray(c, np.int64)], tuple(v))
        self.absA = abs(A)
        self.absAT = self.absA.T.tocsr()
        self.k_rows = int(np.diff(A.indptr).max(initial=0)) + int(_entry_ulps)
        self.k_cols = int(np.diff(self.AT.indptr).max(initial=0)) + int(_entry_ulps)
        self.constant = float(constant)
        self.chance_rounding = float(chance_rounding)
        self.infosets, self.actions = self._labels(infosets, actions, orders)
        self.domain = Product(self.X, self.Y)
        self.treeplexes = (self.X, self.Y)
        self.n1, self.n2 = n1, n2
        self.xp = namespace()
        amax = float(abs(A).max()) if A.nnz else 0.0
        self.amax = amax
        # ||A||_2 <= sqrt(||A||_1 ||A||_inf): a rigorous Euclidean Lipschitz bound of F
        r = float(np.asarray(self.absA.sum(axis=1)).max(initial=0.0))
        c = float(np.asarray(self.absA.sum(axis=0)).max(initial=0.0))
        self.row_sums, self.col_sums = r, c
        self.lipschitz = math.sqrt(r * c) * (1.0 + 1e-12)
        self.lipschitz_entropic = max(r, c, 0.0)

    @staticmethod
    def _permuted(A, maps, n1, n2):
        """``A`` with rows and columns in the canonical order (new index = map[old])."""
        A = A.tocoo()
        A = sp.coo_matrix((A.data, (maps[0][A.row], maps[1][A.col])), shape=(n1, n2)).tocsr()
        A.sum_duplicates()
        return A

    @staticmethod
    def _check_payoffs(A, n1, n2, name="A"):
        if sp.issparse(A):
            A = sp.csr_matrix(A, dtype=np.float64)
        else:
            try:
                arr = np.asarray(A, dtype=np.float64)
            except (TypeError, ValueError):
                raise TypeError(f"{name} must be a numeric matrix or a scipy.sparse matrix") from None
            if arr.ndim != 2:
                raise ValueError(f"{name} must be a matrix (n1, n2), got shape {arr.shape}")
            A = sp.csr_matrix(arr)
        if A.shape != (n1, n2):
            raise ValueError(f"{name} must have shape ({n1}, {n2}) (one row per sequence of player 1, "
                             f"one column per sequence of player 2), got {A.shape}")
        if not np.all(np.isfinite(A.data)):
            raise ValueError(f"{name} must be finite (no NaN or inf)")
        return A

    def _labels(self, infosets, actions, orders):
        keys, acts = [], []
        for p, tp in enumerate((self.X, self.Y)):
            order = orders[p]
            if infosets is None:
                k = tuple((p, int(i)) for i in order)
            else:
                given = list(_check_pair("infosets", infosets)[p])
                if len(given) != order.size:
                    raise ValueError(f"infosets[{p}] must have one key per information set "
                                     f"({order.size}), got {len(given)}")
                k = tuple(given[i] for i in order)
                if len(set(k)) != len(k):
                    raise ValueError(f"infosets[{p}] has repeated keys")
            if actions is None:
                a = tuple(tuple(range(int(tp.sizes[j]))) for j in range(tp.n_sets))
            else:
                given = list(_check_pair("actions", actions)[p])
                if len(given) != order.size:
                    raise ValueError(f"actions[{p}] must list the actions of each of the "
                                     f"{order.size} information sets, got {len(given)}")
                a = tuple(tuple(given[i]) for i in order)
                for j, labels in enumerate(a):
                    if len(labels) != tp.sizes[j]:
                        raise ValueError(f"actions[{p}] of set {k[j]!r} has {len(labels)} labels "
                                         f"for {tp.sizes[j]} actions")
            keys.append(k)
            acts.append(a)
        return tuple(keys), tuple(acts)

    # -- constructors ----------------------------------------------------------
    @classmethod
    def from_openspiel(cls, game, *, general_sum: bool = False, **params) -> "ExtensiveFormGame":
        """The sequence form of an OpenSpiel game (a ``pyspiel.Game`` or a game string).

        Walks the whole tree once.  Information sets are keyed by OpenSpiel's
        information-state strings and actions by their ids, so
        :meth:`behavior` and :func:`eqsolve.io.to_openspiel_policy` speak
        OpenSpiel's language.  Needs ``eqsolve[openspiel]``.
        """
        try:
            import pyspiel
        except ImportError:
            raise ImportError("ExtensiveFormGame.from_openspiel needs OpenSpiel: pip install "
                              "'eqsolve[openspiel]'") from None
        if isinstance(game, str):
            game = pyspiel.load_game(game, params) if params else pyspiel.load_game(game)
        elif params:
            raise TypeError("game parameters go with a game string, not a loaded game")
        if not isinstance(game, pyspiel.Game):
            raise TypeError(f"game must be a pyspiel.Game or a game string, got {type(game).__name__}")
        gtype = game.get_type()
        if game.num_players() != 2:
            raise ValueError(f"ExtensiveFormGame takes two-player games; {gtype.short_name} has "
                             f"{game.num_players()} players")
        U = pyspiel.GameType.Utility
        if gtype.utility not in (U.ZERO_SUM, U.CONSTANT_SUM) and not general_sum:
            raise ValueError(f"ExtensiveFormGame solves zero-sum or constant-sum games; "
                             f"{gtype.short_name} is {gtype.utility.name.lower()} (pass "
                             "general_sum=True to certify profiles of it)")
        if gtype.dynamics != pyspiel.GameType.Dynamics.SEQUENTIAL:
            raise ValueError(f"{gtype.short_name} has simultaneous moves; load it as "
                             f"'turn_based_simultaneous_game(game={gtype.short_name}(...))'")
        b = SequenceFormBuilder()
        CHANCE, TERMINAL = pyspiel.PlayerId.CHANCE, pyspiel.PlayerId.TERMINAL

        def walk(state, s0, s1, reach, depth):
            player = state.current_player()
            if player == TERMINAL:
                r = state.returns()
                b.leaf(s0, s1, reach, r[0], r[1], depth)
            elif player == CHANCE:
                for a, p in state.chance_outcomes():
                    if p > 0:
                        walk(state.child(a), s0, s1, reach * p, depth + 1)
            else:
                acts = state.legal_actions()
                own = s0 if player == 0 else s1
                first = b.decision(player, state.information_state_string(player), own, acts)
                for i, a in enumerate(acts):
                    if player == 0:
                        walk(state.child(a), first + i, s1, reach, depth)
                    else:
                        walk(state.child(a), s0, first + i, reach, depth)

        walk(game.new_initial_state(), 0, 0, 1.0, 0)
        out = b.build(general_sum=general_sum)
        out.source = game
        return out

    # -- the problem -----------------------------------------------------------
    source: Any = None
    _saddle: Any = None

    @property
    def saddle(self) -> SaddleStructure:
        """``min_y max_x x^T A y`` over the treeplexes: PDHG's view (zero terms,
        the treeplexes' weighted projections, ``A``'s entries for the diagonal
        steps).  Offsets are not normal to a treeplex, so nothing is centred."""
        if self.B is not None:
            return None
        if self._saddle is None:
            self._saddle = SaddleStructure(
                n_max=self.n1, n_min=self.n2, max_first=True, max_domain=self.X,
                min_domain=self.Y, g=Term(), f=Term(), entries=self.A, centre=0.0,
                keep_sums=(False, False), polish=False, averages_certified=False)
        return self._saddle

    @property
    def dtype(self):
        return np.float64

    def split(self, z):
        return {"x": z[: self.n1], "y": z[self.n1:]}

    def initial_point(self):
        return np.concatenate([self.X.uniform(), self.Y.uniform()])

    def matvec(self, y):
        return self._product(self.A, y)

    def rmatvec(self, x):
        return self._product(self.AT, x)

    @staticmethod
    def _product(M, v):
        if HAS_NUMBA and isinstance(v, np.ndarray) and v.dtype == np.float64 and v.ndim == 1:
            return _csr_matvec()(M.indptr, M.indices, M.data, v)
        return M @ v

    def operator(self, z):
        x, y = z[: self.n1], z[self.n1:]
        if self.B is not None:
            # each player ascends her own payoff: F = (-A y, -B^T x)
            return np.concatenate([-self.matvec(y), -(self.BT @ x)])
        return np.concatenate([-self.matvec(y), self.rmatvec(x)])

    def value(self, z, Fz=None, certificate=None):
        if self.B is not None:
            return None
        if certificate is not None and "payoff" in certificate.details:
            return certificate.details["payoff"]
        Ay = self.A @ z[self.n1:] if Fz is None else -Fz[: self.n1]
        return to_float(np.dot(z[: self.n1], Ay))

    def plans(self, z):
        """The realisation plans of the behaviour strategies that ``z`` plays
        (``x`` and ``y`` renormalised at every information set) and the l1
        distance from ``z`` to them."""
        px, dx = self.X.plan_of(np.ascontiguousarray(z[: self.n1]))
        py, dy = self.Y.plan_of(np.ascontiguousarray(z[self.n1:]))
        return px, py, dx + dy

    def certify(self, z, *, Fz=None, point: str = "given") -> Certificate:
        """The sequence-form duality gap (NashConv) of the behaviour strategies ``z`` plays.

        ``z`` is read as behaviour strategies (renormalised at each set); its
        l1 distance to their plans, times the largest absolute row / column
        sum of ``A``, is added, so the value bounds the gap at ``z`` itself as
        well (zero for the methods' own iterates up to rounding).
        """
        z = np.asarray(z, dtype=np.float64)
        x, y, dist = self.plans(z)
        if self.B is not None:
            return self._certify_general(x, y, dist, point)
        # F(z) serves the plans too: they differ from z by ``dist`` in l1, which the
        # defect term below covers
        if Fz is not None:
            Fz = np.asarray(Fz, dtype=np.float64)
            Ay, ATx = -Fz[: self.n1], Fz[self.n1:]
        else:
            Ay, ATx = self.matvec(y), self.rmatvec(x)
        absAy, absATx = self._product(self.absA, y), self._product(self.absAT, x)
        # |x'^T A y - x'^T A y_plan| <= max row sum * ||y - y_plan||_1 for any plan x' <= 1,
        # and likewise for the columns; both best responses move
        defect = 2.0 * dist * max(self.row_sums, self.col_sums)
        gap, rnd, lower, upper = sequence_form_gap(
            self.X, self.Y, x, y, Ay, ATx, absAy, absATx, k_rows=self.k_rows,
            k_cols=self.k_cols, defect=defect + self.chance_rounding)
        payoff = float(np.dot(x, Ay))
        return Certificate("nash_conv", gap + rnd, point, rnd, {
            "value_bounds": (lower - rnd, upper + rnd),
            "payoff": payoff,
            "exploitability": 0.5 * (gap + rnd),
            "player1_gain": upper - payoff,
            "player2_gain": payoff - lower,
            "defect": dist,
        })

    def _certify_general(self, x, y, dist, point):
        Ay, BTx = self.matvec(y), self._product(self.BT, x)
        absAy, absBTx = self._product(self.absA, y), self._product(self.absBT, x)
        defect = 2.0 * dist * max(self.row_sums, self.col_sums, self._b_sums())
        value, rnd, gains, payoffs = sequence_form_nash_conv(
            self.X, self.Y, x, y, Ay, BTx, absAy, absBTx, k_rows=self.k_rows,
            k_cols=self.k_cols2, defect=defect + self.chance_rounding)
        return Certificate("nash_conv", value + rnd, point, rnd, {
            "payoffs": payoffs, "player1_gain": gains[0], "player2_gain": gains[1],
            "exploitability": 0.5 * (value + rnd), "defect": dist})

    def _b_sums(self):
        return max(float(np.asarray(self.absB.sum(axis=1)).max(initial=0.0)),
                   float(np.asarray(self.absB.sum(axis=0)).max(initial=0.0)))

    # -- strategies ------------------------------------------------------------
    def behavior(self, x, y=None) -> dict:
        """Behaviour strategies ``{information set key: {action: probability}}``.

        ``behavior(z)`` takes a joint point; ``behavior(x, y)`` the two plans.
        Both players' sets are in one dict (OpenSpiel's keys are the
        information-state strings, unique across players).
        """
        if y is None:
            z = np.asarray(x, dtype=np.float64)
            x, y = z[: self.n1], z[self.n1:]
        out: dict = {}
        for p, (tp, plan) in enumerate(((self.X, x), (self.Y, y))):
            plan = np.asarray(plan, dtype=np.float64)
            if plan.shape != (tp.dim,):
                raise ValueError(f"player {p + 1}'s plan must have length {tp.dim}, got "
                                 f"{plan.shape}")
            beta = tp.normalize_behavior(tp.behavior(np.maximum(plan, 0.0)))
            for i, key in enumerate(self.infosets[p]):
                s = int(tp.start[i])
                out[key] = {a: float(beta[s + j]) for j, a in enumerate(self.actions[p][i])}
        return out

    def plans_from_behavior(self, strategy: dict):
        """The joint point ``z`` of behaviour strategies ``{key: {action: prob}}``
        (sets missing from ``strategy`` play uniformly)."""
        parts = []
        for p, tp in enumerate((self.X, self.Y)):
            beta = np.ones(tp.dim)
            for i, key in enumerate(self.infosets[p]):
                s = int(tp.start[i])
                probs = strategy.get(key)
                for j, a in enumerate(self.actions[p][i]):
                    beta[s + j] = (1.0 / tp.sizes[i]) if probs is None else float(probs.get(a, 0.0))
            parts.append(tp.reach(tp.normalize_behavior(beta)))
        return np.concatenate(parts)

    def __repr__(self):
        name = ""
        if self.source is not None:
            name = f"{self.source}, "
        return (f"ExtensiveFormGame({name}{self.X.dim} x {self.Y.dim} sequences, "
                f"{self.X.n_sets} + {self.Y.n_sets} information sets, {self.A.nnz} payoff entries)")
