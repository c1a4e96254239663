"""Halpern iteration and the anchored extragradient family: O(1/k) last-iterate residuals.

Each variant is its own class (:class:`Halpern`, :class:`FEG`, :class:`EAG`),
selected by ``variant=`` under the one name ``halpern``.

``variant="halpern"`` (F cocoercive with constant 1/L): with the
forward-backward map :math:`T(u) = \\Pi_Z(u - \\eta F(u))`,

.. math:: u_{k+1} = \\lambda_k u_0 + (1 - \\lambda_k)\\, T(u_k), \\qquad \\lambda_k = \\frac{1}{k + 2}.

For :math:`\\eta = 2/L` on :math:`\\mathbb{R}^d`, :math:`T = I - \\eta F` is
nonexpansive and Lieder's tight bound gives
:math:`\\|F(u_k)\\| \\le L\\|u_0 - u^\\star\\|/(k+1)`; on a constraint set the default
:math:`\\eta = 1/L` makes :math:`T` averaged and the same O(1/k) holds for the
fixed-point residual :math:`\\|u_k - T u_k\\|`.  One evaluation per iteration.

``variant="feg"`` (F monotone and L-Lipschitz; Lee and Kim's fast extragradient),
with :math:`\\beta_k = 1/(k+1)` and :math:`\\alpha = 1/L`:

.. math::

    z_{k+1/2} &= z_k + \\beta_k (z_0 - z_k) - (1 - \\beta_k)\\,\\alpha F(z_k), \\\\
    z_{k+1} &= z_k + \\beta_k (z_0 - z_k) - \\alpha F(z_{k+1/2}),

with :math:`\\|F(z_k)\\| = O(L\\|z_0 - z^\\star\\|/k)` on :math:`\\mathbb{R}^d` (the
constant 2 is checked numerically in the tests).  ``variant="eag"`` is Yoon
and Ryu's EAG-C (:math:`\\beta_k = 1/(k+2)`, no :math:`(1-\\beta_k)` factor,
:math:`\\alpha = 1/(8L)`).  With constraints both steps are projected; no rate
is claimed then (the result says so) and the certificate measures the point.

Without a constant (no ``L=``, ``step=`` or problem ``lipschitz``) the
constant is estimated online: a first estimate from one trial step, then
every step checks the inequality its guarantee uses between the points it
evaluated (FEG/EAG: :math:`\\|F(u) - F(v)\\| \\le L\\|u - v\\|`; Halpern:
:math:`\\langle F(u) - F(v), u - v\\rangle \\ge \\|F(u) - F(v)\\|^2/L`) and, when
it fails, doubles the estimate, redoes the step, and re-anchors at the current
iterate (so the fixed-step statement holds from the last increase with the
final estimate).  Redone steps' evaluations are counted.  The result's
``info["rate"]`` states the bound with the constant it used.

References
----------
.. [1] B. Halpern, "Fixed points of nonexpanding maps", Bull. AMS 73 (1967) 957-961.
.. [2] F. Lieder, "On the convergence rate of the Halpern-iteration", Optim. Lett.
   15 (2021) 405-418.
.. [3] T. Yoon and E. K. Ryu, "Accelerated algorithms for smooth convex-concave
   minimax problems with O(1/k^2) rate on squared gradient norm", ICML 2021.
.. [4] S. Lee and D. Kim, "Fast extra gradient methods for smooth structured
   nonconvex-nonconcave minimax problems", NeurIPS 2021.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import math

from .._validation import check_positive
from ..backend import all_finite, namespace, to_float
from ..domains import Reals
from .base import Candidate, Family, Method, NonFiniteError, StepCollapsedError, Traits
from .registry import register

__all__ = ["HalpernFamily", "Halpern", "FEG", "EAG"]


class AnchorState(NamedTuple):
    z0: Any  # the anchor
    z: Any  # current iterate
    Fz: Any  # F(z)
    k: int
    L: float | None = None  # the running estimate (estimated constants only)
    increases: int = 0  # doublings of the estimate


#: doublings of an estimated constant within one step before the solve ends as "stalled"
MAX_DOUBLINGS = 60


@dataclass(frozen=True)
class _Anchored(Method):
    """Shared configuration and bookkeeping of the anchored methods.

    Parameters
    ----------
    step : float, optional
        The fixed step; by default the variant's largest guaranteed step from
        ``L`` (FEG ``1/L``, EAG ``1/(8L)``, Halpern ``1/L``, or ``2/L`` without
        constraints).
    L : float, optional
        The Lipschitz (Halpern: inverse cocoercivity) constant; by default the
        problem's ``lipschitz``, and without either (and without ``step``)
        estimated online by backtracking (see the module docstring).
    """

    name: ClassVar[str] = "halpern"
    summary: ClassVar[str] = ("anchored methods with O(1/k) last-iterate residual: Halpern "
                              "(cocoercive), FEG and EAG (monotone Lipschitz)")
    # restarting resets the anchor: linear rates on sharp problems; the
    # worst-case O(1/k) statements are for restart=False
    TRAITS: ClassVar[Traits] = Traits(outputs=("last",), default_output="last", restart=True)
    variant: ClassVar[str]
    #: the largest guaranteed step, times L
    step_limit: ClassVar[float]

    step_size: float | None
    L: float | None
    unconstrained: bool
    L_source: str = "given"  # "given", "problem" or "estimated"

    @classmethod
    def supports(cls, problem, **options):
        if problem.interior_only:
            return (f"halpern projects onto the boundary, so it needs an operator defined there; "
                    f"{problem!r} is defined only inside its domain")
        return None

    @classmethod
    def default_step(cls, L, unconstrained) -> float:
        return cls.step_limit / L

    @classmethod
    def from_options(cls, problem, *, step=None, L=None):
        source = "given" if L is not None else "problem"
        L = problem.lipschitz if L is None else check_positive("L", L, allow_zero=True)
        if step is not None:
            step = check_positive("step", step)
        unconstrained = isinstance(problem.domain, Reals)
        if L is None and step is None:
            return cls(None, None, unconstrained, "estimated")
        if step is None:
            # L = 0: F is constant on the domain and every step is safe
            step = cls.default_step(L, unconstrained) if L > 0 else 1.0
        return cls(step, L, unconstrained, source)

    def warnings(self, problem):
        out = []
        if self.L and self.step_size is not None:
            limit = self.guarantee_limit() / self.L
            if self.step_size > limit * (1 + 1e-12):
                out.append(f"step {self.step_size:.3g} exceeds {limit:.3g}, the largest step the "
                           f"{self.variant} guarantee allows")
        return out

    def guarantee_limit(self) -> float:
        return self.step_limit

    def init(self, problem, oracle, z0):
        Fz0 = oracle(z0)
        if self.step_size is not None:  # a fixed step: nothing to estimate
            return AnchorState(z0, z0, Fz0, 0)
        # first estimate: the secant of one trial step of size one
        z1 = problem.domain.project(z0 - Fz0)
        xp = namespace(z0)
        dz = to_float(xp.linalg.vector_norm(z1 - z0))
        L0 = 1.0
        if dz > 0:
            dF = to_float(xp.linalg.vector_norm(oracle(z1) - Fz0))
            if math.isfinite(dF) and dF > 0:
                L0 = dF / dz
        return AnchorState(z0, z0, Fz0, 0, L0, 0)

    def restart(self, problem, oracle, s, name, at):
        return s._replace(z0=at.z, z=at.z, Fz=at.Fz, k=0)

    def step_of(self, s) -> float:
        """The step this iteration uses (fixed, or from the running estimate)."""
        if self.step_size is not None:
            return self.step_size
        return self.default_step(s.L, self.unconstrained)

    def step(self, problem, oracle, s):
        if self.step_size is not None:
            z1, Fz1, _ = self.trial(problem, oracle, s, self.step_size)
            return self._finish(s, z1, Fz1)
        for _ in range(MAX_DOUBLINGS):
            z1, Fz1, ok = self.trial(problem, oracle, s, self.step_of(s))
            if ok:
                return self._finish(s, z1, Fz1)
            # the estimate was too small: double it and re-anchor at the iterate, so that
            # the fixed-step statement holds from here with the larger constant
            s = s._replace(z0=s.z, k=0, L=2.0 * s.L, increases=s.increases + 1)
        raise StepCollapsedError(f"halpern ({self.variant}): the estimated constant kept "
                                 f"failing its check after {MAX_DOUBLINGS} doublings")

    def trial(self, problem, oracle, s, a):
        """``(z_{k+1}, F(z_{k+1}), passed)`` of one step with step ``a``."""
        raise NotImplementedError

    @staticmethod
    def lipschitz_ok(L, u, Fu, v, Fv) -> bool:
        xp = namespace(u)
        dF = to_float(xp.linalg.vector_norm(Fu - Fv))
        if not math.isfinite(dF):
            raise NonFiniteError
        return dF <= L * to_float(xp.linalg.vector_norm(u - v)) * (1.0 + 1e-12)

    def _finish(self, s, z1, Fz1):
        if not all_finite(namespace(Fz1), Fz1):
            raise NonFiniteError
        return s._replace(z=z1, Fz=Fz1, k=s.k + 1)

    def candidates(self, s):
        return {"last": Candidate(s.z, s.Fz)}

    def diagnostics(self, s):
        out = {"variant": self.variant, "step": self.step_of(s), "anchor_iterations": s.k,
               "lipschitz": self.L if s.L is None else s.L, "lipschitz_source": self.L_source}
        if s.L is not None:
            out["lipschitz_increases"] = s.increases
        out["rate"] = self.rate(out["lipschitz"])
        return out

    def rate(self, L) -> str:
        """The worst-case statement of the configuration, naming the constant used."""
        raise NotImplementedError


@dataclass(frozen=True)
class Halpern(_Anchored):
    """Halpern's iteration on the forward-backward map (F cocoercive)."""

    variant: ClassVar[str] = "halpern"
    step_limit: ClassVar[float] = 1.0

    @classmethod
    def default_step(cls, L, unconstrained):
        return (2.0 if unconstrained else 1.0) / L

    def guarantee_limit(self):
        return 2.0

    def warnings(self, problem):
        out = super().warnings(problem)
        if problem.monotone is not True:
            out.append("variant='halpern' assumes F is cocoercive; this problem does not say it "
                       "is even monotone")
        return out

    def trial(self, problem, oracle, s, a):
        lam = 1.0 / (s.k + 2)
        z1 = lam * s.z0 + (1.0 - lam) * problem.domain.project(s.z - a * s.Fz)
        Fz1 = oracle(z1)
        if s.L is None:
            return z1, Fz1, True
        # cocoercivity between the two points: <dF, dz> >= ||dF||^2 / L
        xp = namespace(z1)
        dF, dz = Fz1 - s.Fz, z1 - s.z
        lhs, rhs = to_float(xp.sum(dF * dz)), to_float(xp.sum(dF * dF))
        if not (math.isfinite(lhs) and math.isfinite(rhs)):
            raise NonFiniteError
        return z1, Fz1, rhs <= s.L * lhs * (1.0 + 1e-12) + 1e-300

    def rate(self, L):
        if not L:
            return "F is constant on the domain (L = 0): one step solves it"
        where = "||F(u_k)||" if self.unconstrained else "||u_k - T(u_k)||"
        return (f"{where} <= L ||u_0 - u*|| / (k + 1) with L = {L:.6g} "
                f"({self.L_source}; F assumed 1/L-cocoercive), k counted from the last anchor")


