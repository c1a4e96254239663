"""Multi-user multi-carrier power control: the Gaussian interference game.

User ``q`` (a transmitter-receiver pair) spreads its budget :math:`P_q` over
``N`` carriers and maximises its rate

.. math:: R_q(p) = \\sum_k \\log\\Big(1 + \\frac{G_{qq}(k)\\, p_q(k)}{\\sigma_q(k)
          + \\sum_{r \\ne q} G_{qr}(k)\\, p_r(k)}\\Big),

with power gains :math:`G_{qr}(k) = |H_{qr}(k)|^2` from transmitter ``r`` to
receiver ``q``.  Its best response is water-filling over
:math:`c_q(k) = (\\sigma_q(k) + \\sum_{r\\ne q} G_{qr}(k) p_r(k)) / G_{qq}(k)`.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_array
from ..certificates import Certificate
from ..certificates.residuals import gamma
from ..domains import Product, Simplex
from ._water_filling import CappedSimplex, water_fill, water_fill_rounding
from .base import Problem

__all__ = ["PowerControlGame"]

EPS = float(np.finfo(np.float64).eps)


def _check_inputs(gains, noise, budgets, masks, caps):
    """Validated float64 copies: gains (Q,Q,N), noise (Q,N), budgets (Q,), caps (Q,N) or None."""
    G = check_array("gains", gains)
    if G.ndim != 3 or G.shape[0] != G.shape[1]:
        raise ValueError("gains must have shape (Q, Q, N): gains[q, r, k] is the power gain from "
                         f"transmitter r to receiver q on carrier k; got shape {tuple(G.shape)}")
    G = np.array(G, dtype=np.float64)
    Q, _, N = G.shape
    if np.any(G < 0):
        raise ValueError(f"gains must be >= 0 (power gains |H|^2), got minimum {G.min():.3g}")
    direct = G[np.arange(Q), np.arange(Q)]
    if np.any(direct <= 0):
        q, k = np.argwhere(direct <= 0)[0]
        raise ValueError(f"gains[q, q, k] (direct links) must be > 0; user {q} has a zero direct "
                         f"gain on carrier {k}")
    shape_msg = "a scalar, one value per user (Q,) or per user and carrier (Q, N)"
    noise = np.array(check_array("noise", noise), dtype=np.float64)
    if noise.shape not in ((), (Q,), (Q, N)):
        raise ValueError(f"noise must be {shape_msg} with Q={Q}, N={N}; got shape {noise.shape}")
    if np.any(noise <= 0):
        raise ValueError(f"noise must be > 0 (it keeps every rate finite), got minimum {noise.min():.3g}")
    noise = np.broadcast_to(noise[:, None] if noise.ndim == 1 else noise, (Q, N)).copy()
    budgets = np.array(check_array("budgets", budgets), dtype=np.float64)
    if budgets.shape not in ((), (Q,)):
        raise ValueError(f"budgets must be a scalar or one value per user (Q={Q},); got shape "
                         f"{budgets.shape}")
    if np.any(budgets <= 0):
        raise ValueError(f"budgets must be > 0, got minimum {budgets.min():.3g}")
    budgets = np.broadcast_to(budgets, (Q,)).copy()
    cap = None
    if caps is not None:
        cap = np.array(check_array("caps", caps, ndim=2, shape=(Q, N), finite=False), dtype=np.float64)
        if np.any(np.isnan(cap)) or np.any(cap < 0):
            raise ValueError("caps must be >= 0 (inf for no cap) and not NaN")
    if masks is not None:
        m = np.asarray(masks)
        if m.dtype != bool or m.shape != (Q, N):
            raise ValueError(f"masks must be a boolean array of shape (Q, N) = {(Q, N)}, got "
                             f"dtype {m.dtype} and shape {m.shape}")
        cap = np.where(m, np.inf if cap is None else cap, 0.0)
    if cap is not None:
        cap = np.minimum(cap, budgets[:, None])  # p_qk <= P_q anyway: caps above it change nothing
        short = np.sum(cap, axis=1) < budgets * (1 - 4 * N * EPS)
        if np.any(short):
            q = int(np.argmax(short))
            raise ValueError(f"caps/masks leave user {q} only {cap[q].sum():.6g} of its budget "
                             f"{budgets[q]:.6g}: raise its caps or lower budgets[{q}]")
    return G, noise, budgets, cap


def _check_interference(c, floor):
    # a sum of nonnegative terms starting at the floor never falls below it (rounding is monotone)
    if not (isinstance(c, np.ndarray) and c.shape == floor.shape and c.dtype == np.float64):
        raise ValueError(f"interference must be a float64 array of shape {floor.shape} (the "
                         "interference() at the point certified)")
    if not np.all(c >= floor):
        raise ValueError("interference must be >= the noise floor everywhere (it is the floor "
                         "plus nonnegative terms): it was not computed by interference()")
    return c


class PowerControlGame(Problem):
    """Gaussian interference game over parallel carriers (Q users, N carriers).

    Parameters
    ----------
    gains : (Q, Q, N) array_like
        ``gains[q, r, k] = |H_qr(k)|^2 >= 0``, from transmitter ``r`` to receiver
        ``q`` on carrier ``k``; direct gains ``gains[q, q, k] > 0``.
    noise : float or (Q,) or (Q, N) array_like
        Noise powers :math:`\\sigma_q(k) > 0`.
    budgets : float or (Q,) array_like
        Power budgets :math:`P_q > 0`.
    masks : (Q, N) bool array_like, optional
        Carriers each user may use (``False``: forced to zero power).
    caps : (Q, N) array_like, optional
        Spectral masks on power, :math:`p_q(k) \\le u_q(k)` (``inf``: none).

    Notes
    -----
    Strategy sets are :math:`\\{0 \\le p_q \\le u_q, \\sum_k p_q(k) = P_q\\}`: rates
    increase in every power, so every best response and every equilibrium
    spends the whole budget, and the equality form loses nothing.  The domain is
    a product of scaled simplices (capped simplices with masks or caps).  The
    operator is the pseudo-gradient :math:`F_q(k) = -\\partial R_q/\\partial p_q(k)
    = -1/(c_q(k) + p_q(k))` (not monotone in general), so the generic methods run
    too; ``water_filling`` is the natural solver.  Points are flat vectors of
    length ``Q N`` (user-major); ``Result.x`` is the ``(Q, N)`` allocation.

    The certificate (kind ``best_response_residual``) is
    :math:`\\max_q \\|p_q - \\mathrm{WF}_q(p_{-q})\\|_2`, with the rate
    exploitability :math:`\\sum_q [\\max R_q(\\cdot, p_{-q}) - R_q(p)]` (an upper
    bound by Lagrangian duality at the computed water level) and, when the
    weighted-norm contraction factor :math:`\\rho_w < 1`, the a-posteriori
    distance bound :math:`\\max_q\\|p_q - p_q^\\star\\|_2 \\le \\|p - \\mathrm{WF}(p)\\|_w/(1-\\rho_w)`
    in ``details``.  All values include floating-point allowances.

    Examples
    --------
    >>> import numpy as np
    >>> G = np.array([[[1.0, 1.0], [0.2, 0.2]], [[0.2, 0.2], [1.0, 1.0]]])
    >>> game = PowerControlGame(G, noise=0.1, budgets=1.0)
    >>> cert = game.certify(np.array([0.5, 0.5, 0.5, 0.5]))
    >>> cert.kind, cert.value < 1e-14, cert.details["contraction_factor"] < 1
    ('best_response_residual', True, True)

    References
    ----------
    .. [1] G. Scutari, D. P. Palomar and S. Barbarossa, "Asynchronous iterative
       water-filling for Gaussian frequency-selective interference channels",
       IEEE Trans. Inf. Theory 54 (2008) 2868-2878.
    """

    residual_kind = "best_response_residual"
    default_method = "water_filling"

    def __init__(self, gains, noise, budgets, masks=None, caps=None):
        G, noise, budgets, caps = _check_inputs(gains, noise, budgets, masks, caps)
        self.Q, self.N = G.shape[0], G.shape[2]
        self.gains, self.noise, self.budgets, self.caps = G, noise, budgets, caps
        idx = np.arange(self.Q)
        self.direct = G[idx, idx].copy()
        # c_q(k) = floor_q(k) + sum_r coupling[k, q, r] p_r(k), coupling[k, q, r] =
        # G_qr(k)/G_qq(k) with a zero diagonal.  Carrier-major: the interference of every
        # user is one Q x Q matrix-vector product per carrier (batched BLAS), which reads the
        # array once at memory speed; a user's row on every carrier is coupling[:, q, :]
        self.floor = noise / self.direct
        self.coupling = np.divide(G.transpose(2, 0, 1), self.direct.T[:, :, None],
                                  out=np.empty((self.N, self.Q, self.Q)))
        self.coupling[:, idx, idx] = 0.0
        if caps is None:
            self.domain = Product([Simplex(self.N, radius=float(b)) for b in budgets])
        else:
            self.domain = Product([CappedSimplex(caps[q], budgets[q]) for q in range(self.Q)])
        # |dF_qk/dp_rk| <= (coupling_k + I)_qr / floor_qk^2 on the domain; per carrier the
        # Jacobian is Q x Q and ||M||_2 <= sqrt(||M||_1 ||M||_inf)
        M = (self.coupling + np.eye(self.Q)) / self.floor.T[:, :, None] ** 2
        self.lipschitz = float(np.max(np.sqrt(M.sum(axis=1).max(axis=1) * M.sum(axis=2).max(axis=1))))
        self._contraction = None
        self._by_user = None

    @property
    def backend(self) -> str:
        return "numpy"  # host float64 arrays (the generic property would water-fill to find out)

    # -- the game ---------------------------------------------------------
    def interference(self, p):
        """Normalised interference-plus-noise ``c`` (Q, N) seen by every user at ``p`` (Q, N).

        :math:`c_q(k) = \\sigma_q(k)/G_{qq}(k) + \\sum_{r \\ne q} G_{qr}(k)\\, p_r(k) / G_{qq}(k)`:
        one batched matrix-vector product over the carriers.

        Examples
        --------
        >>> G = np.array([[[1.0, 2.0], [0.5, 0.0]], [[0.25, 0.0], [1.0, 1.0]]])
        >>> game = PowerControlGame(G, noise=0.1, budgets=1.0)
        >>> game.interference(np.array([[0.5, 0.5], [1.0, 0.0]])).round(12).tolist()
        [[0.6, 0.05], [0.225, 0.1]]
        """
        return self.floor + np.matmul(self.coupling, p.T[:, :, None])[:, :, 0].T

    def coupling_by_user(self):
        """The coupling user-major, ``(Q, Q, N)``: ``[q, r, k] == coupling[k, q, r]``.

        What a sweep that updates one user at a time reads (sequential and
        asynchronous water-filling): user ``q``'s coupling is one contiguous
        ``(Q, N)`` block, laid out like the powers, rather than ``N`` rows
        ``Q^2`` doubles apart.  Built on first use and kept (``Q^2 N`` more
        doubles).
        """
        if self._by_user is None:
            self._by_user = np.ascontiguousarray(self.coupling.transpose(1, 2, 0))
        return self._by_user

    def best_response(self, p):
        """Every user's water-filling response to the others' powers ``p`` (Q, N).

        :math:`\\mathrm{WF}_q(p_{-q})_k = [\\mu_q - c_q(k)]_0^{u_q(k)}` with
        :math:`\\sum_k \\mathrm{WF}_q(p_{-q})_k = P_q`.

        Examples
        --------
        >>> G = np.array([[[1.0, 1.0], [0.5, 0.0]], [[0.0, 0.0], [1.0, 1.0]]])
        >>> game = PowerControlGame(G, noise=0.1, budgets=1.0)
        >>> game.best_response(np.array([[0.5, 0.5], [1.0, 0.0]])).round(12).tolist()
        [[0.25, 0.75], [0.5, 0.5]]
        """
        return water_fill(self.interference(p), self.budgets, self.caps)[0]

    def rates(self, p):
        """The rates :math:`R_q(p)` (nats) of every user at ``p`` (Q, N)."""
        p = np.asarray(p, dtype=np.float64).reshape(self.Q, self.N)
        return np.sum(np.log1p(p / self.interference(p)), axis=1)

    def operator(self, z):
        p = z.reshape(self.Q, self.N)
        return (-1.0 / (self.interference(p) + p)).reshape(-1)

    def split(self, z):
        return {"x": z.reshape(self.Q, self.N)}

    def initial_point(self):
        return water_fill(np.zeros((self.Q, self.N)), self.budgets, self.caps)[0].reshape(-1)

    # -- certificates -----------------------------------------------------
    def contraction(self):
        """The interference matrix :math:`S^{max}`, its spectral radius and Perron weights.

        :math:`[S^{max}]_{qr} = \\max_k G_{qr}(k)/G_{qq}(k)` over the carriers both
        users may use (zero diagonal).  Water-filling is nonexpansive, so
        :math:`\\|\\mathrm{WF}_q(p) - \\mathrm{WF}_q(p')\\|_2 \\le \\sum_{r} S^{max}_{qr}
        \\|p_r - p'_r\\|_2` and WF contracts in :math:`\\|p\\|_w = \\max_q \\|p_q\\|_2/w_q`
        with factor :math:`\\rho_w = \\max_q \\sum_r S^{max}_{qr} w_r / w_q` (any
        :math:`w > 0`; Perron weights make it :math:`\\approx \\rho(S^{max})`).
        Returns a dict ``S``, ``rho`` (spectral radius), ``weights`` (max 1) and
        ``factor`` (:math:`\\rho_w`, rounded up).

        Examples
        --------
        >>> G = np.array([[[1.0, 2.0], [0.1, 0.4]], [[0.3, 0.3], [1.0, 1.0]]])
        >>> con = PowerControlGame(G, noise=0.1, budgets=1.0).contraction()
        >>> con["S"].tolist(), round(con["rho"], 12)      # rho = sqrt(0.2 * 0.3)
        ([[0.0, 0.2], [0.3, 0.0]], 0.244948974278)

        References
        ----------
        G. Scutari, D. P. Palomar and S. Barbarossa, IEEE Trans. Inf. Theory 54 (2008).
        """
        if self._contraction is None:
            allowed = np.ones((self.Q, self.N), bool) if self.caps is None else self.caps > 0
            both = allowed.T[:, :, None] & allowed.T[:, None, :]
            S = np.max(np.where(both, self.coupling, 0.0), axis=0)
            rho = float(np.max(np.abs(np.linalg.eigvals(S)))) if self.Q > 1 else 0.0
            # the Perron vector of a slightly positive perturbation is strictly positive even
            # when S is reducible; any positive w gives a valid factor
            Se = S + 1e-9 * max(float(S.max()), 1e-300)
            vals, vecs = np.linalg.eig(Se)
            w = np.abs(np.real(vecs[:, np.argmax(np.real(vals))]))
            if not (np.all(np.isfinite(w)) and np.all(w > 0)):
                w = np.ones(self.Q)
            w = w / w.max()
            factor = float(np.max(S @ w / w)) * (1.0 + gamma(self.Q + 6, EPS))
            self._contraction = {"S": S, "rho": rho, "weights": w, "factor": factor}
        return self._contraction

    def certify(self, z, *, Fz=None, point: str = "given", interference=None) -> Certificate:
        """The certificate of ``z`` (see the class notes).

        ``interference`` is :meth:`interference` at ``z`` when the caller already has
        it (``water_filling`` keeps it from its sweep): the certificate then makes its
        ``Q`` water-fillings without reading the gains again.  Its allowance holds for
        any floating-point summation order of the ``Q + 1`` nonnegative terms; a value
        computed at another point gives a meaningless certificate.
        """
        p = np.asarray(z, dtype=np.float64).reshape(self.Q, self.N)
        c = self.interference(p) if interference is None else _check_interference(
            interference, self.floor)
        b, mu = water_fill(c, self.budgets, self.caps)
        r = np.sqrt(np.sum((p - b) ** 2, axis=1))
        wf_err = water_fill_rounding(c, mu, self.budgets, self.Q + 3)
        per_user = r * (1.0 + gamma(self.N + 3, EPS)) + wf_err
        value = float(np.max(per_user))
        details = {"per_user": per_user.tolist()}
        details.update(self._exploitability(p, c, b, mu))
        con = self.contraction()
        details["spectral_radius"] = con["rho"]
        details["contraction_factor"] = con["factor"]
        if con["factor"] < 1.0:
            dist = float(np.max(per_user / con["weights"])) / (1.0 - con["factor"])
            details["distance_bound"] = dist * (1.0 + 4 * EPS)
            details["assumes"] = ("nothing: rho_w < 1 is checked from the gains, so the NE is "
                                  "unique and max_q ||p_q - p*_q||_2 <= distance_bound")
        return Certificate("best_response_residual", value, point,
                           rounding=value - float(np.max(r)), details=details)

    def _exploitability(self, p, c, b, mu):
        # weak duality with multiplier 1/mu: max R_q <= P/mu + sum_k max_{0<=x<=u} phi_k(x),
        # phi_k(x) = log(1 + x/c_k) - x/mu, maximised at clip(mu - c_k, 0, u_k).  Allowances:
        # b misses that argmax by |c - c_hat| + ulp(mu) and |phi'| <= 1/c + 1/mu on the way
        # (only where c <= 2 mu: elsewhere both are 0); each log term moves by <= delta when
        # c is off by delta relative; each evaluation by a few ulps
        mu = np.maximum(mu, np.finfo(np.float64).tiny)
        g_c = gamma(self.Q + 4, EPS)
        dual_terms = np.log1p(b / c) - b / mu[:, None]
        own_terms = np.log1p(p / c)
        gain = self.budgets / mu + dual_terms.sum(axis=1) - own_terms.sum(axis=1)
        mag = self.budgets / mu + np.abs(dual_terms).sum(axis=1) + own_terms.sum(axis=1)
        near = c <= 2.0 * mu[:, None]
        miss = np.where(near, (1.0 / c + 1.0 / mu[:, None]) * (g_c * c + EPS * mu[:, None]), 0.0)
        rnd = (gamma(self.N + 3, EPS) + 4 * EPS) * (mag + 2 * self.N) \
            + 2 * self.N * g_c + 2.0 * miss.sum(axis=1)
        per_user = np.maximum(gain + rnd, 0.0)
        return {"exploitability": float(np.sum(per_user)) * (1.0 + gamma(self.Q, EPS)),
                "exploitability_per_user": per_user.tolist(),
                "water_levels": mu.tolist()}

    def __repr__(self):
        extra = "" if self.caps is None else ", capped"
        return f"PowerControlGame(Q={self.Q}, N={self.N}{extra})"
