"""The Small-Gain Nash certificate: constants, weights, margin, steps, verdict, a-posteriori bounds."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...domains import Ball, Box, Reals
from .report import html_report, markdown

__all__ = ["SmallGainCertificate"]

EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True, eq=False)
class SmallGainCertificate:
    """What :func:`eqsolve.small_gain` proves about a game on a region.

    With :math:`M = \\operatorname{blockdiag}(w_i I)`: the flow contracts at rate
    ``alpha`` (:math:`\\|x(t) - y(t)\\|_M \\le e^{-\\alpha t}\\|x(0) - y(0)\\|_M`),
    projected Euler with :math:`0 < h < 2\\alpha/\\beta^2` contracts with factor
    :math:`q(h) = \\sqrt{1 - 2h\\alpha + h^2\\beta^2}`, and for a point x of Ω
    with :math:`T x = \\Pi_X(x - hF(x))`, :math:`\\|x - x^*\\|_M \\le \\|x - Tx\\|_M/(1 - q)`
    when the ball of that radius lies in Ω (:meth:`distance_bound`).

    Attributes
    ----------
    verdict : {"certified", "empirical", "not certified"}
        ``"empirical"``: the margin is positive, but the constants are sample
        extrema rather than bounds (see ``reason``).
    reason : str
    weights, weights_method : array, str
    alpha, beta, rho : float
        Margin :math:`\\alpha_*(w)`, Lipschitz constant in the metric, :math:`\\rho(\\Gamma)`.
    rk4 : dict
        ``rigorous_step_max`` (linear games), ``guideline_step`` (2.5/β), the
        default ``step`` and its contraction ``factor`` where proven.
    band : dict or None
        Two players: the timescale band of :math:`r = w_2/w_1` and :math:`r^*`.

    Examples
    --------
    >>> import numpy as np, eqsolve as eq
    >>> cert = eq.small_gain(eq.QuadraticGame([[1.0, 10.0], [0.05, 1.0]], blocks=[1, 1]))
    >>> round(cert.euler_step_max, 4), cert.certified
    (0.201, True)

    References
    ----------
    .. [1] V. Sharma, arXiv:2512.06791 (2025).
    """

    game: Any = field(repr=False)
    region: Any
    constants: Any = field(repr=False)
    weights: np.ndarray
    weights_method: str
    alpha: float
    beta: float
    rho: float
    verdict: str
    reason: str
    rk4: dict
    band: dict | None
    geometry: str = "euclidean"

    # -- derived quantities ------------------------------------------------
    @property
    def certified(self) -> bool:
        return self.verdict == "certified"

    @property
    def mu(self) -> np.ndarray:
        return self.constants.mu

    @property
    def L(self) -> np.ndarray:
        return self.constants.L

    @property
    def gamma(self) -> np.ndarray:
        """:math:`\\Gamma_{ij} = L_{ij}/\\mu_i` (``inf`` where :math:`\\mu_i \\le 0`)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.mu[:, None] > 0, self.L / self.mu[:, None], np.inf)

    @property
    def small_gain_matrix(self) -> np.ndarray:
        """:math:`C(w) = DK + K^\\top D`."""
        D = np.diag(self.weights)
        K = self.constants.K
        return D @ K + K.T @ D

    @property
    def euler_step_max(self) -> float:
        """Every :math:`h \\in (0, 2\\alpha/\\beta^2)` is a certified Euler step."""
        return 2 * self.alpha / self.beta ** 2 if self.alpha > 0 else 0.0

    @property
    def euler_step(self) -> float:
        """The default step :math:`\\alpha/\\beta^2` (smallest factor :math:`\\sqrt{1 - \\alpha^2/\\beta^2}`)."""
        return self.alpha / self.beta ** 2 if self.alpha > 0 else 0.0

    def euler_factor(self, h: float | None = None) -> float:
        """:math:`q(h) = \\sqrt{1 - 2h\\alpha + h^2\\beta^2}` (>= 1 outside the certified range)."""
        h = self.euler_step if h is None else float(h)
        return math.sqrt(max(1 - 2 * h * self.alpha + (h * self.beta) ** 2, 0.0))

    @property
    def true_margin(self) -> float | None:
        """Exact margin :math:`\\lambda_{\\min}(\\operatorname{sym}(M^{1/2}JM^{-1/2}))` (linear games)."""
        return self.constants.true_margin(self.weights)

    @property
    def euclidean_margin(self) -> float:
        """:math:`\\min \\lambda_{\\min}(\\operatorname{sym} \\hat J)` over the samples (w = 1)."""
        return min(float(np.linalg.eigvalsh((J + J.T) / 2)[0]) for J in self.constants.jacobians)

    # -- a-posteriori bounds -------------------------------------------------
    def metric_norm(self, v) -> float:
        """:math:`\\|v\\|_M = (\\sum_i w_i \\|v_i\\|^2)^{1/2}`."""
        full = np.repeat(self.weights, self.constants.sizes)
        return float(np.sqrt(np.sum(full * np.asarray(v, float) ** 2)))

    def ball_inside_region(self, z, radius: float) -> bool:
        """Whether :math:`B_M(z, \\text{radius}) \\subset \\Omega` (sufficient blockwise test)."""
        for b, s, w in zip(self.region.blocks, self.region.slices, self.weights):
            r, zi = radius / math.sqrt(w), np.asarray(z[s], float)
            if isinstance(b, Reals):
                continue
            if isinstance(b, Box):
                if np.any(zi - r < b.lower) or np.any(zi + r > b.upper):
                    return False
            elif isinstance(b, Ball) and np.linalg.norm(zi - b.center) + r > b.radius:
                return False
        return True

    def distance_bound(self, z, Fz=None) -> dict:
        """A-posteriori bound on the distance from ``z`` to the equilibrium in Ω.

        With the certified Euler map :math:`T` (step :math:`h = \\alpha/\\beta^2`,
        factor q): :math:`\\rho = \\|z - Tz\\|_M/(1 - q)`.  If :math:`B_M(z, \\rho)
        \\subset \\Omega`, T maps the ball into itself, so the equilibrium x* is
        there and unique in Ω: :math:`\\|z - x^*\\|_M \\le \\rho`.  Unconstrained,
        :math:`\\|F(z)\\|_M/\\alpha` also bounds it; the smaller is returned.
        """
        z = np.asarray(z, float)
        if self.verdict == "not certified" or self.geometry != "euclidean":
            return {"holds": False, "why": "no Euclidean-block certificate: " + self.reason}
        game = self.game
        Fz = game.operator(z) if Fz is None else np.asarray(Fz, float)
        h, q = self.euler_step, self.euler_factor()
        step = z - game.domain.project(z - h * Fz)
        # rounding of the subtraction and projection, in the M-norm
        slack = 4 * EPS * (np.linalg.norm(z) + h * np.linalg.norm(Fz)) * math.sqrt(self.weights.max())
        rad = (self.metric_norm(step) + slack) / (1 - q)
        if all(isinstance(b, Reals) for b in game.domain.blocks):
            rad = min(rad, (self.metric_norm(Fz) + slack / h) / self.alpha)
        rad = float(rad)
        inside = bool(self.region.contains(z) and self.ball_inside_region(z, rad))
        out = {"distance_bound_M": rad,
               "distance_bound_euclidean": rad / math.sqrt(self.weights.min()),
               "ball_inside_region": inside, "metric_weights": self.weights.tolist(),
               "holds": bool(inside and self.certified)}
        if not inside:
            out["why"] = "the certified ball leaves the region: the bound is not proven"
        elif not self.certified:
            out["why"] = "constants are empirical: " + self.reason
        return out

    # -- export ------------------------------------------------------------
    def to_dict(self) -> dict:
        """JSON-ready summary (arrays as lists; the game itself is left out)."""
        f = lambda v: None if v is None else (v if math.isfinite(v) else str(v))  # noqa: E731
        band = None if self.band is None else {k: f(v) for k, v in self.band.items()}
        return {
            "verdict": self.verdict, "reason": self.reason, "geometry": self.geometry,
            "players": len(self.weights), "blocks": list(self.constants.sizes),
            "region": repr(self.region), "constants_basis": self.constants.basis,
            "constants_note": self.constants.note, "samples": self.constants.samples,
            "mu": self.mu.tolist(), "L": self.L.tolist(),
            "gamma": [[f(float(v)) for v in row] for row in self.gamma], "rho": f(self.rho),
            "weights": self.weights.tolist(), "weights_method": self.weights_method,
            "small_gain_matrix": self.small_gain_matrix.tolist(),
            "alpha": self.alpha, "beta": self.beta, "true_margin": self.true_margin,
            "euclidean_margin": self.euclidean_margin,
            "flow_rate": max(self.alpha, 0.0),
            "euler_step_max": self.euler_step_max, "euler_step": self.euler_step,
            "euler_factor": self.euler_factor() if self.alpha > 0 else None,
            "rk4": {k: f(v) if isinstance(v, float) else v for k, v in self.rk4.items()},
            "band": band,
        }

    def to_json(self, **kwargs) -> str:
        """:meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), **{"indent": 1, **kwargs})

    def to_markdown(self) -> str:
        """A Markdown summary: verdict, constants, small-gain matrix, steps."""
        return markdown(self)

    def report(self, path, **kwargs):
        """Write a self-contained HTML report (figures as base64 PNG) to ``path``; returns the path."""
        return html_report(self, path, **kwargs)

    def __str__(self):
        return (f"SmallGainCertificate: {self.verdict} (alpha = {self.alpha:.6g}, beta = "
                f"{self.beta:.6g}, rho = {self.rho:.4g}, Euler steps in (0, "
                f"{self.euler_step_max:.4g}))\n  {self.reason}")
