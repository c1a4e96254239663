"""Weights of the Small-Gain metric: margin, Perron / M-matrix weights, two-player band, LMI.

References
----------
.. [1] V. Sharma, "Small-Gain Nash", arXiv:2512.06791 (2025).
.. [2] A. Berman and R. J. Plemmons, *Nonnegative Matrices in the Mathematical
   Sciences*, SIAM (1994), Ch. 6.
.. [3] S. Boyd, L. El Ghaoui, E. Feron and V. Balakrishnan, *Linear Matrix Inequalities
   in System and Control Theory*, SIAM (1994), Sec. 2.2 (generalized eigenvalue problems
   by bisection).
"""

from __future__ import annotations

import math

import numpy as np

from .constants import GameConstants, fp_allowance

__all__ = ["margin", "perron_weights", "two_player_band", "choose_weights"]


def margin(K, w) -> float:
    """:math:`\\alpha_*(w) = \\lambda_{\\min}(\\operatorname{sym}(D^{1/2} K D^{-1/2}))`, rounding subtracted.

    Examples
    --------
    >>> import numpy as np
    >>> round(margin(np.array([[1.0, -10.0], [-0.05, 1.0]]), [1.0, 200.0]), 5)
    0.29289

    References
    ----------
    .. [1] V. Sharma, arXiv:2512.06791 (2025).
    """
    K, w = np.asarray(K, float), np.asarray(w, float)
    s = np.sqrt(w)
    S = (s[:, None] * K) / s[None, :]
    S = (S + S.T) / 2
    return float(np.linalg.eigvalsh(S)[0]) - fp_allowance(np.linalg.norm(S), len(w))


def perron_weights(mu, L):
    """Certifying weights from the Perron vectors of :math:`\\Gamma = \\operatorname{diag}(\\mu)^{-1} L`.

    With :math:`\\Gamma u = \\rho u` and :math:`\\Gamma^\\top v' = \\rho v'`,
    :math:`w_i = v_i/u_i`, :math:`v = \\operatorname{diag}(\\mu)^{-1} v'`; then
    :math:`C(w) \\succ 0` whenever :math:`\\rho(\\Gamma) < 1` and Γ is irreducible.  For
    reducible Γ (Perron vectors with zero entries) the M-matrix weights
    :math:`w_i = y_i/x_i`, :math:`x = K^{-1}\\mathbf 1`, :math:`y = K^{-\\top}\\mathbf 1`
    also certify (Berman-Plemmons); the better of the two is returned, as
    ``(w, rho)`` with ``w[0] = 1``.  Needs every :math:`\\mu_i > 0`.

    Examples
    --------
    >>> import numpy as np
    >>> w, rho = perron_weights([1.0, 1.0], np.array([[0.0, 10.0], [0.05, 0.0]]))
    >>> np.round(w, 6), round(rho, 6)
    (array([  1., 200.]), 0.707107)

    References
    ----------
    .. [1] A. Berman and R. J. Plemmons, *Nonnegative Matrices in the Mathematical
       Sciences*, SIAM (1994), Thm. 6.2.3.
    """
    mu, L = np.asarray(mu, float), np.asarray(L, float)
    G = L / mu[:, None]
    rho = float(np.max(np.abs(np.linalg.eigvals(G))))
    n = len(mu)
    K = np.diag(mu) - L

    def perron(A):
        vals, vecs = np.linalg.eig(A)
        return np.abs(np.real(vecs[:, np.argmax(np.real(vals))]))

    cands = []
    with np.errstate(divide="ignore", invalid="ignore"):
        u, v = perron(G), perron(G.T) / mu
        cands.append(v / u)
        if rho < 1:
            ones = np.ones(n)
            cands.append(np.linalg.solve(K.T, ones) / np.linalg.solve(K, ones))
    cands = [w / w[0] for w in cands if np.all(np.isfinite(w)) and np.all(w > 0)]
    if not cands:
        return np.ones(n), rho
    return max(cands, key=lambda w: margin(K, w)), rho


