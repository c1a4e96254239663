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

from .._validation import check_positive
from ..backend import all_finite, namespace
from ..domains import Reals
from .base import Candidate, Family, Method, NonFiniteError, Traits
from .registry import register

__all__ = ["HalpernFamily", "Halpern", "FEG", "EAG"]


class AnchorState(NamedTuple):
    z0: Any  # the anchor
    z: Any  # current iterate
    Fz: Any  # F(z)
    k: int


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
        problem's ``lipschitz``.
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

    step_size: float
    L: float | None
    unconstrained: bool

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
        L = problem.lipschitz if L is None else check_positive("L", L)
        if step is not None:
            step = check_positive("step", step)
        if L is None and step is None:
            raise ValueError(
                f"halpern (variant={cls.variant!r}) uses a fixed step from the "
                "Lipschitz/cocoercivity constant: pass L= (or step=), or give the problem L")
        unconstrained = isinstance(problem.domain, Reals)
        if step is None:
            step = cls.default_step(L, unconstrained)
        return cls(step, L, unconstrained)

    def warnings(self, problem):
        out = []
        if self.L is not None:
            limit = self.guarantee_limit() / self.L
            if self.step_size > limit * (1 + 1e-12):
                out.append(f"step {self.step_size:.3g} exceeds {limit:.3g}, the largest step the "
                           f"{self.variant} guarantee allows")
        return out

    def guarantee_limit(self) -> float:
        return self.step_limit

    def init(self, problem, oracle, z0):
        return AnchorState(z0, z0, oracle(z0), 0)

    def restart(self, problem, oracle, s, name, at):
        return AnchorState(at.z, at.z, at.Fz, 0)

    def _finish(self, s, z1, Fz1):
        if not all_finite(namespace(Fz1), Fz1):
            raise NonFiniteError
        return AnchorState(s.z0, z1, Fz1, s.k + 1)

    def candidates(self, s):
        return {"last": Candidate(s.z, s.Fz)}

    def diagnostics(self, s):
        return {"variant": self.variant, "step": self.step_size, "anchor_iterations": s.k}


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

    def step(self, problem, oracle, s):
        lam = 1.0 / (s.k + 2)
        z1 = lam * s.z0 + (1.0 - lam) * problem.domain.project(s.z - self.step_size * s.Fz)
        return self._finish(s, z1, oracle(z1))


class _Extra(_Anchored):
    """The anchored extragradient steps (FEG, EAG): two evaluations per iteration."""

    #: the anchor weight beta_k = 1 / (k + offset)
    offset: ClassVar[int]
    #: whether the first step is shrunk by (1 - beta_k)
    shrink_first: ClassVar[bool]

    def warnings(self, problem):
        out = super().warnings(problem)
        if not self.unconstrained:
            out.append(f"the O(1/k) rate of {self.variant} is proven without constraints; with "
                       "projections it is not claimed (the certificate still holds)")
        return out

    def step(self, problem, oracle, s):
        proj, a = problem.domain.project, self.step_size
        beta = 1.0 / (s.k + self.offset)
        first = (1.0 - beta) * a if self.shrink_first else a
        base = s.z + beta * (s.z0 - s.z)
        z_half = proj(base - first * s.Fz)
        z1 = proj(base - a * oracle(z_half))
        return self._finish(s, z1, oracle(z1))


@dataclass(frozen=True)
class FEG(_Extra):
    """Lee and Kim's fast extragradient (F monotone and L-Lipschitz)."""

    variant: ClassVar[str] = "feg"
    step_limit: ClassVar[float] = 1.0
    offset: ClassVar[int] = 1
    shrink_first: ClassVar[bool] = True


@dataclass(frozen=True)
class EAG(_Extra):
    """Yoon and Ryu's extra anchored gradient, EAG-C (F monotone and L-Lipschitz)."""

    variant: ClassVar[str] = "eag"
    step_limit: ClassVar[float] = 1.0 / 8.0
    offset: ClassVar[int] = 2
    shrink_first: ClassVar[bool] = False


@register
class HalpernFamily(Family):
    """``halpern``: FEG (default), EAG or Halpern's iteration, chosen by ``variant=``."""

    name: ClassVar[str] = "halpern"
    summary: ClassVar[str] = _Anchored.summary
    variants: ClassVar[dict] = {"feg": FEG, "eag": EAG, "halpern": Halpern}
