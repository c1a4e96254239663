"""Differentiable N-player games: pseudo-gradient, Jacobian, per-player domains, regions.

Player ``i`` controls the block :math:`x_i \\in X_i \\subset \\mathbb{R}^{d_i}` and
minimises its cost :math:`f_i(x_i, x_{-i})`.  The game is the VI of its
pseudo-gradient

.. math:: F(x) = (\\nabla_{x_1} f_1(x), \\dots, \\nabla_{x_N} f_N(x)), \\qquad X = \\prod_i X_i,

whose solutions are the (first-order) Nash equilibria.  The Jacobian
:math:`J_F(x)` (blocks :math:`\\partial F_i / \\partial x_j`) feeds the Small-Gain
Nash certificate (:func:`eqsolve.small_gain`).

References
----------
.. [1] V. Sharma, "Small-Gain Nash: certified contraction to Nash equilibria in
   differentiable games", arXiv:2512.06791 (2025).
.. [2] F. Facchinei and J.-S. Pang, *Finite-Dimensional Variational Inequalities
   and Complementarity Problems*, Springer (2003), Sec. 1.4.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_array, check_callable
from ..certificates import Certificate, natural_residual, operator_norm
from ..domains import Ball, Box, Domain, Product, Reals
from .base import Problem

__all__ = ["DifferentiableGame", "QuadraticGame", "game_from_spec", "as_product"]

JACOBIAN_METHODS = ("central", "complex")


def _check_blocks(blocks) -> tuple[int, ...]:
    if isinstance(blocks, (int, np.integer)) or not hasattr(blocks, "__len__") or len(blocks) == 0:
        raise TypeError(f"blocks must be a non-empty list of per-player block sizes, got {blocks!r}")
    out = []
    for i, b in enumerate(blocks):
        if isinstance(b, bool) or not isinstance(b, (int, np.integer)) or b < 1:
            raise ValueError(f"blocks[{i}] must be a positive integer (player {i}'s dimension), "
                             f"got {b!r}")
        out.append(int(b))
    return tuple(out)


def as_product(name: str, parts, sizes) -> Product:
    """``parts`` as a product of one set per player, checked against the block ``sizes``.

    ``parts`` is a :class:`Product`, a list of per-player domains, or None (the
    whole space).  Games build their domains with it, Small-Gain Nash its regions.

    Examples
    --------
    >>> as_product("region", [Box(-1, 1, dim=1), Ball(2, radius=1.0)], (1, 2))
    Product(Box(dim=1, lower=-1..., upper=1...), Ball(2, radius=1))
    """
    if parts is None:
        return Product(*[Reals(s) for s in sizes])
    if isinstance(parts, Product):
        parts = parts.blocks
    elif isinstance(parts, Domain):
        if len(sizes) > 1:
            raise ValueError(f"{name} must be a product of one set per player (Product or a list "
                             f"of {len(sizes)} domains), got the single set {parts!r}: a set that "
                             "couples the players is not a product region")
        parts = (parts,)
    parts = tuple(parts)
    if len(parts) != len(sizes):
        raise ValueError(f"{name} has {len(parts)} blocks but the game has {len(sizes)} players")
    for i, (p, s) in enumerate(zip(parts, sizes)):
        if not isinstance(p, Domain):
            raise TypeError(f"{name}[{i}] must be a Domain, got {type(p).__name__}")
        if p.dim != s:
            raise ValueError(f"{name}[{i}] has dimension {p.dim} but player {i}'s block has {s} "
                             "(mismatched blocks)")
    return Product(*parts)


class DifferentiableGame(Problem):
    """N-player differentiable game given by its pseudo-gradient.

    The VI operator is :math:`F(x) = (\\nabla_{x_i} f_i(x))_i` on
    :math:`X = \\prod_i X_i`; the certificate is the natural residual
    :math:`\\|x - \\Pi_X(x - F(x))\\|` (``operator_norm`` when unconstrained).

    Parameters
    ----------
    F : callable
        ``F(x) -> array`` of shape ``(d,)``, ``d = sum(blocks)``.
    blocks : sequence of int
        The players' block sizes :math:`d_1, \\dots, d_N`.
    domains : Product or list of Domain, optional
        Per-player feasible sets (default: unconstrained).
    jacobian : callable, optional
        ``jacobian(x) -> (d, d) array``, :math:`J_F(x)`.  Without it the
        Jacobian is taken by ``jacobian_method``: ``"central"`` differences
        (error :math:`O(h^2)`, so constants built on it are *empirical*) or
        ``"complex"`` step (:math:`\\operatorname{Im} F(x + i h e_k)/h`, exact to
        rounding when ``F`` is real-analytic and accepts complex input).
    metric : callable, optional
        ``metric(x) -> list of SPD (d_i, d_i) arrays``: a per-player geometry
        (e.g. the Fisher information of softmax policies) used by
        ``small_gain(..., geometry="metric")`` and the natural-gradient flow.

    Examples
    --------
    >>> import numpy as np
    >>> g = DifferentiableGame(lambda x: np.array([x[0] + 2 * x[1], x[1] - 0.1 * x[0]]), [1, 1])
    >>> np.round(g.jacobian(np.zeros(2)), 6)
    array([[ 1. ,  2. ],
           [-0.1,  1. ]])

    References
    ----------
    .. [1] F. Facchinei and J.-S. Pang, *Finite-Dimensional Variational Inequalities and
       Complementarity Problems*, Springer (2003), Sec. 1.4.
    .. [2] J. R. R. A. Martins, P. Sturdza and J. J. Alonso, "The complex-step derivative
       approximation", ACM TOMS 29 (2003) 245-262.
    """

    exact_jacobian = False

    def __init__(self, F, blocks, domains=None, *, jacobian=None, jacobian_method="central",
                 metric=None):
        if F is None or not callable(F):
            raise TypeError(f"F must be a callable F(x) -> array, got {type(F).__name__}")
        check_callable("jacobian", jacobian)
        check_callable("metric", metric)
        if jacobian_method not in JACOBIAN_METHODS:
            raise ValueError(f"jacobian_method must be one of {JACOBIAN_METHODS}, got "
                             f"{jacobian_method!r}")
        self.sizes = _check_blocks(blocks)
        self.domain = as_product("domains", domains, self.sizes)
        self._F, self._jac, self._metric = F, jacobian, metric
        self.jacobian_method = "analytic" if jacobian is not None else jacobian_method
        self.residual_kind = ("operator_norm" if all(isinstance(b, Reals) for b in self.domain.blocks)
                              else "natural_residual")

    # -- structure ------------------------------------------------------
    @property
    def n_players(self) -> int:
        return len(self.sizes)

    @property
    def blocks(self):
        return tuple(f"player {i}" for i in range(self.n_players))

    @property
    def has_metric(self) -> bool:
        return self._metric is not None

    def players(self, z) -> list:
        """The players' blocks of the joint point ``z``."""
        return self.domain.split(z)

    def split(self, z):
        parts = self.players(z)
        return {"x": parts[0], "y": parts[1]} if len(parts) == 2 else {"x": z}

    def initial_point(self):
        return self.domain.project(np.zeros(self.dim))

    # -- operator and derivatives --------------------------------------
    def operator(self, z):
        out = np.asarray(self._F(z))
        if out.shape != z.shape:
            raise ValueError(f"F returned an array of shape {out.shape} for a point of shape "
                             f"{z.shape}")
        return out

    def jacobian(self, z) -> np.ndarray:
        """:math:`J_F(z)`, a finite ``(d, d)`` array (``ValueError`` if not finite)."""
        z = np.asarray(z, dtype=np.float64)
        # overflow / division by zero show up as non-finite entries, reported below
        with np.errstate(all="ignore"):
            if self._jac is not None:
                J = check_array("jacobian(x)", np.asarray(self._jac(z)),
                                shape=(self.dim, self.dim), finite=False)
            elif self.jacobian_method == "complex":
                J = self._complex_step(z)
            else:
                J = self._central(z)
        if not np.isfinite(J).all():
            raise ValueError(f"the Jacobian is not finite at x = {np.array2string(z, precision=3)}; "
                             "restrict the region to where F is differentiable")
        return J

    def _central(self, z):
        J = np.empty((self.dim, self.dim))
        for k in range(self.dim):
            # h ~ eps^(1/3) balances truncation O(h^2) and cancellation O(eps/h)
            h = np.cbrt(np.finfo(float).eps) * max(1.0, abs(z[k]))
            e = np.zeros(self.dim)
            e[k] = h
            J[:, k] = (self.operator(z + e) - self.operator(z - e)) / (2 * h)
        return J

    def _complex_step(self, z):
        J = np.empty((self.dim, self.dim))
        h = 1e-30
        for k in range(self.dim):
            zc = z.astype(complex)
            zc[k] += 1j * h
            try:
                out = np.asarray(self._F(zc))
            except TypeError as exc:
                raise TypeError(f"jacobian_method='complex' needs F to accept complex input ({exc}); "
                                "use jacobian_method='central' or pass jacobian=") from None
            if not np.iscomplexobj(out):
                raise TypeError("jacobian_method='complex' needs F to keep complex input complex "
                                "(it returned a real array); use jacobian_method='central'")
            J[:, k] = out.imag / h
        return J

    def metric(self, z, strict: bool = True) -> list:
        """Per-player SPD metric blocks at ``z`` (identity blocks without a ``metric``).

        ``strict=False`` skips the positive-definiteness check (a flow whose
        metric degenerates along the way reports divergence instead).
        """
        if self._metric is None:
            return [np.eye(s) for s in self.sizes]
        G = list(self._metric(np.asarray(z, dtype=np.float64)))
        if len(G) != self.n_players:
            raise ValueError(f"metric(x) returned {len(G)} blocks for {self.n_players} players")
        for i, (g, s) in enumerate(zip(G, self.sizes)):
            g = check_array(f"metric(x)[{i}]", g, shape=(s, s), finite=strict)
            if strict and np.linalg.eigvalsh((g + g.T) / 2)[0] <= 0:
                raise ValueError(f"metric(x)[{i}] must be symmetric positive definite")
            G[i] = (g + g.T) / 2
        return G

    # -- certification --------------------------------------------------
    def certify(self, z, *, Fz=None, point: str = "given") -> Certificate:
        if Fz is None:
            Fz = self.operator(z)
        if self.residual_kind == "operator_norm":
            val, rnd = operator_norm(Fz)
        else:
            val, rnd = natural_residual(self.domain, z, Fz)
        return Certificate(self.residual_kind, val + rnd, point, rnd, {})

    def __repr__(self):
        return f"{type(self).__name__}(blocks={list(self.sizes)}, domain={self.domain!r})"


