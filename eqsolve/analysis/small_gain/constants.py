"""Constants of a differentiable game on a product region: mu_i, L_ij and beta(w).

For C^1 games on a convex product region Ω,

.. math:: \\mu_i = \\min_{x\\in\\Omega} \\lambda_{\\min}(\\operatorname{sym} \\hat J_{ii}(x)), \\quad
          L_{ij} = \\max_{x\\in\\Omega} \\|\\hat J_{ij}(x)\\|_2, \\quad
          \\beta(w) = \\max_{x\\in\\Omega} \\|W^{1/2} \\hat J(x) W^{-1/2}\\|_2,

with :math:`\\hat J = J_F` (Euclidean) or :math:`G^{-1/2} J_F G^{-1/2}` (a per-player
metric G, e.g. Fisher).  Quadratic games: one Jacobian, exact.  Otherwise the
extrema are taken over a grid of covering radius δ; with a bound K on the
Jacobian's Lipschitz constant every constant moves by Kδ (Weyl's inequality
and the triangle inequality for norms), which makes it rigorous.

References
----------
.. [1] V. Sharma, arXiv:2512.06791 (2025); the authors' grid estimate
   (markov/sgn_theory.py) is the empirical variant here.
.. [2] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
   SIAM (2002) (backward stability of the symmetric eigensolver and the SVD).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .regions import covering_radius, grid_points

__all__ = ["GameConstants", "block_constants", "fp_allowance"]

EPS = float(np.finfo(np.float64).eps)


def fp_allowance(norm: float, n: int) -> float:
    """Rounding bound for an eigenvalue / singular value of an n x n matrix of norm ``norm``.

    The LAPACK routines are backward stable (perturbation <= c n eps ||A||),
    and by Weyl's inequality eigenvalues move by at most that much; ``c = 8``.
    """
    return 8.0 * n * EPS * float(norm)


def _inv_sqrt(G):
    vals, vecs = np.linalg.eigh(G)
    return (vecs / np.sqrt(vals)) @ vecs.T


@dataclass(frozen=True)
class GameConstants:
    """Block constants of a game on a region, and how they were obtained.

    ``basis`` is ``"exact"`` (quadratic games), ``"rigorous"`` (grid plus a
    Jacobian-Lipschitz margin) or ``"empirical"`` (extrema over samples only).
    """

    mu: np.ndarray
    L: np.ndarray
    basis: str
    samples: int
    slack: float
    linear: bool
    note: str
    sizes: tuple
    jacobians: tuple = field(repr=False, default=())

    @property
    def K(self) -> np.ndarray:
        """The Z-matrix :math:`K_{ii} = \\mu_i`, :math:`K_{ij} = -L_{ij}`."""
        return np.diag(self.mu) - self.L

    def beta(self, w) -> float:
        """:math:`\\beta(w)`, with the sampling slack :math:`\\sqrt{w_{\\max}/w_{\\min}}\\,K\\delta`."""
        s = np.sqrt(np.asarray(w, float))
        full = np.repeat(s, self.sizes)
        best = 0.0
        for J in self.jacobians:
            B = (full[:, None] * J) / full[None, :]
            best = max(best, float(np.linalg.norm(B, 2)) + fp_allowance(np.linalg.norm(B), len(J)))
        return best + float(s.max() / s.min()) * self.slack

    def true_margin(self, w) -> float | None:
        """Exact :math:`\\lambda_{\\min}(\\operatorname{sym}(W^{1/2} J W^{-1/2}))` for linear F (else None)."""
        if not self.linear:
            return None
        full = np.repeat(np.sqrt(np.asarray(w, float)), self.sizes)
        B = (full[:, None] * self.jacobians[0]) / full[None, :]
        return float(np.linalg.eigvalsh((B + B.T) / 2)[0])


def _normalised(game, z, geometry):
    J = game.jacobian(z)
    if geometry == "euclidean":
        return J
    from scipy.linalg import block_diag

    R = block_diag(*[_inv_sqrt(G) for G in game.metric(z)])
    return R @ J @ R


def _samples(region, d, grid, max_samples, seed):
    if grid ** d <= max_samples:
        return grid_points(region, grid), covering_radius(region, grid)
    rng = np.random.default_rng(seed)
    lo, hi = [], []
    for b in region.blocks:
        c = getattr(b, "center", None)
        lo.append(b.lower if c is None else c - b.radius)
        hi.append(b.upper if c is None else c + b.radius)
    lo, hi = np.concatenate(lo), np.concatenate(hi)
    pts = lo + (hi - lo) * rng.random((max_samples - 1, d))
    pts = np.vstack([(lo + hi) / 2, pts])
    return np.stack([region.project(p) for p in pts]), None


def block_constants(game, region, *, geometry="euclidean", grid=3, max_samples=4096,
                    jacobian_lipschitz=None, seed=0) -> GameConstants:
    """:math:`\\mu`, :math:`L` (and the Jacobians for :math:`\\beta`) of ``game`` on ``region``."""
    sl = region.slices
    n = len(sl)
    if game.exact_jacobian and geometry == "euclidean":
        pts, delta = [np.zeros(game.dim)], 0.0
        basis, note = "exact", "exact constants of a quadratic game (constant Jacobian)"
    else:
        pts, delta = _samples(region, game.dim, grid, max_samples, seed)
        rigorous = (jacobian_lipschitz is not None and delta is not None and geometry == "euclidean"
                    and game.jacobian_method in ("analytic", "complex"))
        if rigorous:
            basis = "rigorous"
            note = (f"grid of {len(pts)} points, covering radius {delta:.3g}, Jacobian-Lipschitz "
                    f"bound {jacobian_lipschitz:g}: margin {jacobian_lipschitz * delta:.3g}")
        else:
            basis = "empirical"
            why = ("the metric depends on the point (Fisher geometry)" if geometry == "metric" else
                   "the Jacobian is a finite-difference estimate" if game.jacobian_method == "central"
                   else "random samples (grid too large)" if delta is None else
                   "no Jacobian-Lipschitz bound was given (jacobian_lipschitz=)")
            note = (f"the constants are extrema over {len(pts)} samples, not bounds over the "
                    f"region: {why}")
    slack = float(jacobian_lipschitz) * delta if basis == "rigorous" else 0.0
    mu, L = np.full(n, np.inf), np.zeros((n, n))
    Js = []
    for z in pts:
        J = _normalised(game, z, geometry)
        Js.append(J)
        for i in range(n):
            A = J[sl[i], sl[i]]
            S = (A + A.T) / 2
            mu[i] = min(mu[i], float(np.linalg.eigvalsh(S)[0]) - fp_allowance(np.linalg.norm(S),
                                                                             S.shape[0]))
            for j in range(n):
                if i != j:
                    B = J[sl[i], sl[j]]
                    L[i, j] = max(L[i, j], float(np.linalg.norm(B, 2))
                                  + fp_allowance(np.linalg.norm(B), max(B.shape)))
    mu = mu - slack
    L = L + slack * (1 - np.eye(n))
    linear = bool(game.exact_jacobian) and geometry == "euclidean"
    sizes = tuple(s.stop - s.start for s in sl)
    return GameConstants(mu, L, basis, len(pts), slack, linear, note, sizes, tuple(Js))

