"""Small-Gain Nash (SGN): certified contraction of game dynamics in a weighted metric.

On a product region :math:`\\Omega = \\prod_i \\Omega_i`, with block curvatures
:math:`\\mu_i` and cross-player couplings :math:`L_{ij}`, let
:math:`K_{ii} = \\mu_i`, :math:`K_{ij} = -L_{ij}` and :math:`D = \\operatorname{diag}(w)`.
The margin

.. math:: \\alpha_*(w) = \\lambda_{\\min}\\big(\\operatorname{sym}(D^{1/2} K D^{-1/2})\\big)
          = \\tfrac12 \\lambda_{\\min}(D^{-1/2} C(w) D^{-1/2}), \\quad C(w) = DK + K^\\top D,

gives :math:`\\langle F(x) - F(y), M(x - y)\\rangle \\ge \\alpha_*\\|x - y\\|_M^2` on Ω
with :math:`M = \\operatorname{blockdiag}(w_i I_{d_i})`: the flow
:math:`\\dot x = -F(x)` contracts at rate :math:`\\alpha_*`, and projected Euler
with step :math:`h \\in (0, 2\\alpha_*/\\beta^2)` contracts with factor
:math:`q(h) = \\sqrt{1 - 2h\\alpha_* + h^2\\beta^2}`, :math:`\\beta = \\max_\\Omega
\\|M^{1/2} J_F M^{-1/2}\\|_2`.  Weights exist iff :math:`\\rho(\\Gamma) < 1`,
:math:`\\Gamma_{ij} = L_{ij}/\\mu_i` (K a nonsingular M-matrix).

References
----------
.. [1] V. Sharma, "Small-Gain Nash: certified contraction to Nash equilibria in
   differentiable games", arXiv:2512.06791 (2025).
.. [2] A. Berman and R. J. Plemmons, *Nonnegative Matrices in the Mathematical
   Sciences*, SIAM (1994), Ch. 6 (M-matrices and diagonal Lyapunov weights).
.. [3] E. Hairer and G. Wanner, *Solving Ordinary Differential Equations II*,
   Springer (1996), Sec. IV.2 (RK4 stability).
"""

from __future__ import annotations

import math

import numpy as np

from ..._validation import check_max_iter, check_positive
from .certificate import SmallGainCertificate
from .constants import GameConstants, block_constants
from .regions import as_region
from .weights import choose_weights, margin, two_player_band

__all__ = ["small_gain", "rk4_linear_step"]

RK4_C4 = 2.5  # the authors' RK4 guideline constant (config.py); not a proof


def _rk4_tail(x: float) -> float:
    """:math:`\\sum_{k\\ge5} x^k/k!` summed directly (no cancellation)."""
    term, total, k = x ** 5 / 120.0, 0.0, 5
    while term > 1e-18 * max(total, 1e-300) or k < 8:
        total += term
        k += 1
        term *= x / k
    return total


def rk4_linear_step(alpha: float, beta: float):
    """Largest h with :math:`e^{-h\\alpha} + \\sum_{k\\ge5}(h\\beta)^k/k! < 1`, and the best h.

    For linear F, :math:`\\|P_4(-h\\hat H)\\|_2 \\le \\|e^{-h\\hat H}\\| + \\|\\text{tail}\\|
    \\le e^{-h\\alpha} + \\sum_{k\\ge5}(h\\beta)^k/k!`, so RK4 contracts in the metric for
    every ``h`` below the returned ``h_max``.  Returns ``(h_max, h_best, q_best)``
    or ``(0, 0, 1)`` when ``alpha <= 0``.

    Examples
    --------
    >>> h_max, h, q = rk4_linear_step(1 - 0.5 ** 0.5, 1 + 0.5 ** 0.5)
    >>> round(h_max, 4)
    1.099

    References
    ----------
    .. [1] E. Hairer and G. Wanner, *Solving Ordinary Differential Equations II*,
       Springer (1996), Sec. IV.2.
    """
    from scipy.optimize import brentq, minimize_scalar

    if not alpha > 0:
        return 0.0, 0.0, 1.0
    q = lambda h: math.exp(-h * alpha) + _rk4_tail(h * beta)  # noqa: E731
    hi = 1.0 / beta
    while q(hi) < 1:
        hi *= 2
    h_max = brentq(lambda h: q(h) - 1.0, 1e-12 / beta, hi, xtol=1e-14, rtol=1e-12)
    best = minimize_scalar(q, bounds=(0.0, h_max), method="bounded", options={"xatol": 1e-10})
    return float(h_max) * (1 - 1e-9), float(best.x), float(best.fun)


def _check_options(grid, max_samples, jacobian_lipschitz):
    for name, v in (("grid", grid), ("max_samples", max_samples)):
        check_max_iter(v, name=name)
    if jacobian_lipschitz is not None:
        check_positive("jacobian_lipschitz", jacobian_lipschitz, allow_zero=True)


