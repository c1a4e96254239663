"""Choosing a step's kernels: the array-API reference or its Numba variant.

A method that has Numba variants lists ``"numba"`` in its ``backends`` and
takes ``backend=`` in ``configure``; this module swaps the hot pieces it uses
(the prox step of a geometry, a simplex projection) for their compiled
versions.  Nothing here imports Numba until a Numba kernel is asked for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..domains import EntropicGeometry, EuclideanGeometry, ProductGeometry, Simplex

__all__ = ["numba_geometry", "simplex_projector"]


def _require_numpy(u, what):
    if not isinstance(u, np.ndarray):
        raise TypeError(f"backend='numba' needs NumPy arrays (host memory) for {what}, got "
                        f"{type(u).__module__}.{type(u).__name__}; use backend='cupy' for GPU arrays")


@dataclass(frozen=True)
class NumbaEntropicGeometry(EntropicGeometry):
    """The entropic geometry whose prox step is one fused Numba pass."""

    def step(self, u, g, eta):
        from ._numba_kernels import entropic_step

        _require_numpy(u, "the entropic step")
        return entropic_step(u, g, float(eta), math.log(self.domain.radius))


@dataclass(frozen=True)
class NumbaSimplexGeometry(EuclideanGeometry):
    """The Euclidean geometry of a simplex, projecting with the Numba kernel."""

    def step(self, u, g, eta):
        from ._numba_kernels import simplex_project

        _require_numpy(u, "the simplex projection")
        return simplex_project(u - eta * g, self.domain.radius)


def numba_geometry(geo):
    """``geo`` with its simplex blocks' steps replaced by Numba kernels (others unchanged)."""
    if isinstance(geo, ProductGeometry):
        return ProductGeometry(geo.domain, [numba_geometry(g) for g in geo.parts])
    if isinstance(geo, EntropicGeometry) and isinstance(geo.domain, Simplex):
        return NumbaEntropicGeometry(geo.domain)
    if isinstance(geo, EuclideanGeometry) and isinstance(geo.domain, Simplex):
        return NumbaSimplexGeometry(geo.domain)
    return geo


def simplex_projector(domain, backend):
    """``domain.project``, or the Numba projection when ``backend == "numba"`` on a simplex."""
    if backend != "numba" or not isinstance(domain, Simplex):
        return domain.project
    from ._numba_kernels import simplex_project

    r = domain.radius
    return lambda v: simplex_project(v, r)
