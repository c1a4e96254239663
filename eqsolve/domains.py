"""Feasible sets: projection, mirror geometry, support function, membership.

Every domain works on flat 1-d arrays of any array-API namespace.  A domain
knows

* ``project(z)`` -- the Euclidean projection :math:`\\Pi_Z(z)`;
* ``support(g)`` -- the linear maximisation oracle value
  :math:`\\sigma_Z(g) = \\max_{w \\in Z} \\langle g, w \\rangle` (``inf`` when
  unbounded in the direction ``g``), used by gap functions;
* ``contains(z)`` -- membership up to a tolerance;
* ``geometry(kind)`` -- the mirror map of a method: ``"euclidean"`` (prox =
  projection) or ``"entropic"`` (KL prox on simplices, in log space).

References
----------
.. [1] L. Condat, "Fast projection onto the simplex and the l1 ball",
   Math. Program. 158 (2016) 575-585.
.. [2] A. Nemirovski, "Prox-method with rate of convergence O(1/t)",
   SIAM J. Optim. 15 (2004) 229-251.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .backend import finfo_eps, logsumexp, namespace, to_float

__all__ = ["Domain", "Reals", "Box", "Simplex", "Ball", "Product", "Geometry"]


def _check_dim(dim, name="dim") -> int:
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{name} must be a positive integer, got {dim!r}")
    if dim < 1:
        raise ValueError(f"{name} must be a positive integer, got {dim}")
    return int(dim)


def floating(z):
    """``z`` itself when floating, else converted to float64 (integer or bool input)."""
    xp = namespace(z)
    return z if xp.isdtype(z.dtype, "real floating") else xp.astype(z, xp.float64)


_floating = floating


def _norm(xp, v):
    """Euclidean norm that neither overflows nor underflows: ``s * ||v / s||`` with ``s = max|v|``."""
    s = xp.max(xp.abs(v))
    safe = xp.where(s > 0, s, xp.ones_like(s))
    return s * xp.linalg.vector_norm(v / safe)


class Domain:
    """Base class of closed convex sets of :math:`\\mathbb{R}^d`."""

    dim: int
    bounded: bool = False
    #: whether the KL (entropic) prox applies to every coordinate
    entropic: bool = False

    def project(self, z):
        raise NotImplementedError

    def support(self, g):
        raise NotImplementedError

    def _violation(self, z) -> float:
        """Largest constraint violation of ``z`` (0 inside)."""
        xp = namespace(z)
        return to_float(xp.max(xp.abs(z - self.project(z))))

    def contains(self, z, atol: float | None = None) -> bool:
        """Whether ``z`` lies in the set up to ``atol`` in every coordinate.

        The default tolerance is ``sqrt(eps)`` of ``z``'s dtype, scaled by the
        size of ``z``.
        """
        xp = namespace(z)
        if z.shape != (self.dim,):
            return False
        z = _floating(z)
        if not bool(xp.all(xp.isfinite(z))):
            return False
        if atol is None:
            scale = max(1.0, to_float(xp.max(xp.abs(z))))
            atol = math.sqrt(finfo_eps(xp, z.dtype)) * scale
        return self._violation(z) <= atol

    def geometry(self, kind: str = "euclidean") -> "Geometry":
        """The mirror geometry ``kind`` (``"euclidean"``, ``"entropic"``) on this set."""
        if kind == "euclidean":
            return EuclideanGeometry(self)
        if kind == "entropic":
            raise ValueError(
                f"geometry='entropic' needs a simplex or a product of simplices, "
                f"got {self!r}; use geometry='euclidean'"
            )
        raise ValueError(f"geometry must be 'euclidean' or 'entropic', got {kind!r}")

    def _const(self, arr: np.ndarray, like):
        """``arr`` (host float64) as an array of ``like``'s namespace and dtype."""
        xp = namespace(like)
        key = (id(xp), like.dtype)
        cache = self.__dict__.setdefault("_consts", {})
        hit = cache.get((id(arr), key))
        if hit is None:
            hit = xp.asarray(arr, dtype=like.dtype)
            cache[(id(arr), key)] = hit
        return hit


