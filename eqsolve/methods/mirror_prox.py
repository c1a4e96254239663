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
  \\le D(z_{t+1}, z_{t+1/2}) + D(z_{t+1/2}, z_t)` (Nemirovski's rule),

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
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

from .._validation import check_max_iter, check_positive
from ..backend import finfo_eps, namespace, to_float
from ._kernels import numba_geometry
from ._driver import Method, NonFiniteError, StepCollapsedError

__all__ = ["EXTRAGRADIENT", "MIRROR_PROX", "ProxConfig", "ProxState"]


class ProxState(NamedTuple):
    u: Any  # mirror coordinates of z_t
    z: Any  # z_t
    Fz: Any  # F(z_t), reused by the next step and by the certificate
    eta: float  # step to try next
    avg_sum: Any  # sum_t eta_t z_{t+1/2}
    avg_weight: float
    backtracks: int
    last_eta: float


@dataclass(frozen=True)
class ProxConfig:
    geometry: Any
    eta0: float
    adaptive: bool
    growth: float
    shrink: float
    c: float
    eta_min: float
    max_backtracks: int
    lipschitz: float | None


class _ProxMethod(Method):
    """Shared machinery of extragradient and mirror prox."""

    default_restart: ClassVar[bool] = True
    backends: ClassVar[tuple] = ("numpy", "cupy", "numba")

    rule = "nemirovski"
    default_geometry = "auto"

    def configure(self, problem, *, step=None, adaptive=None, geometry=None, growth=1.2,
                  c=0.9, max_backtracks=60, backend=None):
        geometry = self.default_geometry if geometry is None else geometry
        if geometry == "auto":
            geometry = "entropic" if _has_simplex(problem.domain) else "euclidean"
        if self.rule == "extragradient" and geometry != "euclidean":
            raise ValueError(f"extragradient is Euclidean; got geometry={geometry!r}, use "
                             "method='mirror_prox' for the entropic geometry")
        geo = problem.domain.geometry(geometry)
        if backend == "numba":
            geo = numba_geometry(geo)
        if problem.interior_only and geo.name != "entropic":
            raise TypeError(f"{self.name} with geometry={geometry!r} needs an operator defined on the "
                            f"boundary; {problem!r} is defined only inside its domain: use "
                            "method='mirror_prox' or 'optimistic' with the entropic geometry")
        L = problem.lipschitz_entropic if geometry == "entropic" else problem.lipschitz
        if step is not None:
            step = check_positive("step", step)
        adaptive = (step is None) if adaptive is None else bool(adaptive)
        if not adaptive and step is None:
            if not L:
                raise ValueError("a fixed step needs step= or a problem with a known Lipschitz constant L")
            step = 1.0 / L
        growth = check_positive("growth", growth)
        if growth < 1.0:
            raise ValueError(f"growth must be >= 1, got {growth}")
        c = check_positive("c", c)
        if c >= 1.0:
            raise ValueError(f"c must lie in (0, 1), got {c}")
        eta0 = step if step is not None else (1.0 / L if L else 1.0)
        return ProxConfig(geo, eta0, adaptive, growth if adaptive else 1.0, 0.5, c,
                          eta0 * 1e-12, check_max_iter(max_backtracks, "max_backtracks", 0), L)

    #: the largest fixed step the guarantee allows, times L, and its name
    step_limit = (1.0, "1/L")

    def warnings(self, problem, cfg):
        limit, name = self.step_limit
        if not cfg.adaptive and cfg.lipschitz and cfg.eta0 * cfg.lipschitz > limit + 1e-12:
            return [f"step {cfg.eta0:.3g} exceeds {name} = {limit / cfg.lipschitz:.3g}: "
                    f"{self.name}'s guarantee does not apply (use adaptive=True or a smaller step)"]
        return []

    def init(self, problem, oracle, z0, cfg):
        u = cfg.geometry.init(z0)
        z = cfg.geometry.point(u)
        Fz = oracle(z)
        xp = namespace(z)
        return ProxState(u, z, Fz, cfg.eta0, xp.zeros_like(z), 0.0, 0, cfg.eta0)

    def step(self, problem, oracle, s, cfg):
        geo = cfg.geometry

        def trial(eta):
            u_half = geo.step(s.u, s.Fz, eta)
            z_half = geo.point(u_half)
            F_half = oracle(z_half)
            if self.rule == "extragradient":
                return self._eg_test(s, z_half, F_half, eta, cfg), (z_half, F_half, None, None)
            u_new = geo.step(s.u, F_half, eta)
            z_new = geo.point(u_new)
            verdict, _ = self._mp_test(s.u, s.Fz, u_half, z_half, F_half, u_new, z_new, eta, cfg)
            return verdict, (z_half, F_half, u_new, z_new)

        eta, backtracks, verdict, (z_half, F_half, u_new, z_new) = self._search(s.eta, cfg, trial)
        if u_new is None:  # extragradient: the second step is taken only once accepted
            u_new = geo.step(s.u, F_half, eta)
            z_new = geo.point(u_new)
        F_new = oracle(z_new)
        return ProxState(u_new, z_new, F_new, eta * self._growth(verdict, cfg),
                         s.avg_sum + eta * z_half, s.avg_weight + eta, s.backtracks + backtracks, eta)

    @staticmethod
    def _search(eta, cfg, trial):
        """Halve ``eta`` until ``trial(eta)`` passes (at once for a fixed step).

        ``trial`` returns ``(verdict, payload)``; the result is
        ``(eta, backtracks, verdict, payload)`` of the accepted trial.
        """
        backtracks = 0
        while True:
            verdict, payload = trial(eta)
            if verdict is None:
                raise NonFiniteError
            if verdict or not cfg.adaptive:
                return eta, backtracks, verdict, payload
            eta *= cfg.shrink
            backtracks += 1
            if eta < cfg.eta_min or backtracks > cfg.max_backtracks:
                raise StepCollapsedError

    @staticmethod
    def _growth(verdict, cfg):
        # grow only after a clear pass: a pass within rounding says nothing
        return cfg.growth if verdict == "clear" else 1.0

    @staticmethod
    def _verdict(lhs, rhs, slack):
        """``"clear"``, ``"within rounding"`` (truthy), ``False`` (fail) or ``None`` (non-finite)."""
        if not (math.isfinite(lhs) and math.isfinite(rhs)):
            return None
        if lhs + slack <= rhs:
            return "clear"
        return "within rounding" if lhs <= rhs + slack else False

    def _eg_test(self, s, z_half, F_half, eta, cfg):
        xp = namespace(z_half)
        lhs = eta * to_float(xp.linalg.vector_norm(F_half - s.Fz))
        rhs = cfg.c * to_float(xp.linalg.vector_norm(z_half - s.z))
        slack = 4.0 * finfo_eps(xp, z_half.dtype) * (lhs + rhs)
        return self._verdict(lhs, rhs, slack)

    def _mp_test(self, u, F_ref, u_half, z_half, F_half, u_new, z_new, eta, cfg, credit=0.0):
        """Nemirovski's test for the step from anchor ``u`` (first step taken with ``F_ref``).

        Returns the verdict and the surplus ``c * rhs - lhs``; ``credit`` is
        surplus carried over from earlier steps (used by the optimistic method).
        """
        xp = namespace(z_half)
        geo = cfg.geometry
        prod = (F_half - F_ref) * (z_half - z_new)
        lhs = eta * to_float(xp.sum(prod))
        rhs = cfg.c * to_float(geo.divergence(u_new, u_half, z_new)
                               + geo.divergence(u_half, u, z_half))
        # a bound on the summation error of both sides, relative to their terms
        slack = 2.0 * z_half.shape[0] * finfo_eps(xp, z_half.dtype) * to_float(
            eta * xp.sum(xp.abs(prod)) + geo.divergence_slack(u_new, u_half, z_new)
            + geo.divergence_slack(u_half, u, z_half))
        return self._verdict(lhs, rhs + credit, slack), rhs - lhs

    def restart_by_default(self, cfg):
        # a restart point with tiny probabilities makes the KL diameter of the
        # next epoch huge: restart the Euclidean geometry only
        return cfg.geometry.name == "euclidean"

    def restart(self, problem, oracle, s, name, z, Fz, cfg):
        # keep the step; reset the anchor to the certified point and the average
        u = s.u if name == "last" else cfg.geometry.init(z, strict=False)
        return s._replace(u=u, z=z, Fz=Fz, avg_sum=namespace(z).zeros_like(z), avg_weight=0.0)

    def candidates(self, s, cfg):
        out = {"last": (s.z, s.Fz)}
        out["average"] = (s.avg_sum / s.avg_weight, None) if s.avg_weight > 0 else (s.z, s.Fz)
        return out

    def diagnostics(self, s, cfg):
        return {"geometry": cfg.geometry.name, "step": s.last_eta, "adaptive": cfg.adaptive,
                "backtracks": s.backtracks, "step_sum": s.avg_weight}


def _has_simplex(domain) -> bool:
    if domain.entropic:
        return True
    return any(b.entropic for b in getattr(domain, "blocks", ()))


class _Extragradient(_ProxMethod):
    rule = "extragradient"
    default_geometry = "euclidean"


EXTRAGRADIENT = _Extragradient(
    name="extragradient",
    summary="projected extragradient (Korpelevich), Euclidean, fixed or backtracking step",
)
MIRROR_PROX = _ProxMethod(
    name="mirror_prox",
    summary="mirror prox (Nemirovski), entropic on simplices / Euclidean elsewhere, "
    "fixed or adaptive step",
)