class QuadraticGame(DifferentiableGame):
    """Quadratic game: :math:`F(x) = J x + c` with constant Jacobian ``J``.

    Player ``i``'s cost is :math:`f_i = \\tfrac12 x_i^\\top J_{ii} x_i +
    x_i^\\top (\\sum_{j\\ne i} J_{ij} x_j + c_i)` (any :math:`J_{ii}`-symmetric
    quadratic with these partial gradients).  Constants of the Small-Gain
    certificate are exact and global.

    Parameters
    ----------
    J : (d, d) array
    c : (d,) array, optional (default 0)
    blocks : sequence of int
    domains : Product or list of Domain, optional

    Examples
    --------
    >>> import numpy as np
    >>> g = QuadraticGame([[1.0, 10.0], [0.05, 1.0]], blocks=[1, 1])   # the SGN mini-toy
    >>> g.operator(np.array([1.0, 0.0]))
    array([1.  , 0.05])

    References
    ----------
    .. [1] V. Sharma, "Small-Gain Nash", arXiv:2512.06791 (2025).
    """

    exact_jacobian = True

    def __init__(self, J, c=None, blocks=None, domains=None):
        J = check_array("J", J, ndim=2)
        if J.shape[0] != J.shape[1]:
            raise ValueError(f"J must be square, got shape {J.shape}")
        d = J.shape[0]
        c = np.zeros(d) if c is None else check_array("c", c, shape=(d,))
        blocks = [d] if blocks is None else blocks
        if sum(_check_blocks(blocks)) != d:
            raise ValueError(f"blocks {list(blocks)} sum to {sum(blocks)} but J is {d}x{d} "
                             "(mismatched blocks)")
        self.J, self.c = np.array(J, dtype=np.float64), np.array(c, dtype=np.float64)
        # the Small-Gain certificate squares the entries of J's blocks (Frobenius norms) and
        # sums d of them: entries up to sqrt(float64 max) / (4 d) keep those finite
        limit = float(np.sqrt(np.finfo(np.float64).max)) / (4.0 * d)
        for name, arr in (("J", self.J), ("c", self.c)):
            big = float(np.max(np.abs(arr))) if arr.size else 0.0
            if big > limit:
                raise ValueError(
                    f"{name} has an entry of magnitude {big:.3g}; for a {d}-dimensional game the "
                    f"entries of J and c must be at most {limit:.3g} (sqrt(1.8e308) / (4 d)) so "
                    "that the certificate's norms of J stay inside float64's range; rescale "
                    f"{name} (and the region) by a power of two")
        # bound methods, not lambdas: the game pickles with the standard library
        super().__init__(self._affine, blocks, domains, jacobian=self._jacobian)
        self.lipschitz = float(np.linalg.norm(self.J, 2))
        # J / 2 + J.T / 2: the symmetric part without forming J + J.T (which could overflow)
        margin = float(np.linalg.eigvalsh(self.J / 2 + self.J.T / 2)[0])
        self.monotone = margin >= 0
        self.strong_monotonicity = margin if margin > 0 else None

    def _affine(self, z):
        return self.J @ z + self.c

    def _jacobian(self, z):
        return self.J