def _verdict(consts: GameConstants, alpha: float, rho: float, user_weights: bool):
    mu = consts.mu
    if np.any(mu <= 0):
        i = int(np.argmin(mu))
        return "not certified", (f"player {i}'s own curvature mu_{i} = {mu[i]:.4g} <= 0 on the "
                                 "region: the game is not block-strongly monotone there")
    if rho >= 1:
        return "not certified", (f"rho(Gamma) = {rho:.4g} >= 1: no diagonal weights satisfy the "
                                 "small-gain condition on this region")
    if not alpha > 0:
        return "not certified", (f"alpha_*(w) = {alpha:.4g} <= 0 at these weights"
                                 + (" (rho(Gamma) < 1: the default weights certify)"
                                    if user_weights else ""))
    if consts.basis == "empirical":
        return "empirical", f"alpha_* > 0, but {consts.note}"
    return "certified", (f"alpha_* = {alpha:.4g} > 0 with {consts.basis} constants: the flow "
                         "contracts in the weighted metric on the region")


def small_gain(game, region=None, *, weights=None, optimize: bool = True, geometry="euclidean",
               grid: int = 3, max_samples: int = 4096, jacobian_lipschitz=None,
               seed=0) -> SmallGainCertificate:
    """Small-Gain Nash certificate of ``game`` on ``region``.

    Computes :math:`\\mu_i, L_{ij}` on Ω, chooses weights (the exact optimum
    :math:`r^* = L_{12}/L_{21}` for two players; Perron weights refined by the
    LMI :math:`DK + K^\\top D - 2\\alpha D \\succeq 0` with bisection on α for
    N > 2), then the margin :math:`\\alpha_*`, :math:`\\beta`, :math:`\\rho(\\Gamma)`,
    the certified Euler step range :math:`(0, 2\\alpha_*/\\beta^2)`, RK4 steps and
    a verdict with its reason.

    Parameters
    ----------
    game : DifferentiableGame or QuadraticGame
    region : Product or list of Box/Ball, optional
        Ω, one bounded box or ball per player (default: the whole space for
        quadratic games, the game's domain otherwise).
    weights : array, optional
        Use these weights instead of optimising.
    optimize : bool
        ``False`` keeps the Perron weights.
    geometry : {"euclidean", "metric"}
        ``"metric"`` uses the game's per-player metric :math:`G_i(x)` (Fisher
        geometry): constants of :math:`G^{-1/2} J G^{-1/2}`, labelled empirical.
    grid : int
        Points per coordinate of the sampling grid (nonlinear games).  When
        ``grid**d > max_samples``, ``max_samples`` random points are used.
    jacobian_lipschitz : float, optional
        A bound K on :math:`\\|J_F(x) - J_F(y)\\|_2 \\le K\\|x - y\\|` over Ω.  With
        it (and an analytic or complex-step Jacobian on a full grid) the
        constants get the rigorous margin :math:`K\\delta` (δ the grid's covering
        radius); without it they are labelled *empirical*.

    Returns
    -------
    SmallGainCertificate

    Examples
    --------
    >>> import eqsolve as eq
    >>> cert = eq.small_gain(eq.QuadraticGame([[1.0, 10.0], [0.05, 1.0]], blocks=[1, 1]))
    >>> cert.verdict, round(cert.alpha, 5), round(cert.beta, 5), cert.weights.tolist()
    ('certified', 0.29289, 1.70711, [1.0, 200.0])

    References
    ----------
    .. [1] V. Sharma, arXiv:2512.06791 (2025).
    """
    region = as_region(game, region)
    _check_options(grid, max_samples, jacobian_lipschitz)
    if geometry not in ("euclidean", "metric"):
        raise ValueError(f"geometry must be 'euclidean' or 'metric', got {geometry!r}")
    if geometry == "metric" and not game.has_metric:
        raise ValueError("geometry='metric' needs a game built with metric= (per-player SPD blocks)")
    consts = block_constants(game, region, geometry=geometry, grid=grid, max_samples=max_samples,
                             jacobian_lipschitz=jacobian_lipschitz, seed=seed)
    w, how = choose_weights(consts, weights, optimize)
    alpha = margin(consts.K, w)
    beta = consts.beta(w)
    rho = (float(np.max(np.abs(np.linalg.eigvals(consts.L / consts.mu[:, None]))))
           if np.all(consts.mu > 0) else math.inf)
    verdict, reason = _verdict(consts, alpha, rho, weights is not None)
    ok = verdict != "not certified"
    rk4 = {"guideline_step": RK4_C4 / beta if ok else 0.0,
           "guideline_label": "guideline h <= 2.5/beta (the authors' C_4), not a proof"}
    if ok and consts.linear:
        h_max, h_best, q_best = rk4_linear_step(alpha, beta)
        rk4.update(rigorous_step_max=h_max, step=h_best, factor=q_best,
                   label="rigorous for linear F: ||P_4(-hH)||_M <= e^{-h alpha} + tail(h beta)")
    else:
        rk4.update(rigorous_step_max=None, step=rk4["guideline_step"] / 2 if ok else 0.0,
                   factor=None, label="no rigorous RK4 bound for nonlinear F; step = guideline/2")
    band = two_player_band(consts.mu, consts.L) if len(w) == 2 else None
    return SmallGainCertificate(game=game, region=region, constants=consts, weights=w,
                                weights_method=how, alpha=alpha, beta=beta, rho=rho,
                                verdict=verdict, reason=reason, rk4=rk4, band=band,
                                geometry=geometry)

