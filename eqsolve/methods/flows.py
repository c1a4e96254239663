"""Certified flows: projected Euler and RK4 on the game dynamics :math:`\\dot x = -F(x)`.

Projected Euler (``projected_euler``):

.. math:: x_{k+1} = \\Pi_X\\big(x_k - h\\, F(x_k)\\big),

RK4 (``rk4``), with :math:`k_1 = F(x)`, :math:`k_2 = F(x - \\tfrac h2 k_1)`,
:math:`k_3 = F(x - \\tfrac h2 k_2)`, :math:`k_4 = F(x - h k_3)`:

.. math:: x_{k+1} = \\Pi_X\\big(x_k - \\tfrac h6 (k_1 + 2k_2 + 2k_3 + k_4)\\big).

On a :class:`~eqsolve.problems.differentiable.DifferentiableGame` the step
defaults to the Small-Gain certificate's: :math:`h = \\alpha_*/\\beta^2` for
Euler (factor :math:`\\sqrt{1 - \\alpha_*^2/\\beta^2}` in the metric
:math:`M(w)`), the best rigorous RK4 step for linear games and half the
:math:`2.5/\\beta` guideline otherwise.  ``geometry="metric"`` runs the
natural-gradient field :math:`G(x)^{-1}F(x)` (natural policy gradient for
softmax games).  The returned point gets the a-posteriori bound
:math:`\\|x - x^*\\|_M \\le \\|x - Tx\\|_M/(1 - q)` with the check that its ball
stays in the region (``Result.info["small_gain"]``, certificate details).
On other problems the flows need an explicit ``step=``.

Examples
--------
>>> import eqsolve as eq
>>> game = eq.QuadraticGame([[1.0, 10.0], [0.05, 1.0]], [1.0, -2.0], blocks=[1, 1])
>>> res = eq.solve(game, method="projected_euler", tol=1e-10)
>>> res.converged, res.info["small_gain"]["holds"], res.z.round(6).tolist()
(True, True, [-42.0, 4.1])

References
----------
.. [1] V. Sharma, "Small-Gain Nash", arXiv:2512.06791 (2025).
.. [2] E. Hairer, S. P. Norsett and G. Wanner, *Solving Ordinary Differential
   Equations I*, 2nd ed., Springer (1993), Sec. II.1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np

from .._validation import check_positive
from ..backend import all_finite, namespace
from ..certificates.certificate import RegionCertificate, certify_region
from ..domains import Reals
from ..problems.differentiable import DifferentiableGame
from .base import Candidate, Method, NonFiniteError, Traits, with_details
from .registry import register

__all__ = ["ProjectedEuler", "RK4"]


class FlowState(NamedTuple):
    z: Any
    Fz: Any
    k: int


class Field:
    """The vector field a flow integrates, chosen once by ``geometry=``: ``F`` itself."""

    name: ClassVar[str] = "euclidean"

    def __call__(self, problem, z, Fz):
        return Fz

    def __repr__(self):
        return repr(self.name)


class NaturalGradient(Field):
    """The natural-gradient field ``G(z)^{-1} F(z)`` of a game with a metric (per player)."""

    name: ClassVar[str] = "metric"

    def __call__(self, problem, z, Fz):
        # a metric that degenerates (e.g. a softmax policy gone deterministic) is divergence
        try:
            G = problem.metric(z, strict=False)
            return np.concatenate([np.linalg.solve(g, f) for g, f in zip(G, problem.players(Fz))])
        except np.linalg.LinAlgError:
            raise NonFiniteError from None


#: ``geometry=`` -> the field
FIELDS = {f.name: f for f in (Field(), NaturalGradient())}


@dataclass(frozen=True)
class Flow(Method):
    """Options and shared pieces of the certified flows.

    Parameters
    ----------
    step : float, optional
        The step ``h``; by default the Small-Gain certificate's (needed on
        problems other than a :class:`~eqsolve.problems.differentiable.DifferentiableGame`).
    region : Region, optional
        A product of boxes / balls around the equilibrium on which to certify
        a nonlinear game (the certificate is computed from it).
    certificate : SmallGainCertificate, optional
        A certificate computed beforehand for this game.
    geometry : {"euclidean", "metric"}
        ``"metric"`` runs the natural-gradient field ``G(x)^{-1} F(x)``
        (unconstrained games built with a metric).
    """

    TRAITS: ClassVar[Traits] = Traits(outputs=("last",), default_output="last",
                                      needs_monotone=False)
    #: the scheme's name in the diagnostics
    scheme: ClassVar[str]

    step_size: float
    certificate: Any  # SmallGainCertificate or None
    field: Field  # FIELDS[geometry]
    from_certificate: bool

    @classmethod
    def supports(cls, problem, **options):
        if problem.interior_only:
            return (f"{cls.name} projects onto the boundary, so it needs an operator defined "
                    f"there; {problem!r} is defined only inside its domain")
        if not isinstance(problem, DifferentiableGame) and options.get("step") is None:
            return (f"{cls.name} needs step= on a {type(problem).__name__}: its default step "
                    "comes from the Small-Gain certificate of a DifferentiableGame")
        return None

    @classmethod
    def certified_step(cls, certificate) -> float:
        """The default step the Small-Gain certificate gives this scheme."""
        raise NotImplementedError

    @classmethod
    def from_options(cls, problem, *, step=None, region=None, certificate=None,
                     geometry="euclidean"):
        if step is not None:
            step = check_positive("step", step)
        if not isinstance(problem, DifferentiableGame):
            if geometry != "euclidean" or region is not None or certificate is not None:
                raise TypeError(f"{cls.name}: region=, certificate= or geometry= needs a "
                                "DifferentiableGame")
            return cls(step, None, FIELDS["euclidean"], False)
        if not isinstance(geometry, str) or geometry not in FIELDS:
            raise ValueError(f"geometry must be 'euclidean' or 'metric', got {geometry!r}")
        if geometry == "metric" and not all(isinstance(b, Reals) for b in problem.domain.blocks):
            raise ValueError("geometry='metric' (natural gradient) needs an unconstrained game")
        if certificate is None and region is None and not problem.exact_jacobian:
            if step is None:
                raise ValueError(f"{cls.name} on a nonlinear game needs region= (a product of "
                                 "boxes/balls around the equilibrium) to certify its step, or "
                                 "step=")
            return cls(step, None, FIELDS[geometry], False)
        if certificate is None:
            certificate = certify_region(problem, region, geometry=geometry)
        elif not isinstance(certificate, RegionCertificate):
            raise TypeError(f"certificate must be a SmallGainCertificate, got "
                            f"{type(certificate).__name__}")
        elif certificate.game is not problem:
            raise ValueError("certificate was computed for a different game")
        elif geometry != "euclidean" and geometry != certificate.geometry:
            raise ValueError(f"geometry={geometry!r} but the certificate is for geometry="
                             f"{certificate.geometry!r}; certify with the same geometry")
        if step is None:
            if certificate.verdict == "not certified":
                raise ValueError(f"{cls.name}: the game is not certified on the region "
                                 f"({certificate.reason}); pass step= to run it uncertified")
            step = cls.certified_step(certificate)
        return cls(step, certificate, FIELDS[certificate.geometry], True)

    def warnings(self, problem):
        cert = self.certificate
        if cert is None:
            return [f"{self.name} with a user step on a {type(problem).__name__}: no contraction "
                    "is certified (the residual still measures the returned point)"]
        if cert.verdict != "certified":
            return [f"Small-Gain verdict '{cert.verdict}': {cert.reason}"]
        return []

    def direction(self, problem, oracle, z, Fz=None):
        """The flow's field at ``z``: ``F(z)``, or ``G(z)^{-1} F(z)`` in the metric geometry."""
        return self.field(problem, z, oracle(z) if Fz is None else Fz)

    def init(self, problem, oracle, z0):
        c = self.certificate
        if c is not None and not c.region.contains(z0):
            raise ValueError(f"x0 lies outside the certified region {c.region!r}; start inside it "
                             "or pass a larger region=")
        return FlowState(z0, oracle(z0), 0)

    def move(self, problem, oracle, s):
        """The scheme's increment direction from ``s`` (``x+ = P(x - h move)``)."""
        raise NotImplementedError

    def step(self, problem, oracle, s):
        z1 = problem.domain.project(s.z - self.step_size * self.move(problem, oracle, s))
        if not all_finite(namespace(z1), z1):
            raise NonFiniteError
        Fz1 = oracle(z1)
        if not all_finite(namespace(Fz1), Fz1):
            raise NonFiniteError
        return FlowState(z1, Fz1, s.k + 1)

    def candidates(self, s):
        return {"last": Candidate(s.z, s.Fz)}

    def diagnostics(self, s):
        out = {"step": self.step_size, "scheme": self.scheme, "geometry": self.field.name}
        if self.certificate is not None:
            out["small_gain_verdict"] = self.certificate.verdict
        return out

    def finalize(self, problem, certificate, at):
        c = self.certificate
        if c is None or at.Fz is None:
            return certificate, {}
        bound = c.distance_bound(at.z, at.Fz)
        if bound.get("holds"):
            certificate = with_details(
                certificate, distance_bound=bound["distance_bound_euclidean"],
                assumes="Small-Gain certificate on the region (certified ball inside it)")
        return certificate, {"small_gain": bound}


