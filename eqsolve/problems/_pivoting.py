"""Exact complementary pivoting and vertex enumeration for bimatrix games.

A bimatrix game ``(A, B)`` (row payoffs ``A``, column payoffs ``B``, both
maximised) is turned into two best-response polytopes (von Stengel, "Computing
equilibria for two-person games", Handbook of Game Theory 3, 2002, section 3):

    P = {x >= 0 : B^T x <= 1},     Q = {y >= 0 : A y <= 1},

after the payoffs have been made integers (one common denominator per matrix)
and, where needed, shifted so that ``A >= 0`` without a zero column and
``B >= 0`` without a zero row (equilibria do not change; the polytopes are then
bounded).  Label ``i < m`` belongs to ``x_i`` and to the slack ``r_i`` of row
``i`` of ``A y <= 1``; label ``m + j`` to ``y_j`` and to the slack ``s_j`` of
column ``j`` of ``B^T x <= 1``.  A pair ``(x, y) != (0, 0)`` of points of P and
Q at which every label is zero in ``x`` or in ``y`` is, normalised, a Nash
equilibrium; the extreme equilibria are exactly the complementary pairs of
vertices.

Each polytope is held as a *dictionary* (a compact tableau): one row per basic
variable, one column per nonbasic variable, column 0 the basic values.  Two
arithmetics share every formula:

* **exact** -- Python integers in NumPy object arrays with integer pivoting:
  the entries are the tableau times the determinant ``d`` of the basis, and a
  pivot on ``p`` computes ``(M p - col row) / d`` with an exact division by the
  *previous* pivot (Bareiss; Edmonds), so every entry is a minor of the payoff
  matrix and the sizes stay polynomial: no overflow, no rounding, ever;
* **float** -- float64 with the same lexicographic rule, ties detected with a
  tolerance; its only use is to find a basis fast, which is then re-solved and
  checked in exact arithmetic (:func:`verify_bases`).

Degeneracy is handled by the lexicographic ratio test (the symbolic
perturbation of the right-hand side ``1`` by ``(eps, eps^2, ...)``): the exact
path breaks every tie by the rows of the basis inverse, never by a tolerance.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ._exact import RationalArray

__all__ = ["IntegerGame", "integer_game", "LemkeHowsonPath", "verify_bases", "solve_integer",
           "exact_report", "polytope_vertices", "vertex_enumeration", "support_enumeration",
           "NumericalFailure"]

#: int64 entries below this magnitude: products of two of them still fit in Python's fast
#: path, and a shift by the minimum cannot overflow
_INT64_SAFE = 1 << 62


class NumericalFailure(ArithmeticError):
    """The float pivoting lost its way (no admissible pivot, non-finite entries, a repeated
    basis); the exact pivoting takes over."""


# -- exact integer payoffs ----------------------------------------------------------------
def _to_integers(R: RationalArray):
    """``(M, L)``: integer matrix ``M = L R`` (int64 when it fits, else Python ints) and ``L``."""
    if not R.big and bool(np.all(R.den == 1)):
        return R.num.copy(), 1
    dens = set(np.unique(R.den).tolist()) | {f.denominator for f in R.big.values()}
    L = math.lcm(*dens)
    if not R.big and L < _INT64_SAFE:
        fac = L // R.den
        # |num| * (L / den) <= |value| * L; checked in floats before the int64 product
        if float(np.max(np.abs(R.num.astype(np.float64) * fac))) < _INT64_SAFE / 2:
            return R.num * fac, L
    obj = R.to_object() * L
    return np.vectorize(int, otypes=[object])(obj), L


def _integer_from_float(M: np.ndarray):
    """``(int64 M, 1)`` when every entry of the float matrix is an integer below 2**53."""
    if M.dtype.kind == "f" and M.size and float(np.max(np.abs(M))) < 2.0 ** 53 and \
            bool(np.all(M == np.rint(M))):
        return M.astype(np.int64), 1
    return None


@dataclass
class IntegerGame:
    """A bimatrix game as exact integer matrices fit for the best-response polytopes.

    ``A = LA * A_game + shiftA`` and ``B = LB * B_game + shiftB`` entrywise, with
    ``LA, LB`` positive integers (common denominators) and shifts chosen so that
    ``A >= 0`` has no zero column and ``B >= 0`` no zero row.  ``A64``/``B64``
    are int64 copies when the entries fit (else ``None``); :meth:`exact` gives
    Python-int object arrays; ``Af``/``Bf`` are float64 copies for the float path.
    """

    m: int
    n: int
    LA: int
    LB: int
    shiftA: int
    shiftB: int
    Af: np.ndarray
    Bf: np.ndarray
    A64: np.ndarray | None
    B64: np.ndarray | None
    _Aobj: np.ndarray | None = field(default=None, repr=False)
    _Bobj: np.ndarray | None = field(default=None, repr=False)

    def exact(self):
        """``(A, B)`` as object arrays of Python ints (built once)."""
        if self._Aobj is None:
            self._Aobj = self.A64.astype(object)
        if self._Bobj is None:
            self._Bobj = self.B64.astype(object)
        return self._Aobj, self._Bobj

    def rows(self, which: str, index, cols=None):
        """Exact submatrix ``A[index][:, cols]`` (``which="A"``) or of ``B``, as Python ints."""
        M64 = self.A64 if which == "A" else self.B64
        if M64 is not None:
            sub = M64[np.asarray(index, dtype=np.intp)]
            if cols is not None:
                sub = sub[:, np.asarray(cols, dtype=np.intp)]
            return sub.astype(object)
        M = self.exact()[0 if which == "A" else 1]
        sub = M[np.asarray(index, dtype=np.intp)]
        return sub if cols is None else sub[:, np.asarray(cols, dtype=np.intp)]


def _shift(M, axis: int):
    """The shift making ``M >= 0`` with no all-zero line along ``axis`` (0 when it already is)."""
    lo = int(M.min())
    if lo > 0:
        return 0
    if lo == 0 and bool(np.all(np.asarray(M.max(axis=axis)) > 0)):
        return 0
    return 1 - lo


def integer_game(A_exact, B_exact, Af=None, Bf=None) -> IntegerGame:
    """The :class:`IntegerGame` of exact payoffs (two :class:`RationalArray`, or float arrays
    whose exact binary values are the payoffs)."""
    mats = []
    for R, F in ((A_exact, Af), (B_exact, Bf)):
        got = _integer_from_float(R) if isinstance(R, np.ndarray) else None
        if got is None:
            if isinstance(R, np.ndarray):
                R = RationalArray.from_numeric(R)
            got = _to_integers(R)
        mats.append(got)
    (A, LA), (B, LB) = mats
    sA, sB = _shift(A, 0), _shift(B, 1)
    out = []
    for M, s in ((A, sA), (B, sB)):
        if M.dtype == object:
            M = M + s if s else M
            out.append((None, M))
        elif max(abs(int(M.min())), abs(int(M.max()))) + s < _INT64_SAFE:
            out.append((M + s if s else M, None))
        else:
            obj = M.astype(object)
            out.append((None, obj + s if s else obj))
    (A64, Aobj), (B64, Bobj) = out

    def as_float(M64, Mobj):
        if M64 is not None:
            return M64.astype(np.float64)
        # Python ints round correctly to float (inf beyond float64: caught by the float path)
        return np.array([[_float_or_inf(v) for v in row] for row in Mobj.tolist()])

    g = IntegerGame(int(A.shape[0]), int(A.shape[1]), LA, LB, sA, sB, as_float(A64, Aobj),
                    as_float(B64, Bobj), A64, B64, Aobj, Bobj)
    return g


def _float_or_inf(v: int) -> float:
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


# -- the dictionary of a polytope {z >= 0 : G z <= 1} ------------------------------------
class Tableau:
    """Dictionary of ``{z >= 0 : G z <= 1}``: ``basic_i = (M[i, 0] - sum_c M[i, c] nb_c) / d``.

    Rows are basic variables, columns ``1..`` nonbasic ones; variables are named
    by their labels.  ``exact=True``: Python integers, integer pivoting (``d``
    the previous pivot); ``exact=False``: float64 with ``d = 1``.
    ``slacks`` lists the slack labels in constraint order: the lexicographic
    rule reads the basis inverse from their columns.
    """

    __slots__ = ("M", "d", "basic", "nonbasic", "row_of", "col_of", "slacks", "exact", "key",
                 "G", "var_labels")

    @classmethod
    def start(cls, G, var_labels, slack_labels, exact: bool) -> "Tableau":
        t = cls.__new__(cls)
        rows, cols = G.shape
        if exact:
            M = np.empty((rows, cols + 1), dtype=object)
            M[:, 0] = 1
            M[:, 1:] = G
        else:
            M = np.empty((rows, cols + 1), dtype=np.float64)
            M[:, 0] = 1.0
            M[:, 1:] = G
        t.M, t.d, t.exact = M, 1, exact
        t.basic = list(slack_labels)
        t.nonbasic = [None] + list(var_labels)
        t.row_of = dict(zip(t.basic, range(rows)))
        t.col_of = dict(zip(t.nonbasic[1:], range(1, cols + 1)))
        t.slacks = tuple(slack_labels)
        # the basis as a bitset of labels (Python int: any number of labels)
        t.key = _bitset(t.basic)
        t.G, t.var_labels = G, tuple(var_labels)
        return t

    def refactor(self) -> None:
        """Recompute a float dictionary from its basis and ``G`` (one LU solve): the rounding
        errors that incremental pivots accumulate are dropped."""
        rows = self.M.shape[0]
        # the columns of [G | I], found by label
        full = np.hstack([np.asarray(self.G, dtype=np.float64), np.eye(rows)])
        pos = {lab: k for k, lab in enumerate(self.var_labels + self.slacks)}
        AB = full[:, [pos[lab] for lab in self.basic]]
        rhs = np.empty((rows, len(self.nonbasic)))
        rhs[:, 0] = 1.0
        rhs[:, 1:] = full[:, [pos[lab] for lab in self.nonbasic[1:]]]
        try:
            M = np.linalg.solve(AB, rhs)
        except np.linalg.LinAlgError:
            raise NumericalFailure("a singular basis in float arithmetic") from None
        if not np.all(np.isfinite(M)):
            raise NumericalFailure("non-finite tableau entries in float arithmetic")
        self.M = M

    def copy(self) -> "Tableau":
        t = Tableau.__new__(Tableau)
        t.M, t.d, t.exact = self.M.copy(), self.d, self.exact
        t.basic, t.nonbasic = list(self.basic), list(self.nonbasic)
        t.row_of, t.col_of = dict(self.row_of), dict(self.col_of)
        t.slacks, t.key = self.slacks, self.key
        t.G, t.var_labels = self.G, self.var_labels
        return t

    # -- the lexicographic ratio test --------------------------------------------------
    def _lex_column(self, j: int, rows):
        """Column ``j`` of the basis inverse (times ``d``) at ``rows``: the coefficient of
        ``eps^(j+1)`` in the perturbed basic values."""
        lab = self.slacks[j]
        c = self.col_of.get(lab)
        if c is not None:
            return [self.M[i, c] for i in rows]
        q = self.row_of[lab]
        return [self.d if i == q else 0 for i in rows]

    def leaving_row(self, c: int):
        """The row that leaves when column ``c`` enters (lexicographic minimum ratio), or None
        when the column has no positive entry (an unbounded edge)."""
        if self.exact:
            return self._leaving_exact(c)
        return self._leaving_float(c)

    def _leaving_exact(self, c: int):
        M = self.M
        col = M[:, c]
        cand = [i for i, v in enumerate(col.tolist()) if v > 0]
        if not cand:
            return None
        ties = _min_ratio([M[i, 0] for i in cand], [col[i] for i in cand], cand)
        j = 0
        while len(ties) > 1:
            # the basis inverse has full rank: some column separates any two rows
            ties = _min_ratio(self._lex_column(j, ties), [col[i] for i in ties], ties)
            j += 1
        return ties[0]

    def _leaving_float(self, c: int):
        M = self.M
        col = M[:, c]
        cmax = float(np.max(np.abs(col)))
        if not math.isfinite(cmax) or cmax == 0.0:
            return None
        pos = np.flatnonzero(col > 1e-11 * cmax)
        if pos.size == 0:
            return None
        a = col[pos]
        ties = pos[_float_ties(M[pos, 0], a, float(np.max(np.abs(M[:, 0]))))]
        j = 0
        while ties.size > 1 and j < len(self.slacks):
            # the noise level is set by the whole column of the basis inverse
            full = np.asarray(self._lex_column(j, range(M.shape[0])), dtype=np.float64)
            ties = ties[_float_ties(full[ties], col[ties], float(np.max(np.abs(full))))]
            j += 1
        return int(ties[0])

    # -- pivoting -------------------------------------------------------------------------
    def pivot(self, r: int, c: int) -> None:
        """Exchange the basic variable of row ``r`` with the nonbasic variable of column ``c``."""
        M = self.M
        col = M[:, c].copy()
        row = M[r, :].copy()
        p = col[r]
        if self.exact:
            d = self.d
            M *= p
            M -= np.multiply.outer(col, row)
            # exact: every entry of the new tableau is a minor, so d divides it (Bareiss)
            M //= d
            M[r, :] = row
            M[:, c] = -col
            M[r, c] = d
            self.d = p
        else:
            row = row / p
            M -= np.outer(col, row)
            M[r, :] = row
            M[:, c] = -col / p
            M[r, c] = 1.0 / p
        leaving, entering = self.basic[r], self.nonbasic[c]
        self.basic[r], self.nonbasic[c] = entering, leaving
        del self.row_of[leaving], self.col_of[entering]
        self.row_of[entering], self.col_of[leaving] = r, c
        self.key ^= (1 << leaving) ^ (1 << entering)

    def enter(self, label: int) -> int:
        """Pivot the nonbasic variable ``label`` into the basis; the label that leaves."""
        c = self.col_of[label]
        r = self.leaving_row(c)
        if r is None:
            if self.exact:
                raise ArithmeticError("the best-response polytope is unbounded along an edge: "
                                      "the payoff shift failed (please report this game)")
            raise NumericalFailure("no admissible pivot in float arithmetic")
        leaving = self.basic[r]
        self.pivot(r, c)
        if not self.exact and not np.isfinite(self.M[:, c]).all():
            raise NumericalFailure("non-finite tableau entries in float arithmetic")
        return leaving

    def values(self, labels):
        """Basic values (times ``d``) of the variables ``labels``; 0 for nonbasic ones."""
        out = []
        for lab in labels:
            i = self.row_of.get(lab)
            out.append(self.M[i, 0] if i is not None else 0)
        return out


def _float_ties(num, den, scale):
    """Which ``num / den`` (``den > 0``) are smallest, to float precision: numerators below
    ``1e-13 scale`` count as zero (degenerate rows), other ratios tie within a relative
    ``1e-11`` (a wrong call is caught by the exact check of the final bases)."""
    num = np.where(np.abs(num) <= 1e-13 * scale, 0.0, num)
    r = num / den
    rmin = float(r.min())
    return r <= rmin + 1e-11 * abs(rmin)


def _min_ratio(num, den, rows):
    """The ``rows`` whose ``num / den`` is smallest (``den > 0``; exact integers)."""
    best = [rows[0]]
    bn, bd = num[0], den[0]
    for k in range(1, len(rows)):
        t = num[k] * bd - bn * den[k]
        if t < 0:
            best, bn, bd = [rows[k]], num[k], den[k]
        elif t == 0:
            best.append(rows[k])
    return best


# -- Lemke-Howson -----------------------------------------------------------------------------
class LemkeHowsonPath:
    """The Lemke-Howson path of an :class:`IntegerGame` from the artificial equilibrium
    ``(0, 0)`` with ``label`` dropped, advanced a given number of pivots at a time.

    ``exact=False`` pivots in float64 and raises :class:`NumericalFailure` when
    that goes wrong, including a basis seen twice (the exact path never repeats one).
    A float path run by the compiled pivots keeps its dictionaries as the
    kernel's arrays between calls (``_arrays``); the tableaux' label lists
    and maps are rebuilt from them only when read (``_sync``).
    """

    def __init__(self, game: IntegerGame, label: int, exact: bool):
        m, n = game.m, game.n
        self.game, self.label, self.exact = game, label, exact
        A, B = (game.exact() if exact else (game.Af, game.Bf))
        self.P = Tableau.start(B.T, range(m), range(m, m + n), exact)
        self.Q = Tableau.start(A, range(m, m + n), range(m), exact)
        self.entering = label
        self.turn = 0 if label < m else 1
        self.pivots = 0
        self.done = False
        self.seen = None if exact else set()
        self._arrays = None       # the compiled kernel's arrays (float paths)
        self._stale = False       # the tableaux' lists lag behind _arrays
        # float paths recompute both dictionaries from their bases every this many pivots:
        # a refactorisation costs about as much as m + n pivots, so ~10 % of the pivoting
        self.refactor_every = max(self.REFACTOR_EVERY, 10 * (m + n))

    def copy(self) -> "LemkeHowsonPath":
        p = LemkeHowsonPath.__new__(LemkeHowsonPath)
        p.__dict__.update(self.__dict__)
        p.P, p.Q = self.P.copy(), self.Q.copy()
        p.seen = None if self.seen is None else set(self.seen)
        if self._arrays is not None:
            # the copied tableaux hold copies of M: the copy's arrays point at those
            p._arrays = [(t.M,) + tuple(v.copy() for v in arr[1:])
                         for t, arr in ((p.P, self._arrays[0]), (p.Q, self._arrays[1]))]
        return p

    #: the least number of pivots between two refactorisations of a float path
    REFACTOR_EVERY = 1000

    def _sync(self) -> None:
        """Bring the tableaux' label lists and maps up to date with the kernel's arrays."""
        if self._stale:
            for t, arr in ((self.P, self._arrays[0]), (self.Q, self._arrays[1])):
                _from_arrays(t, *arr)
            self._stale = False

    def advance(self, max_pivots: int, compiled: bool | None = None) -> None:
        """At most ``max_pivots`` pivots, stopping at the complementary basis.

        A float path runs the compiled pivots when Numba is installed
        (``compiled=None``; ``False`` forces the NumPy reference).
        """
        if not self.exact and compiled is not False:
            kernel = _compiled_kernel()
            if kernel is not None:
                self._advance_compiled(kernel, max_pivots)
                return
        self._sync()
        self._arrays = None
        for _ in range(max_pivots):
            if self.done:
                return
            tab = self.P if self.turn == 0 else self.Q
            leaving = tab.enter(self.entering)
            self.pivots += 1
            if not self.exact and self.pivots % self.refactor_every == 0:
                self.P.refactor()
                self.Q.refactor()
            if leaving == self.label:
                self.done = True
                return
            self.entering, self.turn = leaving, 1 - self.turn
            if self.seen is not None:
                key = (self.P.key, self.Q.key, self.turn)
                if key in self.seen:
                    raise NumericalFailure("a basis repeated in float arithmetic")
                self.seen.add(key)

    def _advance_compiled(self, kernel, max_pivots: int) -> None:
        if self._arrays is None:
            n_labels = self.game.m + self.game.n
            self._arrays = [_as_arrays(t, n_labels) for t in (self.P, self.Q)]
        every = self.refactor_every
        left = max_pivots
        while left > 0 and not self.done:
            # stop at each refactorisation, and compare bases there (a float path that
            # cycles repeats its state at these points too)
            chunk = min(left, every - self.pivots % every)
            (MP, bP, nP, rP, cP, sP), (MQ, bQ, nQ, rQ, cQ, sQ) = self._arrays
            status, entering, turn, done = kernel(MP, MQ, bP, nP, rP, cP, sP, bQ, nQ, rQ, cQ, sQ,
                                                  self.label, self.entering, self.turn, chunk)
            self.pivots += int(done)
            left -= int(done)
            self.entering, self.turn = int(entering), int(turn)
            self._stale = True
            if status < 0:
                self._sync()
                raise NumericalFailure("no admissible pivot or non-finite entries in float "
                                       "arithmetic")
            if status == 1:
                self.done = True
                return
            if self.pivots % every == 0:
                self._sync()
                key = (self.P.key, self.Q.key, self.turn)
                if key in self.seen:
                    raise NumericalFailure("a basis repeated in float arithmetic")
                self.seen.add(key)
                self.P.refactor()
                self.Q.refactor()
                n_labels = self.game.m + self.game.n
                self._arrays = [_as_arrays(t, n_labels) for t in (self.P, self.Q)]

    def float_point(self):
        """The current ``(x, y)``, each normalised (``None`` for a zero block)."""
        m, n = self.game.m, self.game.n
        if self._arrays is not None:
            # read the values straight from the kernel's arrays (no sync)
            out = []
            for (M, basic, *_), size, first in ((self._arrays[0], m, 0), (self._arrays[1], n, m)):
                v = np.zeros(size)
                mine = (basic >= first) & (basic < first + size)
                v[basic[mine] - first] = M[mine, 0]
                out.append(_normalised(v))
            return tuple(out)
        x = np.array(self.P.values(range(m)), dtype=np.float64)
        y = np.array(self.Q.values(range(m, m + n)), dtype=np.float64)
        return _normalised(x), _normalised(y)

    def exact_point(self):
        """The current ``(x, y)`` exactly (tuples of Fractions), normalised; exact paths only."""
        m, n = self.game.m, self.game.n
        return (_normalise_ints(self.P.values(range(m))),
                _normalise_ints(self.Q.values(range(m, m + n))))

    def missing_values(self):
        """The values (each over its tableau's ``d``) of the dropped label's variables in P
        and in Q -- basic in both until the path ends -- and the largest basic value of each
        tableau (its scale)."""
        out = []
        for k, t in enumerate((self.P, self.Q)):
            if self._arrays is not None:
                M, row_of = self._arrays[k][0], self._arrays[k][3]
                r = int(row_of[self.label])
                r = None if r < 0 else r
            else:
                M, r = t.M, t.row_of.get(self.label)
            col = M[:, 0]
            scale = np.abs(col).max() if col.size else 0
            out.append((0 if r is None else M[r, 0], scale))
        return out

    def bases(self):
        if self._arrays is not None:
            return self._arrays[0][1].tolist(), self._arrays[1][1].tolist()
        return list(self.P.basic), list(self.Q.basic)


def _numba_kernel(name):
    """The compiled function ``name`` of ``_pivoting_numba``, or ``None`` without Numba
    (looked up once)."""
    got = _KERNELS.get(name, False)
    if got is False:
        try:
            from . import _pivoting_numba
        except ImportError:
            got = None
        else:
            got = getattr(_pivoting_numba, name)
        _KERNELS[name] = got
    return got


def _compiled_kernel():
    """The compiled float pivots, or ``None`` without Numba."""
    return _numba_kernel("lemke_howson_pivots")


def _as_arrays(t: Tableau, n_labels: int):
    """A float dictionary as the arrays the compiled pivots update in place."""
    basic = np.array(t.basic, dtype=np.int64)
    nonbasic = np.array([-1] + list(t.nonbasic[1:]), dtype=np.int64)
    row_of = np.full(n_labels, -1, dtype=np.int64)
    col_of = np.full(n_labels, -1, dtype=np.int64)
    row_of[basic] = np.arange(basic.size)
    col_of[nonbasic[1:]] = np.arange(1, nonbasic.size)
    return t.M, basic, nonbasic, row_of, col_of, np.array(t.slacks, dtype=np.int64)


def _from_arrays(t: Tableau, M, basic, nonbasic, row_of, col_of, slacks) -> None:
    t.M = M
    t.basic = basic.tolist()
    t.nonbasic = [None] + nonbasic[1:].tolist()
    t.row_of = dict(zip(t.basic, range(len(t.basic))))
    t.col_of = dict(zip(t.nonbasic[1:], range(1, len(t.nonbasic))))
    t.key = _bitset(t.basic)


def _bitset(labels: list) -> int:
    """``sum(1 << lab)`` over distinct labels, as one Python int (any number of labels)."""
    if labels and labels == list(range(labels[0], labels[0] + len(labels))):
        return ((1 << len(labels)) - 1) << labels[0]       # a run of labels (the slacks)
    return sum(1 << lab for lab in labels)


def _normalised(v):
    v = np.maximum(v, 0.0)
    s = float(v.sum())
    return v / s if s > 0 and math.isfinite(s) else None


def _normalise_ints(vals):
    s = sum(vals)
    if s == 0:
        return None
    return tuple(Fraction(v, s) for v in vals)


# -- exact linear algebra -------------------------------------------------------------------
def solve_integer(G, rhs):
    """Exact solution of the square integer system ``G z = rhs``: ``(num, den)`` with
    ``z = num / den``, ``den > 0``, or ``None`` when ``G`` is singular.

    Fraction-free Gauss-Jordan elimination (every division exact, by the previous
    pivot), vectorised over each pivot step with Python integers.
    """
    k = len(rhs)
    M = np.empty((k, k + 1), dtype=object)
    M[:, :k] = G
    M[:, k] = list(rhs)
    d = 1
    for c in range(k):
        col = M[:, c]
        piv = next((i for i in range(c, k) if col[i] != 0), None)
        if piv is None:
            return None
        if piv != c:
            M[[c, piv]] = M[[piv, c]]
        p = M[c, c]
        row = M[c, :].copy()
        colv = M[:, c].copy()
        M *= p
        M -= np.multiply.outer(colv, row)
        M //= d
        M[c, :] = row
        d = p
    # after Gauss-Jordan every diagonal entry is the determinant (up to the row swaps' sign)
    det = M[k - 1, k - 1]
    num = M[:, k].tolist()
    if det < 0:
        det, num = -det, [-v for v in num]
    return num, det


# -- checking a basis exactly --------------------------------------------------------------------
def verify_bases(game: IntegerGame, P_basic, Q_basic):
    """The exact equilibrium ``(x, y)`` (tuples of Fractions) of a complementary pair of
    bases, or ``None`` if it is not one (:func:`verify_bases_integer`)."""
    got = verify_bases_integer(game, P_basic, Q_basic)
    if got is None:
        return None
    return strategies_of(got[0], game.m), strategies_of(got[1], game.n)


def strategies_of(support, size: int) -> tuple:
    """The exact mixed strategy (a tuple of Fractions) of an integer support
    ``(indices, numerators, total)``."""
    out = [Fraction(0)] * size
    idx, num, tot = support
    for i, v in zip(idx, num):
        out[i] = Fraction(v, tot)
    return tuple(out)


def verify_bases_integer(game: IntegerGame, P_basic, Q_basic, missing: int | None = None):
    """The exact equilibrium of a complementary pair of bases, or ``None`` if it is not one.

    ``missing``: a label allowed to be basic in both polytopes (the dropped label
    of a Lemke-Howson path that has not ended); the pair is then accepted only
    when that label's variable or slack is exactly zero at one of the two
    vertices (a degenerate vertex pair that is complementary all the same).

    Returns the two strategies as integer supports ``((I, x_num, x_total), (J, y_num,
    y_total))``: ``x_i = x_num[k] / x_total`` for ``i = I[k]``, zero elsewhere.

    Re-solves the vertex of P that the basis ``P_basic`` (labels) defines -- the
    basic ``x_I`` with the tight columns ``J`` (nonbasic slacks):
    ``B[I, J]^T x_I = 1`` -- and the vertex of Q likewise, exactly; then checks
    ``x >= 0``, ``B^T x <= 1``, ``y >= 0``, ``A y <= 1`` and that every label is
    zero in ``x`` or in ``y``.  Those facts prove that the normalised pair is a
    Nash equilibrium, whatever arithmetic found the bases.
    """
    m, n = game.m, game.n
    PB = np.zeros(m + n, dtype=bool)
    QB = np.zeros(m + n, dtype=bool)
    PB[np.asarray(P_basic, dtype=np.intp)] = True
    QB[np.asarray(Q_basic, dtype=np.intp)] = True
    I = np.flatnonzero(PB[:m]).tolist()                  # basic x
    J = np.flatnonzero(~PB[m:]).tolist()                 # tight columns (nonbasic s_j)
    Jq = np.flatnonzero(QB[m:]).tolist()                 # basic y
    Iq = np.flatnonzero(~QB[:m]).tolist()                # tight rows (nonbasic r_i)
    if len(I) != len(J) or len(Jq) != len(Iq) or not I or not Jq:
        return None
    # complementarity: label i needs x_i = 0 (i nonbasic in P) or r_i = 0 (nonbasic in Q)
    both = np.flatnonzero(PB & QB).tolist()
    if both and both != [missing]:
        return None
    x = _vertex(game, "B", I, J, transpose=True)
    if x is None:
        return None
    y = _vertex(game, "A", Iq, Jq, transpose=False)
    if y is None:
        return None
    if both and not _label_zero(game, missing, (I, x), (Jq, y)):
        return None
    return (tuple(I), tuple(x[0]), sum(x[0])), (tuple(Jq), tuple(y[0]), sum(y[0]))


def _label_zero(game, label, xs, ys) -> bool:
    """Whether ``label`` is exactly zero at the vertex pair ``xs = (I, (x_num, x_den))``,
    ``ys = (J, (y_num, y_den))`` (polytope coordinates ``num / den``): its strategy's
    coordinate (``x_i`` or ``y_j``) or its slack (``1 - (A y)_i`` or ``1 - (B^T x)_j``)."""
    (I, (xn, xd)), (J, (yn, yd)) = xs, ys
    if label < game.m:
        i = label
        if i in I and xn[I.index(i)] == 0:
            return True
        return (game.rows("A", [i], J) @ np.array(yn, dtype=object)).tolist()[0] == yd
    j = label - game.m
    if j in J and yn[J.index(j)] == 0:
        return True
    return (np.array(xn, dtype=object) @ game.rows("B", I, [j])).tolist()[0] == xd


def _vertex(game, which, rows, cols, transpose):
    """Solve the tight system of one polytope and check its feasibility, exactly.

    P (``which="B"``, ``transpose``): ``sum_{i in rows} B[i, j] x_i = 1`` for ``j in
    cols``; feasible when ``x >= 0`` and ``sum_i B[i, j] x_i <= 1`` for every other
    column.  Q: ``sum_{j in cols} A[i, j] y_j = 1`` for ``i in rows`` likewise.
    Returns ``(num, den)`` or ``None``.
    """
    M64 = game.B64 if which == "B" else game.A64
    if M64 is not None and len(rows) and _modular_kernel() is not None:
        # int64 payoffs: the system solved modulo primes and checked exactly, the other
        # constraints screened in floats with a rounding bound
        if transpose:
            sub = M64[np.asarray(rows, dtype=np.intp)]                    # |rows| x n
            tight = cols
        else:
            sub = M64[:, np.asarray(cols, dtype=np.intp)].T               # |cols| x m
            tight = rows
        G = np.ascontiguousarray(sub[:, np.asarray(tight, dtype=np.intp)].T)
        sol = solve_integer_modular(G, np.ones(len(tight), dtype=np.int64))
        if sol is None:
            return None
        num, den = sol
        if any(v < 0 for v in num) or sum(num) == 0:
            return None
        return (num, den) if _within(sub, num, den, tight) else None
    if transpose:
        sub = game.rows("B", rows)                  # |rows| x n, Python ints
        G = sub[:, cols].T
    else:
        sub = game.rows("A", range(game.m), cols).T  # |cols| x m
        G = sub[:, rows].T
    sol = solve_integer(G, [1] * len(rows if not transpose else cols))
    if sol is None:
        return None
    num, den = sol
    if any(v < 0 for v in num) or sum(num) == 0:
        return None
    # every constraint at the solution: sub^T num <= den (those in the system hold with equality)
    tot = np.asarray(num, dtype=object) @ sub
    if any(t > den for t in tot.tolist()):
        return None
    return num, den


#: unit roundoff of float64
_U = 2.0 ** -53
#: constraint blocks with at most this many entries are summed exactly without a float screen
_EXACT_BELOW = 256


def _within(sub64, num, den, tight) -> bool:
    """Whether ``num @ sub64 <= den`` in every column, exactly (``num`` Python ints >= 0,
    ``den > 0``; the columns ``tight`` hold with equality already).

    Screened in float64: with ``t`` the float sum of ``float(num_i) sub_ij``,
    ``|t - exact| <= gamma_{k+2} sum |num_i| |sub_ij|`` (Higham, the conversion
    of ``num`` included; the bound doubled for its own rounding), so a column
    with ``t`` plus that bound below ``den (1 - 4u)`` holds; the other columns
    are summed exactly.  Needs entries below ``2^53`` (exact in float64) and
    sums far from overflow, else everything is summed exactly.
    """
    k = len(num)
    unsure = np.ones(sub64.shape[1], dtype=bool)
    big = max(max(num).bit_length(), den.bit_length())
    amax = int(np.max(np.abs(sub64))) if sub64.size > _EXACT_BELOW else 0
    if sub64.size > _EXACT_BELOW and amax < 2 ** 53 and \
            big + amax.bit_length() + k.bit_length() < 1000:
        nf = np.array([float(v) for v in num])
        S = sub64.astype(np.float64)
        t = nf @ S
        gamma = (k + 2) * _U / (1.0 - (k + 2) * _U)
        err = 2.0 * gamma * (nf @ np.abs(S))
        unsure = ~(t + err < float(den) * (1.0 - 4.0 * _U))
    unsure[np.asarray(tight, dtype=np.intp)] = False
    cols = np.flatnonzero(unsure)
    if cols.size == 0:
        return True
    tot = np.asarray(num, dtype=object) @ sub64[:, cols].astype(object)
    return not any(t > den for t in tot.tolist())


def _modular_kernel():
    """The compiled modular elimination, or ``None`` without Numba."""
    return _numba_kernel("solve_mod_primes")


#: compiled kernels found so far (``None``: Numba is missing)
_KERNELS: dict = {}


def _is_prime(n: int) -> bool:
    """Deterministic Miller-Rabin for ``n < 3.4e14`` (bases 2, 3, 5, 7, 11, 13, 17)."""
    if n < 2:
        return False
    for p in (2, 3, 5, 7, 11, 13, 17):
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in (2, 3, 5, 7, 11, 13, 17):
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


#: the primes below 2^31 in decreasing order, extended on demand (residues multiply in int64)
_PRIMES: list = []


def _primes(count: int) -> np.ndarray:
    if len(_PRIMES) < count:
        n = _PRIMES[-1] - 2 if _PRIMES else (1 << 31) - 1
        while len(_PRIMES) < count:
            if _is_prime(n):
                _PRIMES.append(n)
            n -= 2
    return np.array(_PRIMES[:count], dtype=np.int64)


#: systems up to this size are solved by :func:`_solve_small`
_SMALL = 4


def _solve_small(G: list, rhs: list):
    """:func:`solve_integer` on lists of Python ints (fraction-free Gauss-Jordan, each
    division exact by the previous pivot): ``(num, den)`` or ``None`` when singular."""
    k = len(rhs)
    M = [list(row) + [r] for row, r in zip(G, rhs)]
    d = 1
    for c in range(k):
        piv = next((i for i in range(c, k) if M[i][c] != 0), None)
        if piv is None:
            return None
        if piv != c:
            M[c], M[piv] = M[piv], M[c]
        p = M[c][c]
        row = M[c]
        for i in range(k):
            if i != c:
                f = M[i][c]
                M[i] = [(p * a - f * b) // d for a, b in zip(M[i], row)]
        d = p
    det = M[k - 1][k - 1] if k else 1
    num = [M[i][k] for i in range(k)]
    if det < 0:
        det, num = -det, [-v for v in num]
    return num, det


@functools.lru_cache(maxsize=64)
def _crt_basis(count: int):
    """``(M, c)`` for the first ``count`` primes: ``M`` their product, ``c_q = 1`` modulo
    prime ``q`` and ``0`` modulo the others (an object array)."""
    plist = _primes(count).tolist()
    mod = math.prod(plist)
    coef = []
    for p in plist:
        rest = mod // p
        coef.append(rest * pow(rest % p, -1, p))
    return mod, np.array(coef, dtype=object)


def solve_integer_modular(G, rhs):
    """:func:`solve_integer` for int64 systems: ``(num, den)`` or ``None`` when singular.

    ``det G`` and the Cramer numerators ``det(G_i)`` are computed modulo enough
    primes below 2^31 (compiled Gaussian elimination) that their product
    exceeds twice Hadamard's bound on every ``k x k`` minor of ``[G | rhs]``,
    and rebuilt by the Chinese remainder theorem; the result is then checked
    exactly (``G num == den rhs`` in Python integers).  Falls back to
    :func:`solve_integer` when a prime divides the determinant, the kernel is
    missing, or the check fails.
    """
    G = np.asarray(G, dtype=np.int64)
    rhs = np.asarray(rhs, dtype=np.int64)
    if G.shape[0] <= _SMALL:
        # a few Python-integer operations beat the kernel's call and the reconstruction
        return _solve_small(G.tolist(), rhs.tolist())
    kernel = _modular_kernel()
    if kernel is None:
        return solve_integer(G.astype(object), rhs.tolist())
    Gf = G.astype(np.float64)
    norms = np.sqrt(np.einsum("ij,ij->i", Gf, Gf) + rhs.astype(np.float64) ** 2)
    if not bool(np.all(norms > 0)):
        return None                   # a zero row of [G | rhs]: G is singular
    # log2 of Hadamard's bound, with room for the float rounding of the logarithms
    bits = float(np.sum(np.log2(norms))) * (1.0 + 1e-12) + 4.0
    count = int(bits // 30) + 1       # primes exceed 2^30
    primes = _primes(count)
    det, num, ok = kernel(G, rhs, primes)
    if not bool(ok.all()):
        return solve_integer(G.astype(object), rhs.tolist())
    # Chinese remainder: value = sum_q r_q c_q mod prod(primes), c_q = 1 mod p_q, 0 mod the others
    mod, coef = _crt_basis(count)
    res = np.concatenate([det[:, None], num], axis=1).T.astype(object)   # (k + 1) x P
    vals = [v % mod for v in (res @ coef).tolist()]
    half = mod // 2
    vals = [v - mod if v > half else v for v in vals]
    d, nums = vals[0], vals[1:]
    if d < 0:
        d, nums = -d, [-v for v in nums]
    if d == 0 or (G.astype(object) @ np.array(nums, dtype=object)).tolist() != \
            [d * int(r) for r in rhs.tolist()]:
        return solve_integer(G.astype(object), rhs.tolist())
    return nums, d


def exact_report(game: IntegerGame, x, y, equilibrium: bool = False, supports=None) -> dict:
    """Exact gains and payoffs of the profile ``(x, y)`` (tuples of Fractions summing to 1).

    Returns Fractions in the game's own payoffs (the integer scale and shift of
    :class:`IntegerGame` undone exactly): ``row_gain = max_i (A y)_i - x^T A y``,
    ``column_gain`` likewise, ``row_payoff = x^T A y``, ``column_payoff``, and
    ``row_best = max_i (A y)_i``, ``column_worst = min_j (x^T A)_j`` of the row
    player's payoffs (the value bracket of a zero-sum game).  With
    ``equilibrium=True`` the profile is known to be an equilibrium (proved by
    :func:`verify_bases` or by exact pivoting): the gains are 0 and only the
    payoffs on the supports are computed.  ``supports``: the two strategies as integer
    supports (:func:`verify_bases_integer`), which saves reading them off the Fractions.
    """
    if supports is not None:
        (I, xn, qx), (J, yn, qy) = supports
        I, J = list(I), list(J)
        xn, yn = np.array(xn, dtype=object), np.array(yn, dtype=object)
    else:
        I = [i for i, v in enumerate(x) if v]
        J = [j for j, v in enumerate(y) if v]
        # integer numerators over one common denominator per strategy: one Fraction at the end
        qx = math.lcm(*(x[i].denominator for i in I))
        qy = math.lcm(*(y[j].denominator for j in J))
        xn = np.array([int(x[i] * qx) for i in I], dtype=object)
        yn = np.array([int(y[j] * qy) for j in J], dtype=object)
    pay = []
    for which, shift, L in (("A", game.shiftA, game.LA), ("B", game.shiftB, game.LB)):
        tot = int(xn @ game.rows(which, I, J) @ yn)
        pay.append((Fraction(tot, qx * qy) - shift) / L)
    out = {"row_payoff": pay[0], "column_payoff": pay[1]}
    if equilibrium:
        out.update(row_gain=Fraction(0), column_gain=Fraction(0), row_best=pay[0],
                   column_worst=pay[0])
        return out
    A, B = game.exact()
    # pure-strategy payoffs against the opponent's exact strategy, over its common denominator
    vecs = []
    for M, other in ((A, y), (B.T, x)):
        q = math.lcm(*(f.denominator for f in other))
        vecs.append(((M @ np.array([int(f * q) for f in other], dtype=object)).tolist(), q))
    (Ay, qa), (BTx, qb) = vecs
    out["row_gain"] = (Fraction(max(Ay), qa) - game.shiftA) / game.LA - pay[0]
    out["column_gain"] = (Fraction(max(BTx), qb) - game.shiftB) / game.LB - pay[1]
    out["row_best"] = (Fraction(max(Ay), qa) - game.shiftA) / game.LA
    qx = math.lcm(*(f.denominator for f in x))
    xA = (np.array([int(f * qx) for f in x], dtype=object) @ A).tolist()
    out["column_worst"] = (Fraction(min(xA), qx) - game.shiftA) / game.LA
    return out


# -- vertex enumeration ------------------------------------------------------------------------
def polytope_vertices(G, var_labels, slack_labels, n_labels: int):
    """Every vertex of ``{z >= 0 : G z <= 1}`` (``G`` integer, bounded polytope), exactly.

    Visits every lexicographically feasible basis once (depth first from the
    all-slack basis, neighbours by the lexicographic ratio test): they are the
    vertices of the perturbed polytope, which is simple and connected, and every
    vertex of the polytope is the limit of one of them.  Returns
    ``(coords, labels)``: a list of exact coordinate tuples (Fractions) and a
    boolean array (vertices x ``n_labels``) of the labels present at each vertex
    (a variable or slack equal to zero), each vertex once.
    """
    tab = Tableau.start(G, var_labels, slack_labels, exact=True)
    n_vars = len(var_labels)
    var_index = {lab: k for k, lab in enumerate(var_labels)}
    seen = {tab.key}
    stack = [tab]
    coords, label_rows, index = [], [], {}
    cols = range(1, n_vars + 1)
    while stack:
        t = stack.pop()
        d = t.d
        vec = [0] * n_vars
        present = np.ones(n_labels, dtype=bool)
        for i, lab in enumerate(t.basic):
            v = t.M[i, 0]
            if v != 0:
                present[lab] = False
                if lab in var_index:
                    vec[var_index[lab]] = v
        # the vertex is vec / d: reduced integers make a cheap exact key
        g = math.gcd(d, *vec)
        key = (d // g,) + tuple(v // g for v in vec)
        if key not in index:
            index[key] = len(coords)
            coords.append(tuple(Fraction(v, key[0]) for v in key[1:]))
            label_rows.append(present)
        for c in cols:
            r = t.leaving_row(c)
            if r is None:
                raise ArithmeticError("the best-response polytope is unbounded")
            nk = t.key ^ (1 << t.basic[r]) ^ (1 << t.nonbasic[c])
            if nk in seen:
                continue
            seen.add(nk)
            child = t.copy()
            child.pivot(r, c)
            stack.append(child)
    labels = np.array(label_rows, dtype=bool).reshape(len(coords), n_labels)
    return coords, labels


def vertex_enumeration(game: IntegerGame):
    """Every extreme Nash equilibrium, exactly: the complementary pairs of vertices of P and Q.

    As lrsnash does, only one polytope is enumerated in full -- the one of the
    player with fewer strategies, of lower dimension; for each of its vertices
    the other player's strategy may be positive only on the strategies whose
    label that vertex has, so only the vertices of that face of the other
    polytope are enumerated (cached by face), and the complementary ones kept.
    Returns a list of ``(x, y)`` (tuples of Fractions, normalised), sorted.
    Correct on degenerate games (vertices with more labels than the dimension,
    equilibrium components): every complementary vertex pair is found.
    """
    m, n = game.m, game.n
    A, B = game.exact()
    rows, cols = list(range(m)), list(range(m, m + n))
    if n <= m:
        # Q = {y >= 0 : A y <= 1} in full; x lives on the rows whose label y has
        full = (A, cols, rows)
        other = (B.T, rows, cols)
    else:
        full = (B.T, rows, cols)
        other = (A, cols, rows)
    G, var_labels, slack_labels = full
    Vf, Lf = polytope_vertices(G, var_labels, slack_labels, m + n)
    Go, o_vars, o_slacks = other
    offset = o_vars[0]
    faces = {}
    out = set()
    for v, present in zip(Vf, Lf):
        if not any(v):
            continue  # the artificial vertex 0
        T = tuple(lab for lab in o_vars if present[lab])
        if not T:
            continue
        if T not in faces:
            sub = Go[:, [lab - offset for lab in T]]
            Vo, Lo = polytope_vertices(sub, list(T), list(o_slacks), m + n)
            # the other player's strategies outside T are zero: their labels are present
            Lo[:, [lab for lab in o_vars if lab not in T]] = True
            faces[T] = (Vo, Lo)
        Vo, Lo = faces[T]
        ok = np.flatnonzero(np.all(Lo | present, axis=1))
        sv = sum(v)
        for k in ok.tolist():
            w = Vo[k]
            sw = sum(w)
            if sw == 0:
                continue
            full_w = [Fraction(0)] * len(o_vars)
            for lab, val in zip(T, w):
                full_w[lab - offset] = val / sw
            mine = tuple(val / sv for val in v)
            pair = (tuple(full_w), mine)
            out.add(pair if n <= m else pair[::-1])
    return sorted(out)


# -- support enumeration ---------------------------------------------------------------------------
def support_enumeration(game: IntegerGame):
    """Equilibria with supports of equal size whose indifference systems are nonsingular.

    For every ``k`` and every pair of supports ``|I| = |J| = k``: ``y`` on ``J``
    making the rows ``I`` indifferent (``A[I, J] y_J = u 1``, ``sum y = 1``) and
    ``x`` on ``I`` likewise, kept when both are positive on their supports and
    best responses.  Nondegenerate games have exactly these equilibria; a
    degenerate game can have equilibria with supports of different sizes or
    singular systems, which this does not find (use vertex enumeration).

    Each system is solved in float64 first (all pairs of one size at once) and
    only the pairs whose float solution is not clearly infeasible (by 1e-6 of
    its scale, or whose matrix is too ill-conditioned to tell) are solved and
    checked exactly; everything returned is exact.
    """
    m, n = game.m, game.n
    found = set()
    for k in range(1, min(m, n) + 1):
        rows = list(itertools.combinations(range(m), k))
        cols = list(itertools.combinations(range(n), k))
        R = np.array(rows, dtype=np.intp)
        C = np.array(cols, dtype=np.intp)
        cand = _support_candidates(game, R, C, k)
        for a, b in cand:
            eq = _support_exact(game, rows[a], cols[b])
            if eq is not None:
                found.add(eq)
    return sorted(found)


def _indifference(M, I, J, k):
    """Stacked systems ``[[M[I, J], -1], [1, 0]] (z, u) = (0, 1)`` (float)."""
    S = M[I[:, :, None], J[:, None, :]]                   # (S, k, k)
    out = np.zeros((S.shape[0], k + 1, k + 1))
    out[:, :k, :k] = S
    out[:, :k, k] = -1.0
    out[:, k, :k] = 1.0
    return out


def _support_candidates(game, R, C, k):
    Af, Bf = game.Af, game.Bf
    nr, nc = len(R), len(C)
    ai, bj = np.meshgrid(np.arange(nr), np.arange(nc), indexing="ij")
    ai, bj = ai.ravel(), bj.ravel()
    out = []
    step = max(1, 200_000 // (k + 1) ** 2)
    rhs = np.zeros(k + 1)
    rhs[k] = 1.0
    scale = max(float(np.max(np.abs(Af))), float(np.max(np.abs(Bf))), 1.0)
    for s in range(0, ai.size, step):
        I, J = R[ai[s:s + step]], C[bj[s:s + step]]
        My = _indifference(Af, I, J, k)                   # y on J, rows I indifferent
        Mx = _indifference(Bf.T, J, I, k)                 # x on I, columns J indifferent
        ok = np.ones(I.shape[0], dtype=bool)
        sols = []
        for M in (My, Mx):
            # the 1-norm condition number from the computed inverse (no SVD); systems that are
            # singular in float or have cond_1 above 1e8 are left to the exact solve
            good = np.linalg.det(M) != 0.0
            cond = np.full(M.shape[0], np.inf)
            if good.any():
                try:
                    inv = np.linalg.inv(M[good])
                except np.linalg.LinAlgError:
                    inv = None
                if inv is not None:
                    cond[good] = (np.abs(M[good]).sum(axis=1).max(axis=1)
                                  * np.abs(inv).sum(axis=1).max(axis=1))
            good = cond < 1e8
            sol = np.zeros((M.shape[0], k + 1))
            if good.any():
                sol[good] = np.linalg.solve(M[good], np.broadcast_to(rhs, (int(good.sum()), k + 1))[..., None])[..., 0]
            # an ill-conditioned or singular system is decided in exact arithmetic (a singular
            # one has no unique solution: equal-size supports skip it there)
            sols.append((sol, good))
        (sy, gy), (sx, gx) = sols
        tol = 1e-6
        # y >= 0 on J and no row beats u; x >= 0 on I and no column beats v
        y_full = np.zeros((I.shape[0], game.n))
        np.put_along_axis(y_full, J, sy[:, :k], axis=1)
        x_full = np.zeros((I.shape[0], game.m))
        np.put_along_axis(x_full, I, sx[:, :k], axis=1)
        Ay = y_full @ Af.T
        xB = x_full @ Bf
        feas_y = (sy[:, :k].min(axis=1) > -tol) & (Ay.max(axis=1) <= sy[:, k] + tol * scale)
        feas_x = (sx[:, :k].min(axis=1) > -tol) & (xB.max(axis=1) <= sx[:, k] + tol * scale)
        ok &= (feas_y | ~gy) & (feas_x | ~gx)
        for t in np.flatnonzero(ok).tolist():
            out.append((int(ai[s + t]), int(bj[s + t])))
    return out


def _support_exact(game, I, J):
    """The equilibrium with supports exactly ``I`` and ``J`` (equal sizes), or ``None``."""
    k = len(I)
    # y: A[I, J] y - u 1 = 0, sum y = 1 (the shift of A adds a constant to u only)
    AIJ = game.rows("A", I, J)
    BIJ = game.rows("B", I, J)
    res = []
    for S in (AIJ, BIJ.T):
        G = np.empty((k + 1, k + 1), dtype=object)
        G[:k, :k] = S
        G[:k, k] = -1
        G[k, :k] = 1
        G[k, k] = 0
        sol = solve_integer(G, [0] * k + [1])
        if sol is None:
            return None
        num, den = sol
        if any(v <= 0 for v in num[:k]):
            return None
        res.append((num, den))
    (ny, dy), (nx, dx) = res
    m, n = game.m, game.n
    y = [Fraction(0)] * n
    x = [Fraction(0)] * m
    for j, v in zip(J, ny[:k]):
        y[j] = Fraction(v, dy)
    for i, v in zip(I, nx[:k]):
        x[i] = Fraction(v, dx)
    # best responses, exactly: no pure strategy earns more than the indifferent payoff
    A, B = game.exact()
    yn = np.array([v for v in ny[:k]], dtype=object)
    if any(t > ny[k] for t in (A[:, list(J)] @ yn).tolist()):
        return None
    xn = np.array([v for v in nx[:k]], dtype=object)
    if any(t > nx[k] for t in (xn @ B[list(I), :]).tolist()):
        return None
    return tuple(x), tuple(y)


def integer_game_of(problem) -> IntegerGame:
    """The :class:`IntegerGame` of a dense ``BimatrixGame`` or ``MatrixGame`` (``B = -A``).

    Built once per problem and kept on it (``problem._integer_game``): repeated solves of
    one game (other labels, other methods) skip the exact conversion.
    """
    got = getattr(problem, "_integer_game", None)
    if got is None:
        got = _integer_game_of(problem)
        try:
            problem._integer_game = got
        except AttributeError:
            pass
    return got


def _integer_game_of(problem) -> IntegerGame:
    if hasattr(problem, "exact_input"):
        # a matrix given in floats is its exact binary value (integer-valued ones convert
        # without building a RationalArray)
        RA, RB = (np.asarray(M, dtype=np.float64) if R is None else R
                  for R, M in zip(problem.exact_input, (problem.A, problem.B)))
        return integer_game(RA, RB)
    A = np.asarray(problem.A, dtype=np.float64)
    return integer_game(A, -A)
