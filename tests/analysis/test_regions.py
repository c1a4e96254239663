"""Certification regions: products of per-player boxes/balls; covering grids."""

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.analysis.small_gain.regions import as_region, covering_radius, grid_points
from eqsolve.problems import zoo

from ..problems.test_differentiable import cubic_game


def test_regions_must_be_products_of_bounded_boxes_or_balls():
    g = zoo.sgn_mini_toy()
    F, J = cubic_game()
    nl = eq.DifferentiableGame(F, [2, 1], jacobian=J)
    with pytest.raises(ValueError, match="not a product region"):
        as_region(g, eq.Ball(2, radius=1.0))
    with pytest.raises(ValueError, match="must be a bounded Box or a Ball"):
        as_region(g, [eq.Simplex(1), eq.Box(0, 1, dim=1)])
    with pytest.raises(ValueError, match="bounded region"):
        as_region(nl, None)
    with pytest.raises(ValueError, match="dimension 1 but player 0's block has 2"):
        as_region(nl, [eq.Box(0, 1, dim=1), eq.Box(0, 1, dim=2)])
    with pytest.raises(TypeError, match="needs a DifferentiableGame"):
        as_region(zoo.random_matrix_game(2), None)
    assert as_region(g, None).blocks[0].__class__ is eq.Reals


def test_grid_covers_the_region_within_its_covering_radius(rng):
    region = eq.Product(eq.Box([-1, 0], [1, 0.5]), eq.Ball(2, radius=0.7, center=[0.2, 0.1]))
    pts = grid_points(region, 4)
    delta = covering_radius(region, 4)
    assert all(region.contains(p) for p in pts)
    for _ in range(300):
        x = region.project(rng.uniform(-1.5, 1.5, size=4))
        assert np.min(np.linalg.norm(pts - x, axis=1)) <= delta + 1e-12
