"""Extragradient and mirror prox (Euclidean and entropic), fixed or adaptive steps.

Both take, from :math:`z_t` with mirror coordinates :math:`u_t`,

.. math::

    z_{t+1/2} = P_{z_t}(\\eta_t F(z_t)), \\qquad z_{t+1} = P_{z_t}(\\eta_t F(z_{t+1/2})),

where :math:`P_z(\\xi) = \\arg\\min_{w \\in Z} \\langle \\xi, w\\rangle + D(w, z)` is the
prox step of the geometry (projection for Euclidean, softmax in log space for
entropic).  The ergodic average :math:`\\bar z_T = \\sum_t \\eta_t z_{t+1/2} /
\\sum_t \\eta_t` enjoys gap :math:`\\le \\max_u D(u, z_0) / \\sum_t \\eta_t` for
monotone Lipschitz F.

Adaptive steps (the default) need no Lipschitz constant: a trial step is
accepted when

* extragradient: :math:`\\eta\\|F(z_{t+1/2}) - F(z_t)\\| \\le c\\,\\|z_{t+1/2} - z_t\\|`;
* mirror prox: :math:`\\eta\\langle F(z_{t+1/2}) - F(z_t), z_{t+1/2} - z_{t+1}\\rangle
  \\le c\\,(D(z_{t+1}, z_{t+1/2}) + D(z_{t+1/2}, z_t))` (Nemirovski's rule with a
  margin ``c``),

otherwise halved; after an accepted step it may grow by ``growth``.  Both
tests are exactly the inequality the convergence proof uses, so the
guarantee with :math:`\\sum_t \\eta_t` holds for the accepted steps.

References
----------
.. [1] G. M. Korpelevich, "The extragradient method for finding saddle points
   and other problems", Ekonomika i Mat. Metody 12 (1976) 747-756.
.. [2] A. Nemirovski, "Prox-method with rate of convergence O(1/t) for variational
   inequalities with Lipschitz continuous monotone operators and smooth
   convex-concave saddle point problems", SIAM J. Optim. 15 (2004) 229-251.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, ClassVar, NamedTuple

from .._validation import check_max_iter, check_positive
from ..backend import finfo_eps, namespace, to_float
from ._kernels import numba_geometry
from .base import Candidate, Method, NonFiniteError, StepCollapsedError, Traits
from .registry import register

__all__ = ["Extragradient", "MirrorProx", "ProxState", "has_simplex"]


class ProxState(NamedTuple):
    u: Any  # mirror coordinates of z_t
    z: Any  # z_t
    Fz: Any  # F(z_t), reused by the next step and by the certificate
    eta: float  # step to try next
    avg_sum: Any  # sum_t eta_t z_{t+1/2}
    avg_weight: float
    backtracks: int
    last_eta: float


def has_simplex(domain) -> bool:
    """Whether ``domain`` is, or has a block that is, a simplex (the entropic geometry applies)."""
    if domain.entropic:
        return True
    return any(b.entropic for b in getattr(domain, "blocks", ()))


@dataclass(frozen=True)
class ProxMethod(Method):
    """Options and shared steps of the prox methods (extragradient, mirror prox, optimistic).

    Parameters
    ----------
    step : float, optional
        The first (adaptive) or fixed step; by default ``1/L`` from the
        problem's Lipschitz constant in the geometry's norm (optimistic: half
        of it), or 1 when the problem knows none.
    adaptive : bool, optional
        Backtrack on the method's acceptance test (default: ``True`` unless
        ``step`` is given).
    geometry : {"auto", "euclidean", "entropic"}, optional
        The prox geometry; ``"auto"`` is entropic on simplices and Euclidean
        elsewhere (extragradient: Euclidean only).
    growth : float
        Factor (>= 1) by which an adaptive step grows after a clear pass.
    c : float
        Margin in (0, 1) of the acceptance test.
    max_backtracks : int
        Halvings of one step before the solve ends as ``"stalled"``.
    backend : {"numpy", "numba"}
        ``"numba"`` runs the simplex steps with the compiled kernels.

    Attributes
    ----------
    geometry : Geometry
        The prox geometry chosen (its ``name`` is ``"euclidean"`` or ``"entropic"``).
    eta0 : float
        The first step: ``step``, or ``step_scale / L`` (1 when ``L`` is unknown).
    adaptive, growth, c, max_backtracks, backend
        As given (``growth`` is 1 for a fixed step).
    shrink : float
        The factor (0.5) applied to a step that fails the acceptance test.
    eta_min : float
        ``1e-12 * eta0``: a step below it ends the solve as ``"stalled"``.
    lipschitz : float or None
        The problem's Lipschitz constant in the geometry's norm, used for the
        default step and for the warning on a fixed step beyond the guarantee.
    """

    TRAITS: ClassVar[Traits] = Traits(restart=True, backends=("numpy", "cupy", "numba"))
    default_geometry: ClassVar[str] = "auto"
    #: the largest fixed step the guarantee allows, times L, and its name
    step_limit: ClassVar[tuple] = (1.0, "1/L")
    #: the default step, times 1/L
    step_scale: ClassVar[float] = 1.0

    geometry: Any
    eta0: float
    adaptive: bool
    growth: float
    shrink: float
    c: float
    eta_min: float
    max_backtracks: int
    lipschitz: float | None
    backend: str = "numpy"

    @classmethod
    def supports(cls, problem, **options):
        return None

    @classmethod
    def check_geometry(cls, geometry):
        return geometry

    @classmethod
    def from_options(cls, problem, *, step=None, adaptive=None, geometry=None, growth=1.2,
                     c=0.9, max_backtracks=60, backend=None):
        geometry = cls.default_geometry if geometry is None else geometry
        if geometry == "auto":
            geometry = "entropic" if has_simplex(problem.domain) else "euclidean"
        geometry = cls.check_geometry(geometry)
        geo = problem.domain.geometry(geometry)
        if backend == "numba":
            geo = numba_geometry(geo)
        if problem.interior_only and geo.name != "entropic":
            raise TypeError(f"{cls.name} with geometry={geometry!r} needs an operator defined on "
                            f"the boundary; {problem!r} is defined only inside its domain: use "
                            "method='mirror_prox' or 'optimistic' with the entropic geometry")
        L = problem.lipschitz_entropic if geometry == "entropic" else problem.lipschitz
        if step is not None:
            step = check_positive("step", step)
        adaptive = (step is None) if adaptive is None else bool(adaptive)
        if not adaptive and step is None:
            if L is None:
                raise ValueError("a fixed step needs step= or a problem with a known Lipschitz "
                                 "constant L")
            # L = 0: F is constant on the domain, and every step is safe
            step = cls.step_scale / L if L > 0 else 1.0
        growth = check_positive("growth", growth)
        if growth < 1.0:
            raise ValueError(f"growth must be >= 1, got {growth}")
        c = check_positive("c", c)
        if c >= 1.0:
            raise ValueError(f"c must lie in (0, 1), got {c}")
        eta0 = step if step is not None else cls.step_scale * (1.0 / L if L else 1.0)
        return cls(geo, eta0, adaptive, growth if adaptive else 1.0, 0.5, c, eta0 * 1e-12,
                   check_max_iter(max_backtracks, "max_backtracks", 0), L, backend or "numpy")

    def traits(self):
        # a restart point with tiny probabilities makes the KL diameter of the
        # next epoch huge: restart the Euclidean geometry only
        return replace(self.TRAITS, restart=self.geometry.name == "euclidean")

    def warnings(self, problem):
        limit, name = self.step_limit
        if not self.adaptive and self.lipschitz and self.eta0 * self.lipschitz > limit + 1e-12:
            return [f"step {self.eta0:.3g} exceeds {name} = {limit / self.lipschitz:.3g}: "
                    f"{self.name}'s guarantee does not apply (use adaptive=True or a smaller step)"]
        return []

    def init(self, problem, oracle, z0):
        u = self.geometry.init(z0)
        z = self.geometry.point(u)
        Fz = oracle(z)
        xp = namespace(z)
        return ProxState(u, z, Fz, self.eta0, xp.zeros_like(z), 0.0, 0, self.eta0)

    def restart(self, problem, oracle, s, name, at):
        # keep the step; reset the anchor to the certified point and the average
        u = s.u if name == "last" else self.geometry.init(at.z, strict=False)
        return s._replace(u=u, z=at.z, Fz=at.Fz, avg_sum=namespace(at.z).zeros_like(at.z),
                          avg_weight=0.0)

    def candidates(self, s):
        out = {"last": Candidate(s.z, s.Fz)}
        out["average"] = (Candidate(s.avg_sum / s.avg_weight) if s.avg_weight > 0
                          else Candidate(s.z, s.Fz))
        return out

    def diagnostics(self, s):
        return {"geometry": self.geometry.name, "step": s.last_eta, "adaptive": self.adaptive,
                "backtracks": s.backtracks, "step_sum": s.avg_weight}

    # -- shared pieces of the steps ---------------------------------------------
    def search(self, eta, trial):
        """Halve ``eta`` until ``trial(eta)`` passes (at once for a fixed step).

        ``trial`` returns ``(verdict, payload)``; the result is
        ``(eta, backtracks, verdict, payload)`` of the accepted trial.
        """
        backtracks = 0
        while True:
            verdict, payload = trial(eta)
            if verdict is None:
                raise NonFiniteError
            if verdict or not self.adaptive:
                return eta, backtracks, verdict, payload
            eta *= self.shrink
            backtracks += 1
            if eta < self.eta_min or backtracks > self.max_backtracks:
                raise StepCollapsedError

    def grown(self, verdict) -> float:
        # grow only after a clear pass: a pass within rounding says nothing
        return self.growth if verdict == "clear" else 1.0

    def mp_test(self, u, F_ref, u_half, z_half, F_half, u_new, z_new, eta, credit=0.0):
        """Nemirovski's test for the step from anchor ``u`` (first step taken with ``F_ref``).

        Returns the verdict and the surplus ``c * rhs - lhs``; ``credit`` is
        surplus carried over from earlier steps (used by the optimistic method).
        """
        xp = namespace(z_half)
        geo = self.geometry
        # the step scales the operator's values first: at payoffs near float64's range a
        # product or sum of raw values would overflow where the scaled ones are O(1)
        prod = (eta * (F_half - F_ref)) * (z_half - z_new)
        lhs = to_float(xp.sum(prod))
        rhs = self.c * to_float(geo.divergence(u_new, u_half, z_new)
                                + geo.divergence(u_half, u, z_half))
        # a bound on the summation error of both sides, relative to their terms
        slack = 2.0 * z_half.shape[0] * finfo_eps(xp, z_half.dtype) * to_float(
            xp.sum(xp.abs(prod)) + geo.divergence_slack(u_new, u_half, z_new)
            + geo.divergence_slack(u_half, u, z_half))
        return verdict(lhs, rhs + credit, slack), rhs - lhs

    def extra_step(self, oracle, u, first, eta, credit=0.0):
        """Two prox steps from the anchor ``u``: with ``first``, then with ``F`` at the result.

        Mirror prox takes ``first = F(z_t)``; optimistic mirror descent takes the
        hint ``M_t``.  Returns ``(verdict, surplus, z_half, F(z_half), u_new, z_new)``
        with Nemirovski's test of the pair.
        """
        geo = self.geometry
        u_half = geo.step(u, first, eta)
        z_half = geo.point(u_half)
        F_half = oracle(z_half)
        u_new = geo.step(u, F_half, eta)
        z_new = geo.point(u_new)
        v, surplus = self.mp_test(u, first, u_half, z_half, F_half, u_new, z_new, eta, credit)
        return v, surplus, z_half, F_half, u_new, z_new


def verdict(lhs, rhs, slack):
    """``"clear"``, ``"within rounding"`` (truthy), ``False`` (fail) or ``None`` (non-finite)."""
    if not (math.isfinite(lhs) and math.isfinite(rhs)):
        return None
    if lhs + slack <= rhs:
        return "clear"
    return "within rounding" if lhs <= rhs + slack else False


@register
@dataclass(frozen=True)
class Extragradient(ProxMethod):
    """Projected extragradient: the second step is taken once the first passes the test."""

    name: ClassVar[str] = "extragradient"
    summary: ClassVar[str] = ("projected extragradient (Korpelevich), Euclidean, fixed or "
                              "backtracking step")
    default_geometry: ClassVar[str] = "euclidean"

    @classmethod
    def supports(cls, problem, **options):
        if problem.interior_only:
            return (f"extragradient is Euclidean, so it needs an operator defined on the "
                    f"boundary; {problem!r} is defined only inside its domain")
        return None

    @classmethod
    def check_geometry(cls, geometry):
        if geometry != "euclidean":
            raise ValueError(f"extragradient is Euclidean; got geometry={geometry!r}, use "
                             "method='mirror_prox' for the entropic geometry")
        return geometry

    def step(self, problem, oracle, s):
        geo = self.geometry
        xp = namespace(s.z)

        def trial(eta):
            z_half = geo.point(geo.step(s.u, s.Fz, eta))
            F_half = oracle(z_half)
            # scaled before the norm: raw values near float64's range would overflow it
            lhs = to_float(xp.linalg.vector_norm(eta * (F_half - s.Fz)))
            rhs = self.c * to_float(xp.linalg.vector_norm(z_half - s.z))
            slack = 4.0 * finfo_eps(xp, z_half.dtype) * (lhs + rhs)
            return verdict(lhs, rhs, slack), (z_half, F_half)

        eta, backtracks, v, (z_half, F_half) = self.search(s.eta, trial)
        u_new = geo.step(s.u, F_half, eta)
        z_new = geo.point(u_new)
        return ProxState(u_new, z_new, oracle(z_new), eta * self.grown(v),
                         s.avg_sum + eta * z_half, s.avg_weight + eta, s.backtracks + backtracks,
                         eta)


@register
@dataclass(frozen=True)
class MirrorProx(ProxMethod):
    """Mirror prox: both prox steps from the anchor, accepted on Nemirovski's test."""

    name: ClassVar[str] = "mirror_prox"
    summary: ClassVar[str] = ("mirror prox (Nemirovski), entropic on simplices / Euclidean "
                              "elsewhere, fixed or adaptive step")

    def step(self, problem, oracle, s):
        def trial(eta):
            v, _, z_half, _, u_new, z_new = self.extra_step(oracle, s.u, s.Fz, eta)
            return v, (z_half, u_new, z_new)

        eta, backtracks, v, (z_half, u_new, z_new) = self.search(s.eta, trial)
        return ProxState(u_new, z_new, oracle(z_new), eta * self.grown(v),
                         s.avg_sum + eta * z_half, s.avg_weight + eta, s.backtracks + backtracks,
                         eta)