@register
@dataclass(frozen=True)
class ProjectedEuler(Flow):
    """Projected Euler ``x+ = P(x - h F(x))``."""

    name: ClassVar[str] = "projected_euler"
    summary: ClassVar[str] = ("projected Euler on the game flow, step certified by Small-Gain "
                              "Nash")
    scheme: ClassVar[str] = "euler"

    @classmethod
    def certified_step(cls, certificate):
        return certificate.euler_step

    def warnings(self, problem):
        out = super().warnings(problem)
        cert = self.certificate
        if cert is not None and cert.alpha > 0 and not self.step_size < cert.euler_step_max:
            out.append(f"step {self.step_size:.4g} is outside the certified Euler range (0, "
                       f"{cert.euler_step_max:.4g}): contraction is not guaranteed")
        return out

    def move(self, problem, oracle, s):
        return self.direction(problem, oracle, s.z, s.Fz)

    def diagnostics(self, s):
        out = super().diagnostics(s)
        c = self.certificate
        if c is not None and c.alpha > 0:
            out["certified_factor"] = c.euler_factor(self.step_size)
        return out


@register
@dataclass(frozen=True)
class RK4(Flow):
    """Classical RK4 on the flow, then projected."""

    name: ClassVar[str] = "rk4"
    summary: ClassVar[str] = ("classical RK4 on the game flow (rigorous step for linear games, "
                              "guideline otherwise)")
    scheme: ClassVar[str] = "rk4"

    @classmethod
    def certified_step(cls, certificate):
        return certificate.rk4["step"]

    def warnings(self, problem):
        out = super().warnings(problem)
        cert = self.certificate
        if cert is not None:
            hmax = cert.rk4["rigorous_step_max"]
            if hmax is None:
                out.append("RK4 on a nonlinear game: the step follows the 2.5/beta guideline, "
                           "which is not a proof of contraction")
            elif not self.step_size < hmax:
                out.append(f"step {self.step_size:.4g} is outside the rigorous RK4 range (0, "
                           f"{hmax:.4g})")
            if not all(isinstance(b, Reals) for b in problem.domain.blocks):
                out.append("projected RK4: the fixed point of the projected RK4 map need not "
                           "solve the constrained game; prefer projected_euler with constraints")
        return out

    def move(self, problem, oracle, s):
        h = self.step_size
        d1 = self.direction(problem, oracle, s.z, s.Fz)
        d2 = self.direction(problem, oracle, s.z - 0.5 * h * d1)
        d3 = self.direction(problem, oracle, s.z - 0.5 * h * d2)
        d4 = self.direction(problem, oracle, s.z - h * d3)
        return (d1 + 2 * d2 + 2 * d3 + d4) / 6

    def diagnostics(self, s):
        out = super().diagnostics(s)
        c = self.certificate
        if c is not None and c.rk4.get("factor") is not None and self.from_certificate:
            out["certified_factor"] = c.rk4["factor"] if self.step_size == c.rk4["step"] else None
        return out
