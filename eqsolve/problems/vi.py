"""Variational inequalities given by a callable operator, and convex-concave saddle problems."""

from __future__ import annotations

from .._validation import check_callable, check_positive, reject_chunked
from ..backend import as_float_array, is_array, namespace, to_float
from ..certificates import Certificate, gap_function, natural_residual, operator_norm
from ..domains import Domain, Product, Reals
from .base import Problem

__all__ = ["VI", "Saddle"]


def as_domain(name: str, domain) -> Domain:
    """``domain`` as a Domain: a Domain as given, an integer ``d`` as ``Reals(d)``."""
    if isinstance(domain, Domain):
        return domain
    if isinstance(domain, int) and not isinstance(domain, bool):
        return Reals(domain)
    raise TypeError(f"{name} must be a Domain (Reals, Box, Simplex, Ball, Product) or a dimension, got {type(domain).__name__}")


def _opt_constant(name, value):
    return None if value is None else check_positive(name, value)


class VI(Problem):
    """Variational inequality VI(F, Z) with a callable operator.

    Find :math:`z^\\star \\in Z` with :math:`\\langle F(z^\\star), z - z^\\star\\rangle \\ge 0`
    for every :math:`z \\in Z`.  The certified residual is the natural residual
    :math:`\\|z - \\Pi_Z(z - F(z))\\|` (which is :math:`\\|F(z)\\|` when
    :math:`Z = \\mathbb{R}^d`); on bounded domains the gap function
    :math:`\\max_{w\\in Z}\\langle F(z), z - w\\rangle` is reported beside it, or
    used as the residual with ``residual="gap_function"``.

    Parameters
    ----------
    F : callable
        ``F(z) -> array`` of the same shape and namespace as ``z``.
    domain : Domain or int
        The feasible set; an integer ``d`` means :math:`\\mathbb{R}^d`.
    L : float, optional
        Lipschitz constant of ``F`` (Euclidean).  Methods use it for fixed steps.
    mu : float, optional
        Strong-monotonicity modulus.  With it the certificate also bounds the
        distance to the solution (an assumption you vouch for, reported as such).
    monotone : bool, optional
        Whether ``F`` is known to be monotone (``True`` when ``mu`` is given).
    residual : {"natural_residual", "gap_function"}

    Examples
    --------
    >>> import numpy as np
    >>> from eqsolve.domains import Box
    >>> vi = VI(lambda z: z - 2.0, Box(0.0, 1.0, dim=2))    # solution z* = (1, 1)
    >>> vi.certify(np.array([1.0, 1.0])).value < 1e-12
    True
    """

    def __init__(self, F, domain, *, L=None, mu=None, monotone=None, residual="natural_residual"):
        if F is None or not callable(F):
            raise TypeError(f"F must be a callable F(z) -> array, got {type(F).__name__}")
        self._F = F
        self.domain = as_domain("domain", domain)
        self.lipschitz = _opt_constant("L", L)
        self.strong_monotonicity = _opt_constant("mu", mu)
        self.monotone = True if mu is not None else monotone
        if residual not in ("natural_residual", "gap_function"):
            raise ValueError(f"residual must be 'natural_residual' or 'gap_function', got {residual!r}")
        if residual == "gap_function" and not self.domain.bounded:
            raise ValueError("residual='gap_function' needs a bounded domain; use 'natural_residual'")
        if isinstance(self.domain, Reals):
            residual = "operator_norm"
        self.residual_kind = residual

    def operator(self, z):
        out = self._F(z)
        reject_chunked("F(z)", out)
        if not is_array(out):
            out = as_float_array(out)
        if out.shape != z.shape:
            raise ValueError(f"F returned an array of shape {tuple(out.shape)} for a point of shape {tuple(z.shape)}")
        return out

    def initial_point(self):
        xp = namespace()
        return self.domain.project(xp.zeros(self.domain.dim, dtype=xp.float64))

    def certify(self, z, *, Fz=None, point: str = "given") -> Certificate:
        if Fz is None:
            Fz = self.operator(z)
        details = {}
        mu, L = self.strong_monotonicity, self.lipschitz
        if self.residual_kind == "operator_norm":
            val, rnd = operator_norm(Fz)
            if mu is not None:
                details["distance_bound"] = (val + rnd) / mu
        else:
            nat, nat_rnd = natural_residual(self.domain, z, Fz)
            if self.domain.bounded:
                gf, gf_rnd = gap_function(self.domain, z, Fz)
                details["gap_function"] = gf + gf_rnd
            else:
                gf = gf_rnd = None
            if self.residual_kind == "gap_function":
                val, rnd = gf, gf_rnd
                details["natural_residual"] = nat + nat_rnd
                if mu is not None:
                    details["distance_bound"] = ((val + rnd) / mu) ** 0.5
            else:
                val, rnd = nat, nat_rnd
                if mu is not None and L is not None:
                    details["distance_bound"] = (1.0 + L) / mu * (val + rnd)
        if "distance_bound" in details:
            details["assumes"] = f"F is {mu:g}-strongly monotone" + (f" and {L:g}-Lipschitz" if L else "")
        return Certificate(self.residual_kind, val + rnd, point, rnd, details)

    def __repr__(self):
        return f"VI(dim={self.dim}, domain={self.domain!r})"


