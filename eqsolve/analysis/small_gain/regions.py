"""Certification regions: products of per-player boxes and balls, and grids that cover them.

A Small-Gain certificate holds on a region Ω = Ω_1 x ... x Ω_N: the
one-block-at-a-time path in its proof must stay in Ω, hence a product set.

References
----------
.. [1] V. Sharma, "Small-Gain Nash", arXiv:2512.06791 (2025).
"""

from __future__ import annotations

import math

import numpy as np

from ...domains import Ball, Box, Product, Reals
from ...problems.differentiable import DifferentiableGame, as_product

__all__ = ["as_region", "covering_radius", "grid_points"]


def as_region(game, region, name: str = "region") -> Product:
    """The region Ω of a Small-Gain certificate, checked: a product of per-player boxes or balls.

    ``None`` means the whole space for a :class:`QuadraticGame` (its
    constants are global) and the game's domain otherwise (which must then be
    bounded).  ``Reals`` blocks are accepted only for quadratic games.

    Examples
    --------
    >>> from eqsolve import QuadraticGame
    >>> g = QuadraticGame([[1.0, 10.0], [0.05, 1.0]], blocks=[1, 1])
    >>> as_region(g, [Box(-1, 1, dim=1), Ball(1, radius=2.0)])
    Product(Box(dim=1, lower=-1..., upper=1...), Ball(1, radius=2))

    References
    ----------
    .. [1] V. Sharma, "Small-Gain Nash", arXiv:2512.06791 (2025).
    """
    if not isinstance(game, DifferentiableGame):
        raise TypeError(f"small_gain needs a DifferentiableGame or QuadraticGame, got "
                        f"{type(game).__name__}")
    if region is None:
        region = None if game.exact_jacobian else game.domain
    prod = as_product(name, region, game.sizes)
    for i, b in enumerate(prod.blocks):
        if isinstance(b, Reals):
            if not game.exact_jacobian:
                raise ValueError(f"{name}[{i}] is unbounded: constants of a nonlinear game need a "
                                 "bounded region; give each player a Box or a Ball")
        elif not isinstance(b, (Box, Ball)) or (isinstance(b, Box) and not b.bounded):
            raise ValueError(f"{name}[{i}] must be a bounded Box or a Ball (per-player), got {b!r}")
    return prod


def covering_radius(region: Product, points_per_dim: int) -> float:
    """Euclidean covering radius of the tensor grid :func:`grid_points` on ``region``.

    Half the grid spacing in every coordinate: :math:`\\delta = (\\sum_k (h_k/2)^2)^{1/2}`.

    Examples
    --------
    >>> round(covering_radius(Product(Box(0, 1, dim=2)), 3), 6)
    0.353553

    References
    ----------
    .. [1] V. Sharma, arXiv:2512.06791 (2025) (grid estimates of the SGN constants).
    """
    half = []
    for b in region.blocks:
        lo, hi = (b.lower, b.upper) if isinstance(b, Box) else (b.center - b.radius,
                                                                b.center + b.radius)
        half.append((hi - lo) / (2 * (points_per_dim - 1)) if points_per_dim > 1 else (hi - lo) / 2)
    return float(math.sqrt(sum(float(np.sum(h ** 2)) for h in half)))


def grid_points(region: Product, points_per_dim: int) -> np.ndarray:
    """Tensor grid over the bounding boxes, each block projected onto its set.

    Projection onto a convex set is nonexpansive and fixes its points, so
    every point of the region lies within :func:`covering_radius` of a grid point.

    Examples
    --------
    >>> grid_points(Product(Box(0, 1, dim=1), Ball(1, radius=1.0)), 2).tolist()
    [[0.0, -1.0], [0.0, 1.0], [1.0, -1.0], [1.0, 1.0]]

    References
    ----------
    .. [1] V. Sharma, "Small-Gain Nash", arXiv:2512.06791 (2025).
    """
    axes = []
    for b in region.blocks:
        lo, hi = (b.lower, b.upper) if isinstance(b, Box) else (b.center - b.radius,
                                                                b.center + b.radius)
        for k in range(b.dim):
            axes.append(np.linspace(lo[k], hi[k], points_per_dim) if points_per_dim > 1
                        else np.array([(lo[k] + hi[k]) / 2]))
    mesh = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, region.dim)
    return np.stack([region.project(p) for p in mesh])