class Reals(Domain):
    """The whole space :math:`\\mathbb{R}^d` (unconstrained problems).

    Examples
    --------
    >>> import numpy as np
    >>> Reals(2).project(np.array([3.0, -1.0]))
    array([ 3., -1.])
    """

    def __init__(self, dim: int):
        self.dim = _check_dim(dim)

    def project(self, z):
        return z

    def support(self, g):
        xp = namespace(g)
        nonzero = xp.any(g != 0)
        return xp.where(nonzero, xp.asarray(math.inf, dtype=g.dtype), xp.asarray(0.0, dtype=g.dtype))

    def __repr__(self):
        return f"Reals({self.dim})"


class Box(Domain):
    """The box :math:`\\{z : l \\le z \\le u\\}`; bounds may be infinite.

    ``Box(0, np.inf, dim=d)`` is the nonnegative orthant.

    Examples
    --------
    >>> import numpy as np
    >>> Box(0.0, 1.0, dim=3).project(np.array([-0.5, 0.5, 2.0]))
    array([0. , 0.5, 1. ])
    """

    def __init__(self, lower, upper, dim: int | None = None):
        lo = np.asarray(lower, dtype=np.float64)
        hi = np.asarray(upper, dtype=np.float64)
        if dim is None:
            try:
                shape = np.broadcast_shapes(lo.shape, hi.shape)
            except ValueError:
                raise ValueError(f"Box: lower {lo.shape} and upper {hi.shape} have shapes that do "
                                 "not broadcast together") from None
            if len(shape) != 1:
                raise ValueError("Box: give 1-d lower/upper bounds or pass dim=")
            dim = shape[0]
        self.dim = _check_dim(dim)
        try:
            lo = np.broadcast_to(lo, (self.dim,)).copy()
            hi = np.broadcast_to(hi, (self.dim,)).copy()
        except ValueError:
            raise ValueError(
                f"Box: lower {lo.shape} and upper {hi.shape} do not broadcast to dim={self.dim}"
            ) from None
        if np.isnan(lo).any() or np.isnan(hi).any():
            raise ValueError("Box: lower and upper must not contain NaN")
        if (lo > hi).any():
            i = int(np.argmax(lo > hi))
            raise ValueError(f"Box: lower[{i}] = {lo[i]} exceeds upper[{i}] = {hi[i]}")
        if (lo == np.inf).any() or (hi == -np.inf).any():
            raise ValueError("Box: lower may not be +inf and upper may not be -inf")
        self.lower, self.upper = lo, hi
        self.bounded = bool(np.isfinite(lo).all() and np.isfinite(hi).all())

    def project(self, z):
        z = _floating(z)
        xp = namespace(z)
        return xp.minimum(xp.maximum(z, self._const(self.lower, z)), self._const(self.upper, z))

    def support(self, g):
        g = _floating(g)
        xp = namespace(g)
        lo, hi = self._const(self.lower, g), self._const(self.upper, g)
        zero = xp.zeros_like(g)
        # where g == 0 the bound does not matter, even if infinite (avoid 0*inf)
        up = xp.where(g > 0, g * xp.where(g > 0, hi, zero), zero)
        down = xp.where(g < 0, g * xp.where(g < 0, lo, zero), zero)
        return xp.sum(up + down)

    def geometry(self, kind: str = "euclidean") -> "Geometry":
        if kind == "entropic":
            if not self.bounded:
                raise ValueError(f"geometry='entropic' on a box needs finite bounds, got {self!r}; "
                                 "use geometry='euclidean'")
            return BoxEntropicGeometry(self)
        return super().geometry(kind)

    def __repr__(self):
        return f"Box(dim={self.dim}, lower={self.lower.min():g}..., upper={self.upper.max():g}...)"