class Saddle(VI):
    """Saddle-point problem :math:`\\min_{x \\in X} \\max_{y \\in Y} f(x, y)`.

    Given the partial gradients, the VI operator is
    :math:`F(x, y) = (\\nabla_x f(x, y),\\; -\\nabla_y f(x, y))`, monotone when
    ``f`` is convex-concave.  The certificate is the natural residual; on
    bounded domains the gap function is reported too, and for convex-concave
    ``f`` it bounds the duality gap :math:`\\max_{y'} f(x, y') - \\min_{x'} f(x', y)`.

    Parameters
    ----------
    grad_x, grad_y : callable
        ``grad_x(x, y)`` and ``grad_y(x, y)``.
    domain_x, domain_y : Domain or int
    f : callable, optional
        The objective, used only to report ``value``.
    L, mu : float, optional
        Known Lipschitz and strong monotonicity constants of ``F``.
    convex_concave : bool, default True
        Whether ``f`` is convex-concave (``F`` monotone).

    Examples
    --------
    >>> import numpy as np
    >>> s = Saddle(lambda x, y: x - y, lambda x, y: -x - y, 1, 1)   # f = x^2/2 - xy - y^2/2
    >>> s.certify(np.zeros(2)).value
    0.0
    """

    blocks = ("x", "y")

    def __init__(self, grad_x, grad_y, domain_x, domain_y, *, f=None, L=None, mu=None,
                 convex_concave=True, residual="natural_residual"):
        check_callable("grad_x", grad_x)
        check_callable("grad_y", grad_y)
        check_callable("f", f)
        if grad_x is None or grad_y is None:
            raise TypeError("grad_x and grad_y are required callables")
        dx = as_domain("domain_x", domain_x)
        dy = as_domain("domain_y", domain_y)
        self._gx, self._gy, self._f = grad_x, grad_y, f
        self.nx = dx.dim
        dom = Product(dx, dy)
        super().__init__(self._field, dom, L=L, mu=mu, monotone=bool(convex_concave) or None, residual=residual)
        if isinstance(dx, Reals) and isinstance(dy, Reals):
            self.residual_kind = "operator_norm"

    def _field(self, z):
        xp = namespace(z)
        x, y = z[: self.nx], z[self.nx :]
        return xp.concat([self._gx(x, y), -self._gy(x, y)])

    def split(self, z):
        return {"x": z[: self.nx], "y": z[self.nx :]}

    def value(self, z, Fz=None, certificate=None):
        if self._f is None:
            return None
        return to_float(self._f(z[: self.nx], z[self.nx :]))

    def __repr__(self):
        return f"Saddle(dim_x={self.nx}, dim_y={self.dim - self.nx}, domain={self.domain!r})"
