"""Lemke-Howson: one exact Nash equilibrium of a two-player game by complementary pivoting.

The path starts at the artificial equilibrium ``(0, 0)`` of the best-response
polytopes, drops one label and pivots, alternately in the two polytopes,
until the missing label comes back (:mod:`eqsolve.problems._pivoting`).  An
iteration of the driver is up to ``pivots_per_step`` pivots, so ``time_limit``,
``max_iter`` and callbacks act between them; the candidate is the current
point of the path (normalised), and, once the path ends, the equilibrium with
its exact strategies.

``pivoting="auto"`` pivots in float64 (compiled with Numba when installed,
the lexicographic rule with ties detected to rounding) and re-solves the final
pair of bases in exact arithmetic (modular elimination and the Chinese
remainder theorem, verified in Python integers), which proves the
equilibrium; if that check fails, or the float path breaks down, the path is
redone in exact integer pivoting from the start.  A vertex pair at which the
dropped label is zero after all (degenerate games) is an equilibrium already
and ends the path there.  ``pivoting="exact"`` pivots exactly from the start.  Either way
the returned point is exact: ``Result.exact`` holds it, and the certificate is
its exact Nash gap (0), with the float certificate of ``z`` in its details.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar, NamedTuple

import numpy as np

from ..certificates import Certificate
from ..problems import BimatrixGame, MatrixGame
from ..problems._pivoting import (LemkeHowsonPath, NumericalFailure, exact_report,
                                  integer_game_of, strategies_of, verify_bases_integer)
from .base import Candidate, Method, Terminated, Traits
from .registry import register

__all__ = ["LemkeHowson", "ExactProfile", "exact_certificate", "check_label"]


class ExactProfile(NamedTuple):
    """An exact profile ``(x, y)`` (tuples of Fractions) of an integer game, and whether it is
    proved to be an equilibrium; ``supports``: the same strategies as integer supports
    (:func:`~eqsolve.problems._pivoting.verify_bases_integer`) when the check produced them."""

    x: tuple
    y: tuple
    game: Any
    equilibrium: bool
    supports: tuple | None = None


class _State(NamedTuple):
    path: LemkeHowsonPath
    profile: ExactProfile | None     # set once the path has ended
    restarts: int                    # exact restarts after a failed float path
    float_pivots: int                # pivots spent in float arithmetic before a restart
    dtype: Any                       # the problem's float dtype (the candidates keep it)


def check_label(label, m: int, n: int) -> int:
    """A label of the game: an integer in ``[0, m + n)``."""
    if isinstance(label, bool) or not isinstance(label, numbers.Integral):
        raise TypeError(f"label must be an integer, got {type(label).__name__}")
    if not 0 <= label < m + n:
        raise ValueError(f"label must lie in [0, {m + n}) for a {m} x {n} game (0..{m - 1}: the "
                         f"row player's strategies, {m}..{m + n - 1}: the column player's), "
                         f"got {label}")
    return int(label)


def _supports(problem) -> str | None:
    why = ("lemke_howson computes equilibria of two-player games given as dense NumPy matrices "
           "(BimatrixGame, MatrixGame)")
    if isinstance(problem, BimatrixGame):
        return None if not problem.chunked and problem.backend == "numpy" else why
    if isinstance(problem, MatrixGame):
        ok = problem.kind == "dense" and problem.batch is None and problem.backend == "numpy"
        return None if ok else why
    return why


@register
@dataclass(frozen=True)
class LemkeHowson(Method):
    """Lemke-Howson complementary pivoting, exact (Lemke & Howson 1964).

    Returns one Nash equilibrium of a :class:`~eqsolve.BimatrixGame` (or an
    exact saddle point of a :class:`~eqsolve.MatrixGame`) with its strategies
    in exact rational arithmetic (``Result.exact``).  Every nondegenerate
    game's path ends at an equilibrium; degenerate games are handled by the
    lexicographic ratio test.  The number of pivots can grow exponentially
    with the game's size (Savani & von Stengel 2006); ``time_limit`` and
    ``max_iter`` bound it.

    Parameters
    ----------
    label : int
        The label dropped at the start: ``0..m-1`` a row strategy,
        ``m..m+n-1`` a column strategy (default 0).  Different labels can
        reach different equilibria; :func:`eqsolve.equilibria` with
        ``method="lemke_howson"`` runs them all.
    pivoting : {"auto", "exact"}
        ``"auto"`` (default): float64 pivoting, then the final bases re-solved
        and checked exactly, with exact pivoting from the start when the check
        fails.  ``"exact"``: integer pivoting (Bareiss) throughout.
    pivots_per_step : int
        Pivots per iteration of the driver (default 1024): the time limit,
        ``max_iter``, callbacks and certificates act between iterations.

    References
    ----------
    C. E. Lemke, J. T. Howson, SIAM J. Appl. Math. 12 (1964) 413-423.
    B. von Stengel, "Computing equilibria for two-person games", Handbook of
    Game Theory 3 (2002), ch. 45.
    R. Savani, B. von Stengel, Econometrica 74 (2006) 397-429.
    """

    name: ClassVar[str] = "lemke_howson"
    summary: ClassVar[str] = ("Lemke-Howson complementary pivoting: one exact Nash equilibrium "
                              "of a two-player game")
    TRAITS: ClassVar[Traits] = Traits(outputs=("last",), default_output="last",
                                      needs_monotone=False, backends=("numpy",))
    label: int = 0
    pivoting: str = "auto"
    pivots_per_step: int = 1024

    @classmethod
    def supports(cls, problem, **options):
        return _supports(problem)

    @classmethod
    def from_options(cls, problem, *, label=0, pivoting="auto", pivots_per_step=1024):
        label = check_label(label, problem.m, problem.n)
        if pivoting not in ("auto", "exact"):
            raise ValueError(f"pivoting must be 'auto' or 'exact', got {pivoting!r}")
        if isinstance(pivots_per_step, bool) or not isinstance(pivots_per_step, numbers.Integral):
            raise TypeError(f"pivots_per_step must be an integer, got "
                            f"{type(pivots_per_step).__name__}")
        if pivots_per_step < 1:
            raise ValueError(f"pivots_per_step must be >= 1, got {pivots_per_step}")
        return cls(label, pivoting, int(pivots_per_step))

    # -- the steps ------------------------------------------------------------------------
    def init(self, problem, oracle, z0):
        game = integer_game_of(problem)
        path = LemkeHowsonPath(game, self.label, exact=self.pivoting == "exact")
        return self._advance(_State(path, None, 0, 0, problem.dtype), fresh=True)

    def step(self, problem, oracle, state):
        if state.profile is not None:
            raise Terminated("converged", "Lemke-Howson ended at an exact equilibrium "
                             "(Result.exact, Nash gap 0); the float point z is its rounding, "
                             "whose float certificate exceeds tol")
        return self._advance(state)

    def _advance(self, state: _State, fresh: bool = False) -> _State:
        path = state.path if fresh else state.path.copy()
        restarts, float_pivots = state.restarts, state.float_pivots
        try:
            path.advance(self.pivots_per_step)
            profile = _ended(path) if path.done else _degenerate_end(path)
        except NumericalFailure:
            profile = None
            path.done = True   # mark the float path as failed: redone exactly below
        if path.done and profile is None:
            # the float path failed or its bases did not check: pivot exactly from the start
            float_pivots += path.pivots
            restarts += 1
            path = LemkeHowsonPath(path.game, self.label, exact=True)
            path.advance(self.pivots_per_step)
            profile = _ended(path) if path.done else _degenerate_end(path)
        return _State(path, profile, restarts, float_pivots, state.dtype)

    def candidates(self, state):
        dtype = state.dtype
        if state.profile is not None:
            p = state.profile
            m = len(p.x)
            z = np.zeros(m + len(p.y), dtype=dtype)
            if p.supports is not None:
                # int / int is correctly rounded: the same floats as the Fractions'
                for (idx, num, tot), off in zip(p.supports, (0, m)):
                    z[[off + i for i in idx]] = [v / tot for v in num]
            else:
                for i, v in enumerate(p.x + p.y):
                    if v:
                        z[i] = v.numerator / v.denominator
            return {"last": Candidate(z, None, p)}
        x, y = state.path.float_point()
        m, n = state.path.game.m, state.path.game.n
        x = np.full(m, 1.0 / m) if x is None else x
        y = np.full(n, 1.0 / n) if y is None else y
        return {"last": Candidate(np.concatenate([x, y]).astype(dtype))}

    def diagnostics(self, state):
        path = state.path
        return {"pivots": state.float_pivots + path.pivots, "label": self.label,
                "pivoting": "exact" if path.exact else "float, checked exactly",
                "exact_restarts": state.restarts, "complementary": state.profile is not None}

    def finalize(self, problem, certificate, at):
        profile = at.exact
        if profile is None:
            # the path did not end (time or iteration limit): the returned point, exactly
            game = integer_game_of(problem)
            profile = ExactProfile(*_exact_of_float(at.z, game.m), game, False)
        return exact_certificate(problem, profile, certificate), {}


def _ended(path: LemkeHowsonPath) -> ExactProfile | None:
    """The exact equilibrium at the end of a path, or ``None`` when the float bases fail the
    exact check."""
    if path.exact:
        x, y = path.exact_point()
        return ExactProfile(x, y, path.game, True)
    got = verify_bases_integer(path.game, *path.bases())
    if got is None:
        return None
    game = path.game
    return ExactProfile(strategies_of(got[0], game.m), strategies_of(got[1], game.n), game,
                        True, got)


def _degenerate_end(path: LemkeHowsonPath) -> ExactProfile | None:
    """The exact equilibrium at the current vertex pair of an unfinished path when the
    dropped label is zero there after all (a degenerate vertex: its variable basic at 0),
    else ``None``.

    Every other label is complementary by the bases, so such a pair is an equilibrium; the
    path would pivot on through degenerate bases, and the driver could stop earlier on the
    float certificate of the (inexact) path point.  Float paths check the pair exactly
    when a value is within 1e-9 of its tableau's scale of zero; exact paths test for 0.
    """
    (vP, sP), (vQ, sQ) = path.missing_values()
    game = path.game
    if path.exact:
        if vP != 0 and vQ != 0:
            return None
        x, y = path.exact_point()
        return None if x is None or y is None else ExactProfile(x, y, game, True)
    if abs(vP) > 1e-9 * sP and abs(vQ) > 1e-9 * sQ:
        return None
    got = verify_bases_integer(game, *path.bases(), missing=path.label)
    if got is None:
        return None
    return ExactProfile(strategies_of(got[0], game.m), strategies_of(got[1], game.n), game,
                        True, got)


def _exact_of_float(z, m: int):
    """The float point as exact mixed strategies: each block's binary values, normalised."""
    z = np.maximum(np.asarray(z, dtype=np.float64), 0.0)
    out = []
    for v in (z[:m], z[m:]):
        f = [Fraction(float(a)) for a in v]
        s = sum(f)
        out.append(tuple(a / s for a in f) if s else tuple(Fraction(1, len(f)) for _ in f))
    return tuple(out)