class Simplex(Domain):
    """The scaled probability simplex :math:`\\{x \\ge 0 : \\sum_i x_i = r\\}`.

    Its entropic geometry keeps log-probabilities and takes the KL prox
    :math:`\\log x^+ = \\log x - \\eta g - \\operatorname{lse}(\\log x - \\eta g) + \\log r`.

    Examples
    --------
    >>> import numpy as np
    >>> Simplex(3).project(np.array([0.5, 0.5, 0.5]))
    array([0.33333333, 0.33333333, 0.33333333])
    """

    bounded = True
    entropic = True

    def __init__(self, dim: int, radius: float = 1.0):
        self.dim = _check_dim(dim)
        radius = float(radius)
        if not (radius > 0 and math.isfinite(radius)):
            raise ValueError(f"Simplex: radius must be positive and finite, got {radius}")
        self.radius = radius

    def project(self, z):
        # sort-based projection; theta = max_k (cumsum_k - r) / k  [1]
        z = _floating(z)
        xp = namespace(z)
        u = xp.sort(z, descending=True)
        ks = xp.arange(1, self.dim + 1, dtype=z.dtype)
        theta = xp.max((xp.cumulative_sum(u) - self.radius) / ks)
        return xp.maximum(z - theta, xp.zeros_like(z))

    def project_weighted(self, z, t):
        """Projection in the metric ``sum_j (u_j - z_j)^2 / t_j`` (``t > 0``): the projection a
        diagonally preconditioned step ``z - t * g`` needs.

        The minimiser is ``max(z - lam t, 0)`` with ``lam`` the root of
        ``sum_j max(z_j - lam t_j, 0) = r``.  Sorted by the breakpoints
        ``z_j / t_j`` (descending), each prefix ``k`` gives the root of its
        linear piece, ``lam_k = (sum_{j<=k} z_j - r) / sum_{j<=k} t_j``, and each
        of those lies below the true root, which is their maximum (``t = 1``
        is :meth:`project`).  Works over the last axis, so on stacks too.

        Examples
        --------
        >>> import numpy as np
        >>> Simplex(2).project_weighted(np.array([1.0, 1.0]), np.array([1.0, 3.0]))
        array([0.75, 0.25])
        """
        z = _floating(z)
        xp = namespace(z)
        t = xp.broadcast_to(xp.asarray(t, dtype=z.dtype), z.shape)
        order = xp.argsort(z / t, axis=-1, descending=True)
        zs, ts = xp.take_along_axis(z, order, axis=-1), xp.take_along_axis(t, order, axis=-1)
        lam = xp.max((xp.cumulative_sum(zs, axis=-1) - self.radius)
                     / xp.cumulative_sum(ts, axis=-1), axis=-1, keepdims=True)
        return xp.maximum(z - lam * t, xp.zeros_like(z))

    def _violation(self, z) -> float:
        xp = namespace(z)
        neg = to_float(xp.max(xp.maximum(-z, xp.zeros_like(z))))
        return max(neg, abs(to_float(xp.sum(z)) - self.radius) / self.dim)

    def support(self, g):
        xp = namespace(g)
        return self.radius * xp.max(g)

    def geometry(self, kind: str = "euclidean") -> "Geometry":
        if kind == "entropic":
            return EntropicGeometry(self)
        return super().geometry(kind)

    def __repr__(self):
        r = "" if self.radius == 1.0 else f", radius={self.radius:g}"
        return f"Simplex({self.dim}{r})"


