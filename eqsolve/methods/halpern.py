"""Halpern iteration and the anchored extragradient family: O(1/k) last-iterate residuals.

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
from ._driver import Method, NonFiniteError

__all__ = ["HALPERN"]

VARIANTS = ("feg", "eag", "halpern")


class AnchorState(NamedTuple):
    z0: Any  # the anchor
    z: Any  # current iterate
    Fz: Any  # F(z)
    k: int


@dataclass(frozen=True)
class AnchorConfig:
    variant: str
    step: float
    L: float
    unconstrained: bool


class _Halpern(Method):
    outputs: ClassVar[tuple] = ("last",)
    default_output: ClassVar[str] = "last"
    # restarting resets the anchor: linear rates on sharp problems; the
    # worst-case O(1/k) statements are for restart=False
    default_restart: ClassVar[bool] = True

    def configure(self, problem, *, variant="feg", step=None, L=None):
        if problem.interior_only:
            raise TypeError(f"halpern projects onto the boundary, so it needs an operator defined "
                            f"there; {problem!r} is defined only inside its domain")
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
        L = problem.lipschitz if L is None else check_positive("L", L)
        if step is not None:
            step = check_positive("step", step)
        if L is None and step is None:
            raise ValueError(
                f"halpern (variant={variant!r}) uses a fixed step from the Lipschitz/cocoercivity "
                "constant: pass L= (or step=), or give the problem L"
            )
        unconstrained = isinstance(problem.domain, Reals)
        if step is None:
            step = {"feg": 1.0 / L, "eag": 1.0 / (8.0 * L),
                    "halpern": (2.0 if unconstrained else 1.0) / L}[variant]
        return AnchorConfig(variant, step, L, unconstrained)

    def warnings(self, problem, cfg):
        out = []
        if cfg.L is not None:
            limit = {"feg": 1.0, "eag": 1.0 / 8.0, "halpern": 2.0}[cfg.variant] / cfg.L
            if cfg.step > limit * (1 + 1e-12):
                out.append(f"step {cfg.step:.3g} exceeds {limit:.3g}, the largest step the "
                           f"{cfg.variant} guarantee allows")
        if cfg.variant == "halpern" and problem.monotone is not True:
            out.append("variant='halpern' assumes F is cocoercive; this problem does not say it "
                       "is even monotone")
        if cfg.variant != "halpern" and not cfg.unconstrained:
            out.append(f"the O(1/k) rate of {cfg.variant} is proven without constraints; with "
                       "projections it is not claimed (the certificate still holds)")
        return out

    def init(self, problem, oracle, z0, cfg):
        return AnchorState(z0, z0, oracle(z0), 0)

    def restart(self, problem, oracle, s, name, z, Fz, cfg):
        return AnchorState(z, z, Fz, 0)

    def step(self, problem, oracle, s, cfg):
        proj = problem.domain.project
        a, k = cfg.step, s.k
        if cfg.variant == "halpern":
            lam = 1.0 / (k + 2)
            z1 = lam * s.z0 + (1.0 - lam) * proj(s.z - a * s.Fz)
        else:
            beta = 1.0 / (k + 1) if cfg.variant == "feg" else 1.0 / (k + 2)
            shrink = (1.0 - beta) if cfg.variant == "feg" else 1.0
            base = s.z + beta * (s.z0 - s.z)
            z_half = proj(base - (shrink * a) * s.Fz)
            z1 = proj(base - a * oracle(z_half))
        Fz1 = oracle(z1)
        if not all_finite(namespace(Fz1), Fz1):
            raise NonFiniteError
        return AnchorState(s.z0, z1, Fz1, k + 1)

    def candidates(self, s, cfg):
        return {"last": (s.z, s.Fz)}

    def diagnostics(self, s, cfg):
        return {"variant": cfg.variant, "step": cfg.step, "anchor_iterations": s.k}


HALPERN = _Halpern(
    name="halpern",
    summary="anchored methods with O(1/k) last-iterate residual: Halpern (cocoercive), "
    "FEG and EAG (monotone Lipschitz)",
)