def _region_block(i, spec, size):
    if not isinstance(spec, dict) or len(spec) != 1:
        raise ValueError(f"region[{i}] must be {{'box': [lower, upper]}}, {{'ball': {{'radius': r, "
                         f"'center': [...]}}}} or {{'reals': true}}, got {spec!r}")
    (kind, val), = spec.items()
    if kind == "box":
        return Box(val[0], val[1], dim=size)
    if kind == "ball":
        return Ball(size, radius=val["radius"], center=val.get("center"))
    if kind == "reals":
        return Reals(size)
    raise ValueError(f"region[{i}]: unknown kind {kind!r}; use 'box', 'ball' or 'reals'")


def game_from_spec(spec: dict):
    """A quadratic game and its region from a JSON-ready spec (for scripts and the CLI).

    Spec format::

        {"type": "quadratic",                   # the only type for now
         "blocks": [d_1, ..., d_N],             # per-player dimensions
         "J": [[...], ...],                     # (d, d) Jacobian, F(x) = J x + c
         "c": [...],                            # optional, default 0
         "domains": [<set>, ...],               # optional per-player feasible sets
         "region": [<set>, ...]}                # optional certification region

    where each ``<set>`` is ``{"box": [lower, upper]}`` (scalars or lists),
    ``{"ball": {"radius": r, "center": [...]}}`` (center optional) or
    ``{"reals": true}``.

    Returns
    -------
    (QuadraticGame, Product or None)
        The region is a product of one set per player; :func:`eqsolve.small_gain`
        checks what its proof needs of it (bounded boxes and balls).

    Examples
    --------
    >>> game, region = game_from_spec({"type": "quadratic", "blocks": [1, 1],
    ...     "J": [[1, 10], [0.05, 1]], "region": [{"box": [-1, 1]}, {"ball": {"radius": 1}}]})
    >>> game.n_players, region.dim
    (2, 2)

    References
    ----------
    .. [1] V. Sharma, arXiv:2512.06791 (2025), the quadratic test games.
    """
    if not isinstance(spec, dict):
        raise TypeError(f"spec must be a dict, got {type(spec).__name__}")
    kind = spec.get("type", "quadratic")
    if kind != "quadratic":
        raise ValueError(f"spec['type'] must be 'quadratic', got {kind!r}")
    missing = [k for k in ("blocks", "J") if k not in spec]
    if missing:
        raise ValueError(f"spec is missing {missing}; a quadratic game needs 'blocks' and 'J'")
    unknown = set(spec) - {"type", "blocks", "J", "c", "domains", "region"}
    if unknown:
        raise ValueError(f"spec has unknown keys {sorted(unknown)}")
    sizes = _check_blocks(spec["blocks"])

    def sets(key):
        if spec.get(key) is None:
            return None
        if not isinstance(spec[key], (list, tuple)) or len(spec[key]) != len(sizes):
            raise ValueError(f"spec['{key}'] must list one set per player ({len(sizes)})")
        return [_region_block(i, s, n) for i, (s, n) in enumerate(zip(spec[key], sizes))]

    game = QuadraticGame(spec["J"], spec.get("c"), blocks=sizes, domains=sets("domains"))
    region = sets("region")
    return game, (None if region is None else as_product("region", region, sizes))