class Ball(Domain):
    """The Euclidean ball :math:`\\{z : \\|z - c\\|_2 \\le R\\}`.

    Examples
    --------
    >>> import numpy as np
    >>> Ball(2, radius=1.0).project(np.array([3.0, 4.0]))
    array([0.6, 0.8])
    """

    bounded = True

    def __init__(self, dim: int, radius: float = 1.0, center=None):
        self.dim = _check_dim(dim)
        radius = float(radius)
        if not (radius >= 0 and math.isfinite(radius)):
            raise ValueError(f"Ball: radius must be nonnegative and finite, got {radius}")
        self.radius = radius
        c = np.zeros(self.dim) if center is None else np.asarray(center, dtype=np.float64)
        if c.shape != (self.dim,) or not np.isfinite(c).all():
            raise ValueError(f"Ball: center must be a finite vector of length {self.dim}")
        self.center = c

    def project(self, z):
        z = _floating(z)
        xp = namespace(z)
        c = self._const(self.center, z)
        d = z - c
        nrm = _norm(xp, d)
        tiny = xp.asarray(xp.finfo(z.dtype).smallest_normal, dtype=z.dtype)
        scale = xp.where(nrm > self.radius, self.radius / xp.maximum(nrm, tiny), xp.ones_like(nrm))
        return c + d * scale

    def support(self, g):
        g = _floating(g)
        xp = namespace(g)
        return xp.sum(g * self._const(self.center, g)) + self.radius * _norm(xp, g)

    def __repr__(self):
        return f"Ball({self.dim}, radius={self.radius:g})"


class Product(Domain):
    """Cartesian product of domains; points are concatenations of blocks.

    ``geometry("entropic")`` uses the KL prox on simplex blocks and the
    Euclidean one on the others.

    Examples
    --------
    >>> import numpy as np
    >>> P = Product(Simplex(2), Box(0, 1, dim=1))
    >>> P.project(np.array([1.0, 1.0, 5.0]))
    array([0.5, 0.5, 1. ])
    """

    def __init__(self, *blocks: Domain):
        if len(blocks) == 1 and isinstance(blocks[0], (list, tuple)):
            blocks = tuple(blocks[0])
        if not blocks:
            raise ValueError("Product needs at least one block")
        for i, b in enumerate(blocks):
            if not isinstance(b, Domain):
                raise TypeError(f"Product: block {i} must be a Domain, got {type(b).__name__}")
        self.blocks = tuple(blocks)
        offsets = np.cumsum([0] + [b.dim for b in blocks])
        self.slices = tuple(slice(int(a), int(b)) for a, b in zip(offsets[:-1], offsets[1:]))
        self.dim = int(offsets[-1])
        self.bounded = all(b.bounded for b in blocks)
        self.entropic = all(b.entropic for b in blocks)

    def split(self, z):
        """The blocks of ``z`` (views, no copies)."""
        return [z[s] for s in self.slices]

    def project(self, z):
        xp = namespace(z)
        return xp.concat([b.project(z[s]) for b, s in zip(self.blocks, self.slices)])

    def _violation(self, z) -> float:
        vals = [b._violation(z[s]) for b, s in zip(self.blocks, self.slices)]
        return math.inf if any(math.isnan(v) for v in vals) else max(vals)

    def support(self, g):
        out = self.blocks[0].support(g[self.slices[0]])
        for b, s in zip(self.blocks[1:], self.slices[1:]):
            out = out + b.support(g[s])
        return out

    def geometry(self, kind: str = "euclidean") -> "Geometry":
        if kind == "entropic" and not any(b.entropic for b in self.blocks):
            return super().geometry(kind)
        if kind not in ("euclidean", "entropic"):
            return super().geometry(kind)
        geos = [b.geometry(kind if b.entropic else "euclidean") for b in self.blocks]
        return ProductGeometry(self, geos)

    def __repr__(self):
        return "Product(" + ", ".join(map(repr, self.blocks)) + ")"