class _Extra(_Anchored):
    """The anchored extragradient steps (FEG, EAG): two evaluations per iteration."""

    #: the anchor weight beta_k = 1 / (k + offset)
    offset: ClassVar[int]
    #: whether the first step is shrunk by (1 - beta_k)
    shrink_first: ClassVar[bool]
    #: C in the unconstrained guarantee ||F(z_k)|| <= C L ||z_0 - z*|| / k, as printed
    rate_constant: ClassVar[str]

    def warnings(self, problem):
        out = super().warnings(problem)
        if not self.unconstrained:
            out.append(f"the O(1/k) rate of {self.variant} is proven without constraints; with "
                       "projections it is not claimed (the certificate still holds)")
        return out

    def trial(self, problem, oracle, s, a):
        proj = problem.domain.project
        beta = 1.0 / (s.k + self.offset)
        first = (1.0 - beta) * a if self.shrink_first else a
        base = s.z + beta * (s.z0 - s.z)
        z_half = proj(base - first * s.Fz)
        F_half = oracle(z_half)
        if s.L is not None and not self.lipschitz_ok(s.L, z_half, F_half, s.z, s.Fz):
            return z_half, F_half, False
        z1 = proj(base - a * F_half)
        Fz1 = oracle(z1)
        ok = s.L is None or self.lipschitz_ok(s.L, z1, Fz1, z_half, F_half)
        return z1, Fz1, ok

    def rate(self, L):
        if not L:
            return "F is constant on the domain (L = 0): one step solves it"
        claim = (f"||F(z_k)|| <= {self.rate_constant} L ||z_0 - z*|| / k" if self.unconstrained else
                 "no rate is claimed with constraints (the certificate measures the point)")
        return (f"{claim}; L = {L:.6g} ({self.L_source}; F assumed monotone and L-Lipschitz), "
                "k counted from the last anchor")


@dataclass(frozen=True)
class FEG(_Extra):
    """Lee and Kim's fast extragradient (F monotone and L-Lipschitz)."""

    variant: ClassVar[str] = "feg"
    step_limit: ClassVar[float] = 1.0
    offset: ClassVar[int] = 1
    shrink_first: ClassVar[bool] = True
    rate_constant: ClassVar[str] = "2"  # Lee and Kim (2021)


@dataclass(frozen=True)
class EAG(_Extra):
    """Yoon and Ryu's extra anchored gradient, EAG-C (F monotone and L-Lipschitz)."""

    variant: ClassVar[str] = "eag"
    step_limit: ClassVar[float] = 1.0 / 8.0
    offset: ClassVar[int] = 2
    shrink_first: ClassVar[bool] = False
    rate_constant: ClassVar[str] = "sqrt(260)"  # Yoon and Ryu (2021), EAG-C


@register
class HalpernFamily(Family):
    """``halpern``: FEG (default), EAG or Halpern's iteration, chosen by ``variant=``."""

    name: ClassVar[str] = "halpern"
    summary: ClassVar[str] = _Anchored.summary
    variants: ClassVar[dict] = {"feg": FEG, "eag": EAG, "halpern": Halpern}