def two_player_band(mu, L, alpha: float = 0.0):
    """Ratios :math:`r = w_2/w_1` with :math:`\\alpha_*(r) \\ge \\alpha`, and the best ratio.

    :math:`r_\\pm = [2P - L_{12}L_{21} \\pm 2\\sqrt{P(P - L_{12}L_{21})}]/L_{21}^2`,
    :math:`P = (\\mu_1 - \\alpha)(\\mu_2 - \\alpha)`; the largest margin
    :math:`(\\mu_1+\\mu_2)/2 - \\sqrt{((\\mu_1-\\mu_2)/2)^2 + L_{12}L_{21}}` is reached at
    :math:`r^* = L_{12}/L_{21}`.  Returns ``{"r_lo", "r_hi", "r_opt", "alpha_max"}``
    (``r_lo > r_hi`` marks an empty band; a zero coupling gives an open end).

    Examples
    --------
    >>> import numpy as np
    >>> b = two_player_band([1.0, 1.0], np.array([[0.0, 10.0], [0.05, 0.0]]))
    >>> round(b["r_lo"], 2), round(b["r_hi"], 2), b["r_opt"]
    (34.31, 1165.69, 200.0)

    References
    ----------
    .. [1] V. Sharma, arXiv:2512.06791 (2025); ``two_player_band`` in the authors'
       LQ_GAMES/compute_sgn_metrics.py.
    """
    m1, m2 = float(mu[0]) - alpha, float(mu[1]) - alpha
    l12, l21 = float(L[0, 1]), float(L[1, 0])
    amax = (mu[0] + mu[1]) / 2 - math.sqrt(((mu[0] - mu[1]) / 2) ** 2 + l12 * l21)
    P, c = m1 * m2, l12 * l21
    if m1 <= 0 or m2 <= 0 or P <= c:
        return {"r_lo": math.inf, "r_hi": 0.0, "r_opt": None, "alpha_max": float(amax)}
    if l21 == 0 and l12 == 0:
        lo, hi, opt = 0.0, math.inf, 1.0
    elif l21 == 0:  # alpha_*(r) >= alpha iff r >= l12^2 / (4 P)
        lo, hi = l12 ** 2 / (4 * P), math.inf
        opt = None
    elif l12 == 0:
        lo, hi = 0.0, 4 * P / l21 ** 2
        opt = None
    else:
        root = 2 * math.sqrt(P * (P - c))
        lo, hi = (2 * P - c - root) / l21 ** 2, (2 * P - c + root) / l21 ** 2
        opt = l12 / l21
    return {"r_lo": float(lo), "r_hi": float(hi), "r_opt": opt, "alpha_max": float(amax)}


def _lmi_weights(K, lo: float, hi: float, iters: int = 30):
    """Bisection on α for :math:`DK + K^\\top D - 2\\alpha D \\succeq 0` (cvxpy); ``None`` without cvxpy."""
    try:
        import cvxpy as cp
    except ImportError:
        return None
    n = K.shape[0]
    d, t, a = cp.Variable(n), cp.Variable(), cp.Parameter(nonneg=True)
    D = cp.diag(d)
    S = D @ K + K.T @ D - 2 * a * D
    prob = cp.Problem(cp.Maximize(t), [(S + S.T) / 2 >> t * np.eye(n), cp.sum(d) == 1, d >= 1e-9,
                                       t <= 1.0])
    best = None
    for _ in range(iters):
        a.value = (lo + hi) / 2
        try:
            prob.solve(solver=cp.CLARABEL)
        except cp.SolverError:
            break
        if prob.status in ("optimal", "optimal_inaccurate") and t.value is not None and t.value > 0:
            lo, best = a.value, np.maximum(np.asarray(d.value, float), 1e-12)
        else:
            hi = a.value
        if hi - lo <= 1e-7 * max(1.0, abs(hi)):
            break
    return None if best is None else best / best[0]


def choose_weights(consts: GameConstants, weights, optimize: bool):
    mu, L = consts.mu, consts.L
    n = len(mu)
    if weights is not None:
        w = np.asarray(weights, float)
        if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w <= 0):
            raise ValueError(f"weights must be {n} finite positive numbers (one per player), got "
                             f"{weights!r}")
        return w / w[0], "given by the caller"
    if np.any(mu <= 0):
        return np.ones(n), "uniform (some mu_i <= 0: no weights can certify)"
    w, rho = perron_weights(mu, L)
    if not optimize or rho >= 1:
        return w, "Perron vectors of Gamma"
    if n == 2:
        band = two_player_band(mu, L)
        if band["r_opt"] is not None:
            return np.array([1.0, band["r_opt"]]), "two-player optimum r* = L12/L21 (exact)"
        from scipy.optimize import minimize_scalar

        lo = math.log(max(band["r_lo"], 1e-12)) if band["r_lo"] > 0 else -30.0
        hi = math.log(band["r_hi"]) if math.isfinite(band["r_hi"]) else 30.0
        res = minimize_scalar(lambda t: -margin(consts.K, [1.0, math.exp(t)]), bounds=(lo, hi),
                              method="bounded")
        cand = np.array([1.0, math.exp(res.x)])
        return (cand, "two-player margin maximised over log r") if margin(consts.K, cand) > \
            margin(consts.K, w) else (w, "Perron vectors of Gamma")
    cand = _lmi_weights(consts.K, max(margin(consts.K, w), 0.0), float(mu.min()))
    if cand is None:
        return w, "Perron vectors of Gamma (cvxpy not installed: margin not maximised)"
    if margin(consts.K, cand) > margin(consts.K, w):
        return cand, "LMI DK + K^T D - 2 alpha D >= 0, bisection on alpha (cvxpy/CLARABEL)"
    return w, "Perron vectors of Gamma (the LMI found no larger margin)"