def _up(f: Fraction) -> float:
    """The smallest float >= ``f``."""
    v = float(f)
    return v if Fraction(v) >= f else math.nextafter(v, math.inf)


def _down(f: Fraction) -> float:
    v = float(f)
    return v if Fraction(v) <= f else math.nextafter(v, -math.inf)


def exact_certificate(problem, profile: ExactProfile, float_certificate=None) -> Certificate:
    """The certificate of an exact profile: its Nash gap (duality gap for a zero-sum game)
    computed in rational arithmetic, rounded up to a float.

    ``details``: ``exact_point`` (the strategies), ``exact_gap``, ``exact_gains``
    (Fractions), the payoffs as floats (``row_payoff``/``column_payoff``, or
    ``payoff`` and ``value_bounds`` for a zero-sum game), ``exact_payoffs``, and
    ``float_certificate`` (the float certificate of the rounded point, when given).
    """
    rep = exact_report(profile.game, profile.x, profile.y, equilibrium=profile.equilibrium,
                       supports=profile.supports)
    gap = rep["row_gain"] + rep["column_gain"]
    details = {"exact_point": (profile.x, profile.y), "exact_gap": gap,
               "exact_gains": (rep["row_gain"], rep["column_gain"])}
    if isinstance(problem, MatrixGame):
        kind = "duality_gap"
        details.update(payoff=float(rep["row_payoff"]), exact_payoffs=(rep["row_payoff"],),
                       value_bounds=(_down(rep["column_worst"]), _up(rep["row_best"])))
    else:
        kind = "nash_gap"
        details.update(row_payoff=float(rep["row_payoff"]),
                       column_payoff=float(rep["column_payoff"]),
                       exact_payoffs=(rep["row_payoff"], rep["column_payoff"]))
    if float_certificate is not None:
        details["float_certificate"] = float_certificate
    return Certificate(kind, _up(gap), "exact", 0.0, details)
