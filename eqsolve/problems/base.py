"""The common interface of everything eqsolve solves."""

from __future__ import annotations

import importlib
import types
from typing import Any

from .._validation import check_array, check_point
from ..backend import backend_name, namespace
from ..certificates import Certificate
from ..domains import Domain

__all__ = ["Problem", "ComputeInterrupted"]


class ComputeInterrupted(RuntimeError):
    """An evaluation could not be completed by the engine that computes it.

    Raised by a problem whose products run elsewhere (a dask cluster that
    lost the workers holding a matrix's blocks, a pass that timed out); the
    solver ends with status ``"interrupted"`` and the best point certified
    so far, from which a solve restarts with ``x0=``.
    """


class _ModuleRef(tuple):
    """A module in a pickled problem: stored by name, imported again on load."""


class Problem:
    """A variational inequality VI(F, Z): find z* in Z with <F(z*), z - z*> >= 0 for all z in Z.

    Subclasses set ``domain`` and implement :meth:`operator` and
    :meth:`certify`; they carry whatever structure they know:

    ``lipschitz``
        an upper bound on the Lipschitz constant of ``F`` in the Euclidean norm
        (``None`` when unknown);
    ``lipschitz_entropic``
        the Lipschitz constant in the l1 / l-infinity pair used by the entropic
        geometry on simplices (``None`` when unknown);
    ``monotone``
        ``True`` when ``F`` is known to be monotone, ``False`` when known not to
        be, ``None`` when unknown;
    ``strong_monotonicity``
        a modulus mu > 0 when known.

    and the capabilities the driver and the methods read (declared here, so
    that nothing is probed with ``getattr``):

    ``batch``
        the number of games of a batch of games (a leading batch dimension;
        each game is :meth:`game`), ``None`` for one problem;
    ``joint_batch``
        True when a batch is also one joint problem, which methods without a
        per-game loop solve as a whole;
    ``n_components``
        the number of components of a finite sum (``None`` otherwise);
    ``bilinear``
        True when ``F(x, y) = (-A y, A^T x)`` and the problem offers the
        products :meth:`matvec` and :meth:`rmatvec`;
    ``interior_only``
        True when ``F`` is defined only inside the domain;
    ``saddle``
        the :class:`~eqsolve.problems.bilinear.SaddleStructure` of a bilinear
        saddle problem ``min_u max_v f(u) + <v, K u> - g(v)`` (its blocks,
        prox maps and products, as PDHG reads them), ``None`` otherwise.

    ``treeplexes``
        ``(X, Y)``: the players' :class:`~eqsolve.treeplex.Treeplex` sets of a
        bilinear game in sequence form (an extensive-form game), on which
        regret minimisation runs; ``None`` otherwise.

    ``power_iterations``
        how many power iterations a method should spend estimating ``||A||_2``
        of a bilinear problem by default (``None``: the method's own default);
        a problem whose every product is a pass over data on disk or in a
        cluster asks for few.

    ``working_dtypes``
        the float types :meth:`working` offers copies in (``()``: none).

    Problems pickle with the standard library: array-namespace modules are
    stored by name (see :meth:`__getstate__`).
    """

    domain: Domain
    lipschitz: float | None = None
    lipschitz_entropic: float | None = None
    monotone: bool | None = None
    strong_monotonicity: float | None = None
    #: the kind of certified residual :meth:`certify` returns
    residual_kind: str = "natural_residual"
    #: the method ``solve`` uses when none is named (the best measured for the class)
    default_method: str = "extragradient"
    #: True when F is defined only inside the domain (entropy / log terms): Euclidean
    #: projections land on the boundary, so only interior (entropic) geometries apply
    interior_only: bool = False
    batch: int | None = None
    joint_batch: bool = False
    n_components: int | None = None
    bilinear: bool = False
    power_iterations: int | None = None
    working_dtypes: tuple = ()
    saddle: Any = None
    treeplexes: Any = None

    # -- the operator ---------------------------------------------------
    @property
    def dim(self) -> int:
        return self.domain.dim

    def operator(self, z):
        """The operator F(z) (pseudo-gradient) at the joint point ``z``."""
        raise NotImplementedError

    def certify(self, z, *, Fz=None, point: str = "given") -> Certificate:
        """Exact certified residual at ``z`` (``Fz = F(z)`` may be passed to save a call)."""
        raise NotImplementedError

    def matvec(self, y):
        """``A @ y`` for a bilinear problem."""
        raise TypeError(f"{type(self).__name__} is not bilinear: it has no matrix products")

    def rmatvec(self, x):
        """``A.T @ x`` for a bilinear problem."""
        raise TypeError(f"{type(self).__name__} is not bilinear: it has no matrix products")

    def products(self, x, y):
        """``(A.T @ x, A @ y)`` for a bilinear problem.

        By default the two products one after the other; a problem that can
        form both in one pass over ``A`` (a chunked matrix, a dense matrix
        game's fused kernel) overrides it.
        """
        return self.rmatvec(x), self.matvec(y)

    def normal(self, v):
        """``A.T @ (A @ v)`` for a bilinear problem (one pass where the problem can)."""
        return self.rmatvec(self.matvec(v))

    def rounding_floor(self) -> float:
        """The least rounding allowance :meth:`certify` adds at any point (0: none known).

        The certified residual is the computed residual plus an allowance of
        at least this much; the computed residual of an exact solution is 0 up
        to rounding errors far below their worst-case bound, so a ``tol``
        below the floor is not reached in practice, and a solve asked for one
        ends at once (status ``"tol_below_floor"``).
        """
        return 0.0

    def working(self, dtype):
        """The problem with its data rounded to ``dtype``, for iterating only, or ``None``.

        A method may iterate on the copy (cheaper products in float32) and
        certify against this problem, whose :meth:`certify` never reads the
        copy.  ``None`` (the default) where no such copy is offered.
        """
        return None

    def counters(self) -> dict[str, int]:
        """Running totals of work done outside the oracle's count (e.g. passes over a
        matrix on disk); a solve reports how much each grew in ``Result.info``."""
        return {}

    def __getstate__(self):
        # array-API namespaces (``self.xp``) are modules, which pickle cannot store
        state = dict(self.__dict__)
        for key, value in state.items():
            if isinstance(value, types.ModuleType):
                state[key] = _ModuleRef((value.__name__,))
        return state

    def __setstate__(self, state):
        for key, value in state.items():
            if isinstance(value, _ModuleRef):
                state[key] = importlib.import_module(value[0])
        self.__dict__.update(state)

    def game(self, b: int):
        """Game ``b`` of a batch of games."""
        raise TypeError(f"{type(self).__name__} is not a batch of games")

    def to_backend(self, backend: str) -> "Problem":
        """The same problem with its arrays on ``backend`` (``"numpy"`` or ``"cupy"``)."""
        have = self.backend
        if backend == have:
            return self
        raise TypeError(f"backend={backend!r} needs {type(self).__name__} built from {backend} "
                        f"arrays (its arrays are {have}); build it from {backend} arrays")

    # -- points ---------------------------------------------------------
    def initial_point(self):
        """Default start: the centre of the domain (uniform on simplices)."""
        raise NotImplementedError

    def join(self, point, name: str = "point"):
        """The joint vector for a user point: a vector, or one vector per player block."""
        if len(self.blocks) > 1 and isinstance(point, (tuple, list)) and len(point) == len(self.blocks):
            if all(getattr(p, "ndim", None) == 1 or isinstance(p, (list, tuple)) for p in point):
                sizes = [b.dim for b in self.domain.blocks]
                parts = []
                for i, (p, label, size) in enumerate(zip(point, self.blocks, sizes)):
                    p = check_array(f"{name}[{i}] ({label})", p, ndim=1)
                    if p.shape[0] != size:
                        raise ValueError(f"{name}[{i}] ({label}) must have length {size}, got "
                                         f"{p.shape[0]}")
                    parts.append(p)
                return namespace(*parts).concat(parts)
        return point

    @property
    def blocks(self) -> tuple[str, ...]:
        """Names of the players' blocks of the joint point (e.g. ``("x", "y")``)."""
        return ("z",)

    def split(self, z) -> dict[str, Any]:
        """The player blocks of ``z`` as a dict ``{"x": ..., "y": ...}``."""
        return {"x": z}

    def value(self, z, Fz=None, certificate=None) -> float | None:
        """The objective value at ``z`` where one is defined (games: the row payoff).

        ``Fz = F(z)`` or a certificate of ``z`` that already holds the value,
        when the caller has them, save recomputing products.
        """
        return None

    def check_point(self, name, point, dtype=None):
        """Validate a user point and return it as a joint vector inside the domain."""
        return check_point(name, self.join(point, name), self.domain, dtype=dtype)

    @property
    def backend(self) -> str:
        return backend_name(namespace(self.initial_point()))
