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
from ._driver import Method, NonFiniteError

__all__ = ["PROJECTED_EULER", "RK4"]


class FlowState(NamedTuple):
    z: Any
    Fz: Any
    k: int


@dataclass(frozen=True)
class FlowConfig:
    step: float
    certificate: Any  # a RegionCertificate (Small-Gain Nash) or None
    geometry: str
    from_certificate: bool


class _Flow(Method):
    outputs: ClassVar[tuple] = ("last",)
    default_output: ClassVar[str] = "last"
    nonmonotone_ok: ClassVar[bool] = True
    scheme: ClassVar[str] = "euler"

    def configure(self, problem, *, step=None, region=None, certificate=None, geometry="euclidean"):
        if problem.interior_only:
            raise TypeError(f"{self.name} projects onto the boundary, so it needs an operator "
                            f"defined there; {problem!r} is defined only inside its domain")
        if step is not None:
            step = check_positive("step", step)
        if not isinstance(problem, DifferentiableGame):
            if step is None:
                raise TypeError(f"{self.name} needs step= on a {type(problem).__name__}: its default "
                                "step comes from the Small-Gain certificate of a DifferentiableGame")
            if geometry != "euclidean" or region is not None or certificate is not None:
                raise TypeError(f"{self.name}: region=, certificate= or geometry= needs a "
                                "DifferentiableGame")
            return FlowConfig(step, None, "euclidean", False)
        if geometry not in ("euclidean", "metric"):
            raise ValueError(f"geometry must be 'euclidean' or 'metric', got {geometry!r}")
        if geometry == "metric" and not all(isinstance(b, Reals) for b in problem.domain.blocks):
            raise ValueError("geometry='metric' (natural gradient) needs an unconstrained game")
        if certificate is None and region is None and not problem.exact_jacobian:
            if step is None:
                raise ValueError(f"{self.name} on a nonlinear game needs region= (a product of "
                                 "boxes/balls around the equilibrium) to certify its step, or step=")
            return FlowConfig(step, None, geometry, False)
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
                raise ValueError(f"{self.name}: the game is not certified on the region "
                                 f"({certificate.reason}); pass step= to run it uncertified")
            step = certificate.euler_step if self.scheme == "euler" else certificate.rk4["step"]
        return FlowConfig(step, certificate, certificate.geometry, True)

    def warnings(self, problem, cfg):
        cert, out = cfg.certificate, []
        if cert is None:
            return [f"{self.name} with a user step on a {type(problem).__name__}: no contraction "
                    "is certified (the residual still measures the returned point)"]
        if cert.verdict != "certified":
            out.append(f"Small-Gain verdict '{cert.verdict}': {cert.reason}")
        if self.scheme == "euler" and cert.alpha > 0 and not cfg.step < cert.euler_step_max:
            out.append(f"step {cfg.step:.4g} is outside the certified Euler range (0, "
                       f"{cert.euler_step_max:.4g}): contraction is not guaranteed")
        if self.scheme == "rk4":
            hmax = cert.rk4["rigorous_step_max"]
            if hmax is None:
                out.append("RK4 on a nonlinear game: the step follows the 2.5/beta guideline, "
                           "which is not a proof of contraction")
            elif not cfg.step < hmax:
                out.append(f"step {cfg.step:.4g} is outside the rigorous RK4 range (0, {hmax:.4g})")
            if not all(isinstance(b, Reals) for b in problem.domain.blocks):
                out.append("projected RK4: the fixed point of the projected RK4 map need not solve "
                           "the constrained game; prefer projected_euler with constraints")
        return out

    def _direction(self, problem, oracle, z, cfg, Fz=None):
        Fz = oracle(z) if Fz is None else Fz
        if cfg.geometry == "metric":
            # a metric that degenerates (e.g. a softmax policy gone deterministic) is divergence
            try:
                G = problem.metric(z, strict=False)
                d = np.concatenate([np.linalg.solve(g, f) for g, f in zip(G, problem.players(Fz))])
            except np.linalg.LinAlgError:
                raise NonFiniteError from None
            return Fz, d
        return Fz, Fz

    def init(self, problem, oracle, z0, cfg):
        c = cfg.certificate
        if c is not None and not c.region.contains(z0):
            raise ValueError(f"x0 lies outside the certified region {c.region!r}; start inside it "
                             "or pass a larger region=")
        return FlowState(z0, oracle(z0), 0)

    def step(self, problem, oracle, s, cfg):
        h = cfg.step
        _, d1 = self._direction(problem, oracle, s.z, cfg, s.Fz)
        if self.scheme == "euler":
            move = d1
        else:
            _, d2 = self._direction(problem, oracle, s.z - 0.5 * h * d1, cfg)
            _, d3 = self._direction(problem, oracle, s.z - 0.5 * h * d2, cfg)
            _, d4 = self._direction(problem, oracle, s.z - h * d3, cfg)
            move = (d1 + 2 * d2 + 2 * d3 + d4) / 6
        z1 = problem.domain.project(s.z - h * move)
        if not all_finite(namespace(z1), z1):
            raise NonFiniteError
        Fz1 = oracle(z1)
        if not all_finite(namespace(Fz1), Fz1):
            raise NonFiniteError
        return FlowState(z1, Fz1, s.k + 1)

    def candidates(self, s, cfg):
        return {"last": (s.z, s.Fz)}

    def diagnostics(self, s, cfg):
        out = {"step": cfg.step, "scheme": self.scheme, "geometry": cfg.geometry}
        c = cfg.certificate
        if c is not None:
            out["small_gain_verdict"] = c.verdict
            if self.scheme == "euler" and c.alpha > 0:
                out["certified_factor"] = c.euler_factor(cfg.step)
            elif self.scheme == "rk4" and c.rk4.get("factor") is not None and cfg.from_certificate:
                out["certified_factor"] = c.rk4["factor"] if cfg.step == c.rk4["step"] else None
        return out

    def finalize(self, problem, cert, z, Fz, cfg):
        c = cfg.certificate
        if c is None or Fz is None:
            return {}
        bound = c.distance_bound(z, Fz)
        if bound.get("holds"):
            cert.details["distance_bound"] = bound["distance_bound_euclidean"]
            cert.details["assumes"] = ("Small-Gain certificate on the region (certified ball "
                                       "inside it)")
        return {"small_gain": bound}


class _Euler(_Flow):
    scheme: ClassVar[str] = "euler"


class _RK4(_Flow):
    scheme: ClassVar[str] = "rk4"


PROJECTED_EULER = _Euler(
    name="projected_euler",
    summary="projected Euler on the game flow, step certified by Small-Gain Nash",
)
RK4 = _RK4(
    name="rk4",
    summary="classical RK4 on the game flow (rigorous step for linear games, guideline otherwise)",
)