# --------------------------------------------------------------------------
# Mirror geometries.  A method keeps its iterate in *mirror coordinates* u
# (the point itself for Euclidean blocks, log-probabilities for entropic
# ones), so that repeated KL steps never underflow.
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Geometry:
    """Mirror map of a domain: coordinates, prox step and Bregman divergence."""

    domain: Domain

    name = "abstract"

    def init(self, z, strict: bool = True):
        """Mirror coordinates of the point ``z`` (``z`` must lie in the domain).

        ``strict=False`` lets the entropic geometry floor zero probabilities
        at the smallest normal number instead of raising (used by restarts).
        """
        raise NotImplementedError

    def point(self, u):
        """The point of the domain with mirror coordinates ``u``."""
        raise NotImplementedError

    def step(self, u, g, eta):
        """Prox step :math:`\\arg\\min_w \\eta\\langle g, w\\rangle + D(w, z(u))`."""
        raise NotImplementedError

    def divergence(self, ua, ub, za=None):
        """Bregman divergence :math:`D(z(u_a), z(u_b))` as a 0-d array.

        ``za = point(ua)``, when the caller already has it, saves recomputing it.
        """
        raise NotImplementedError

    def divergence_slack(self, ua, ub, za=None):
        """Sum of the magnitudes of the terms of :meth:`divergence` (its rounding scale)."""
        raise NotImplementedError


class EuclideanGeometry(Geometry):
    name = "euclidean"

    def init(self, z, strict: bool = True):
        return z

    def point(self, u):
        return u

    def step(self, u, g, eta):
        return self.domain.project(u - eta * g)

    def divergence(self, ua, ub, za=None):
        xp = namespace(ua)
        d = ua - ub
        return 0.5 * xp.sum(d * d)

    def divergence_slack(self, ua, ub, za=None):
        xp = namespace(ua)
        d = ua - ub
        return xp.sum(d * d)


class EntropicGeometry(Geometry):
    name = "entropic"

    def init(self, z, strict: bool = True):
        xp = namespace(z)
        if not strict:
            # restarts from an average whose tiny entries underflowed: floor them
            z = xp.maximum(z, xp.asarray(xp.finfo(z.dtype).smallest_normal, dtype=z.dtype))
        if not bool(xp.all(z > 0)):
            raise ValueError(
                "the entropic geometry needs a starting point with strictly positive "
                "probabilities; mix it with the uniform distribution or use "
                "geometry='euclidean'"
            )
        return self._normalise(xp, xp.log(z))

    def _normalise(self, xp, v):
        return v - logsumexp(xp, v) + math.log(self.domain.radius)

    def point(self, u):
        xp = namespace(u)
        return xp.exp(u)

    def step(self, u, g, eta):
        xp = namespace(u)
        return self._normalise(xp, u - eta * g)

    def divergence(self, ua, ub, za=None):
        xp = namespace(ua)
        return xp.sum((xp.exp(ua) if za is None else za) * (ua - ub))

    def divergence_slack(self, ua, ub, za=None):
        xp = namespace(ua)
        # plus the mass defect: exp(u) sums to r only up to rounding, which
        # shifts the computed divergence by about that defect times r
        return xp.sum((xp.exp(ua) if za is None else za) * xp.abs(ua - ub)) + self.domain.radius


