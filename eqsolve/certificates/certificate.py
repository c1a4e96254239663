"""The certificate object every solve returns, and the interface of region certificates."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Protocol, runtime_checkable

__all__ = ["Certificate", "KINDS", "RegionCertificate", "certify_region", "set_region_certifier"]

#: what each kind of certified residual is and what it bounds
KINDS = {
    "duality_gap": (
        "max_i (A y)_i - min_j (x^T A)_j: zero exactly at a saddle point; "
        "the game value lies in [min_j (x^T A)_j, max_i (A y)_i] and |x^T A y - value| <= gap"
    ),
    "nash_conv": (
        "max_{x' in X} x'^T A y - min_{y' in Y} x^T A y' over the two treeplexes of an "
        "extensive-form zero-sum game: the sum of both players' best-response gains "
        "(OpenSpiel's NashConv; exploitability is half of it), zero exactly at an equilibrium; "
        "the game value lies in details['value_bounds']"
    ),
    "nash_gap": (
        "sum over players of the best-response improvement: zero exactly at a Nash "
        "equilibrium; no player gains more than it by deviating"
    ),
    "gap_function": (
        "max over the domain of <F(z), z - w>: >= 0, zero exactly at a solution of a "
        "monotone VI; for convex-concave saddle problems it bounds the duality gap"
    ),
    "natural_residual": (
        "||z - P_Z(z - F(z))||: zero exactly at a solution of the VI; for a mu-strongly "
        "monotone, L-Lipschitz F the distance to the solution is at most (1+L)/mu times it"
    ),
    "exploitability": (
        "regularised exploitability E_beta(pi) of a preference game (closed-form best "
        "response): >= 0, zero exactly at the regularised equilibrium; twice it is the "
        "duality gap of the symmetric game at (pi, pi)"
    ),
    "best_response_residual": (
        "max_q ||p_q - BR_q(p_-q)||_2 (power control: the water-filling response): zero exactly "
        "at a Nash equilibrium; details give the rate exploitability and, when the water-filling "
        "map is a certified contraction, a bound on the distance to the unique equilibrium"
    ),
    "objective_bracket": (
        "|hi - lo'| + primal infeasibility + dual infeasibility of a linear program at (x, y): "
        "zero exactly at an optimal primal-dual pair. details['objective_bounds'] = (lo, hi): lo "
        "<= optimum always (weak duality at y, rounded down; -inf where an infinite bound meets "
        "a reduced cost of the wrong sign), hi = c^T x rounded up, an upper bound on the optimum "
        "of the LP loosened by details['primal_infeasibility'] (the largest constraint violation "
        "at x, rounded up); lo' = details['corrected_lower_bound'] bounds the LP whose cost "
        "moves by at most details['dual_infeasibility'] (equal to lo when that is 0)"
    ),
    "saddle_gap": (
        "max_{y' in Y} L(x, y') - min_{x' in X} L(x', y) of a bilinear saddle problem (conjugates "
        "in closed form, rounded up): >= 0, zero exactly at a saddle point; the saddle value "
        "lies in details['value_bounds']"
    ),
    "operator_norm": (
        "||F(z)|| on an unconstrained problem: zero exactly at a solution; for a mu-strongly "
        "monotone F the distance to the solution is at most ||F(z)||/mu"
    ),
    "ce_gap": (
        "max over players p and strategy pairs (a, b) of sum_{s: s_p = a} mu(s) (u_p(b, s_-p) - "
        "u_p(s)), or 0: zero exactly at a correlated equilibrium; no player gains more than it "
        "by switching from a recommended strategy to another"
    ),
    "cce_gap": (
        "max over players p and strategies b of sum_s mu(s) (u_p(b, s_-p) - u_p(s)), or 0: zero "
        "exactly at a coarse correlated equilibrium; no player gains more than it by committing "
        "to a fixed strategy before the draw (the largest average external regret of the play "
        "when mu is the empirical play of learners)"
    ),
}


@dataclass(frozen=True)
class Certificate:
    """A residual computed exactly at one point, and what it proves.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS` (``"duality_gap"``, ``"nash_gap"``, ...).
    value : float
        The certified residual.  It includes ``rounding``, an upper bound on
        the floating-point error of its own evaluation, so that it is an honest
        bound for the exact arithmetic quantity.
    point : str
        Which point was certified: ``"last"`` (last iterate), ``"average"``
        (ergodic average), ``"given"`` (a point the user brought) or ``"exact"``
        (the exact point ``details["exact_point"]``, certified in rational
        arithmetic; ``rounding`` is then 0 and ``value`` the exact residual
        rounded up).
    rounding : float
        The floating-point allowance included in ``value``.
    details : dict
        Further exact quantities (value bounds, best-response payoffs, other
        residuals, distance bounds and the assumptions they rest on).
    """

    kind: str
    value: float
    point: str = "given"
    rounding: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def bounds(self) -> str:
        """Plain-language statement of what this residual bounds."""
        return KINDS.get(self.kind, self.kind)

    @property
    def finite(self) -> bool:
        return math.isfinite(self.value)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind,
            "value": self.value,
            "point": self.point,
            "rounding": self.rounding,
            "bounds": self.bounds,
            "details": {k: _jsonable(v) for k, v in self.details.items()},
        }

    def __str__(self) -> str:
        lines = [f"{self.kind} = {self.value:.6e}  (at the {self.point} point; "
                 f"includes a rounding allowance of {self.rounding:.1e})",
                 f"  bounds: {self.bounds}"]
        for k, v in self.details.items():
            lines.append(f"  {k}: {_fmt(v)}")
        return "\n".join(lines)


def _fmt(v) -> str:
    if isinstance(v, list) and v and isinstance(v[0], Certificate):
        return f"[{len(v)} certificates, largest {max(c.value for c in v):.6e}]"
    if isinstance(v, float):
        return f"{v:.6e}"
    if isinstance(v, tuple):
        return "(" + ", ".join(_fmt(a) for a in v) + ")"
    return str(v)


def _jsonable(v):
    if isinstance(v, Certificate):
        return v.to_dict()
    if isinstance(v, Fraction):
        # exact numbers as their exact text ("-3/4"), never a rounded float
        return str(v)
    if isinstance(v, (tuple, list)):
        return [_jsonable(a) for a in v]
    if isinstance(v, dict):
        return {k: _jsonable(a) for k, a in v.items()}
    return v


@runtime_checkable
class RegionCertificate(Protocol):
    """A proof that the flow of a game contracts on a region, as the certified flows use it.

    The flows (``projected_euler``, ``rk4``) take their default step, their
    warnings and the distance bound of the returned point from such an object.
    :class:`eqsolve.SmallGainCertificate` is one.  The interface lives here,
    below the methods, so that the methods never import the analysis that
    computes it.

    Attributes
    ----------
    game, region : Problem, Product
        What is certified: the game, and the product set Ω it contracts on.
    geometry : str
        ``"euclidean"``, or ``"metric"`` for the game's own metric.
    verdict, reason : str
        ``"certified"``, ``"empirical"`` or ``"not certified"``, and why.
    alpha : float
        The contraction rate of the flow in the certificate's metric.
    euler_step, euler_step_max : float
        The default projected-Euler step and the end of the certified range.
    rk4 : dict
        ``step``, ``rigorous_step_max`` (None without a proof) and ``factor``.
    """

    game: Any
    region: Any
    geometry: str
    verdict: str
    reason: str
    alpha: float
    rk4: dict

    @property
    def euler_step(self) -> float: ...

    @property
    def euler_step_max(self) -> float: ...

    def euler_factor(self, h: float | None = None) -> float:
        """The Euler map's contraction factor at step ``h`` in the certificate's metric."""

    def distance_bound(self, z, Fz=None) -> dict:
        """An a-posteriori bound on the distance from ``z`` to the equilibrium in the region."""


_certifier: Callable[..., RegionCertificate] | None = None


def set_region_certifier(certifier: Callable[..., RegionCertificate]) -> None:
    """Make ``certifier(game, region, geometry=...)`` the one :func:`certify_region` calls.

    The front module installs Small-Gain Nash (:func:`eqsolve.small_gain`)
    when eqsolve is imported: the layer that computes region certificates sits
    above the methods that consume them.
    """
    global _certifier
    if not callable(certifier):
        raise TypeError(f"certifier must be callable, got {type(certifier).__name__}")
    _certifier = certifier


def certify_region(game, region, *, geometry: str = "euclidean") -> RegionCertificate:
    """A :class:`RegionCertificate` of ``game`` on ``region`` (None: the certifier's default).

    Examples
    --------
    >>> import eqsolve as eq
    >>> cert = certify_region(eq.QuadraticGame([[1.0, 10.0], [0.05, 1.0]], blocks=[1, 1]), None)
    >>> cert.verdict, isinstance(cert, RegionCertificate)
    ('certified', True)
    """
    if _certifier is None:
        raise RuntimeError("no region certifier is installed: import eqsolve, whose front module "
                           "installs Small-Gain Nash (eqsolve.small_gain)")
    return _certifier(game, region, geometry=geometry)