class BoxEntropicGeometry(Geometry):
    """The entropic (Fermi-Dirac) geometry of a bounded box.

    With :math:`s_i = (z_i - l_i)/w_i`, :math:`w = u - l`, the mirror map is
    :math:`h(z) = \\sum_i w_i\\,[s_i \\log s_i + (1 - s_i)\\log(1 - s_i)]`: its
    gradient is the logit of :math:`s`, so the prox step is the multiplicative
    update :math:`\\operatorname{logit} s^+ = \\operatorname{logit} s - \\eta g` (a
    sigmoid back), the Bregman divergence is a :math:`w`-weighted sum of binary
    KL divergences, and :math:`h` is :math:`4/\\max_i w_i`-strongly convex in the
    Euclidean norm.  Mirror coordinates are the logits (coordinates with
    :math:`w_i = 0` are fixed at :math:`l_i`).
    """

    name = "entropic"

    def _bounds(self, like):
        lo, hi = self.domain._const(self.domain.lower, like), self.domain._const(self.domain.upper, like)
        return lo, hi - lo

    def init(self, z, strict: bool = True):
        xp = namespace(z)
        lo, w = self._bounds(z)
        open_ = w > 0
        s = (z - lo) / xp.where(open_, w, xp.ones_like(w))
        tiny = xp.asarray(xp.finfo(z.dtype).smallest_normal, dtype=z.dtype)
        if not strict:
            s = xp.minimum(xp.maximum(s, tiny), 1.0 - finfo_eps(xp, z.dtype))
        inside = (s > 0) & (s < 1)
        if not bool(xp.all(inside | ~open_)):
            raise ValueError("the entropic geometry of a box needs a starting point strictly "
                             "inside the box (away from its faces); start at the centre or use "
                             "geometry='euclidean'")
        s = xp.where(open_, s, xp.full_like(s, 0.5))
        return xp.log(s) - xp.log1p(-s)

    def point(self, u):
        xp = namespace(u)
        lo, w = self._bounds(u)
        # the sigmoid written so that neither branch overflows
        e = xp.exp(-xp.abs(u))
        s = xp.where(u >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        return xp.where(w > 0, lo + w * s, lo)

    def step(self, u, g, eta):
        return u - eta * g

    def _log_s(self, u):
        """``(log s, log(1 - s))`` of the logits ``u``, without overflow."""
        xp = namespace(u)
        soft = xp.log1p(xp.exp(-xp.abs(u)))
        return (-(xp.maximum(-u, xp.zeros_like(u)) + soft),
                -(xp.maximum(u, xp.zeros_like(u)) + soft))

    def _terms(self, ua, ub):
        xp = namespace(ua)
        _, w = self._bounds(ua)
        la, la1 = self._log_s(ua)
        lb, lb1 = self._log_s(ub)
        sa, sa1 = xp.exp(la), xp.exp(la1)
        return w, sa * (la - lb), sa1 * (la1 - lb1)

    def divergence(self, ua, ub, za=None):
        xp = namespace(ua)
        w, t0, t1 = self._terms(ua, ub)
        return xp.sum(w * (t0 + t1))

    def divergence_slack(self, ua, ub, za=None):
        xp = namespace(ua)
        w, t0, t1 = self._terms(ua, ub)
        return xp.sum(w * (xp.abs(t0) + xp.abs(t1)))


class ProductGeometry(Geometry):
    name = "product"

    def __init__(self, domain: Product, geometries):
        object.__setattr__(self, "domain", domain)
        object.__setattr__(self, "parts", tuple(geometries))
        names = {g.name for g in geometries}
        object.__setattr__(self, "name", names.pop() if len(names) == 1 else "mixed")

    def _map(self, fn, *arrays):
        xp = namespace(arrays[0])
        return xp.concat([fn(g, *(a[s] for a in arrays)) for g, s in zip(self.parts, self.domain.slices)])

    def init(self, z, strict: bool = True):
        return self._map(lambda g, a: g.init(a, strict), z)

    def point(self, u):
        return self._map(lambda g, a: g.point(a), u)

    def step(self, u, g, eta):
        return self._map(lambda geo, a, b: geo.step(a, b, eta), u, g)

    def _sum(self, fn, ua, ub, za):
        parts = [fn(g, ua[s], ub[s], None if za is None else za[s])
                 for g, s in zip(self.parts, self.domain.slices)]
        out = parts[0]
        for p in parts[1:]:
            out = out + p
        return out

    def divergence(self, ua, ub, za=None):
        return self._sum(lambda g, a, b, z: g.divergence(a, b, z), ua, ub, za)

    def divergence_slack(self, ua, ub, za=None):
        return self._sum(lambda g, a, b, z: g.divergence_slack(a, b, z), ua, ub, za)
