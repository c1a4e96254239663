"""The method interface: configured method objects, their traits, the oracle.

A method is a final, immutable object whose fields are its options (in the
spirit of optimistix): ``SomeMethod.configure(problem, **options)`` validates
the options against the problem and returns an instance holding them.  The
instance never changes, and nothing about one solve is stored on it, so one
configured method can run any number of solves, nested or in threads.  Its
hooks are small pure steps over arrays with a small state (in the spirit of
optax):

``init(problem, oracle, z0) -> state``
    the state at the start point;
``step(problem, oracle, state) -> state``
    one iteration; raises :class:`NonFiniteError` or :class:`StepCollapsedError`;
``candidates(state) -> {name: Candidate}``
    the points it could return (``"last"``, ``"average"``), with ``F`` there
    (and any other quantity the certificate needs) when the step already has it.

Optional hooks: ``restart``, ``diagnostics``, ``warnings``, ``finalize`` and
``batched`` (the batch stepper of a method that runs a batch of games game by
game).  What the driver needs to know about a method is one :class:`Traits`
record.  Everything else -- limits, non-finite detection, certification,
restarts, callbacks, counting, history, progress, the :class:`~eqsolve.result.Result`
-- lives once, in :mod:`eqsolve.methods._driver`.

Every evaluation goes through the :class:`Oracle`, which counts it: ``F`` for
every problem, matrix-vector products for bilinear ones, component
evaluations for finite sums.
"""

from __future__ import annotations

import abc
import dataclasses
import functools
import inspect
import math
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

__all__ = ["Method", "Family", "Traits", "Candidate", "Oracle", "WorkingOracle", "Progress", "BatchMethod",
           "NonFiniteError", "StepCollapsedError", "Terminated", "Unsupported", "with_details"]


class NonFiniteError(ArithmeticError):
    """Raised by a step whose operator values or iterates became NaN/inf."""


class StepCollapsedError(ArithmeticError):
    """Raised by a step that cannot progress (no admissible step size, a detected cycle).

    Its message, when it has one, says why; the driver ends the solve with
    status ``"stalled"`` and passes the message on as a warning.
    """


class Terminated(Exception):
    """Raised by a step that has proved the problem has no solution to find (an infeasible or
    unbounded linear program, from a ray of its iterates), or that its point solves the
    problem exactly although the float certificate of its rounding exceeds ``tol``
    (status ``"converged"``: an exact method, the message says so).

    ``status`` is one of :data:`eqsolve.result.STATUS_MESSAGES` (``"infeasible"``,
    ``"unbounded"``), ``message`` says what was proved and how, ``info`` holds the
    evidence (the ray) for ``Result.info``.  The driver ends the solve with that
    status, the best point certified so far and the message as a warning.
    """

    def __init__(self, status: str, message: str, info: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.info = status, message, dict(info or {})


class Unsupported(TypeError):
    """A method was asked to solve a problem it does not take."""


#: no artificial restart (``Traits.artificial_restart``) before this many iterations
MIN_EPOCH = 64


@dataclass(frozen=True)
class Traits:
    """What the driver needs to know about a configured method.

    Attributes
    ----------
    outputs : tuple of str
        The candidates the method offers besides ``"best"`` (``"last"``,
        ``"average"``).
    default_output : str
        The candidate returned when ``output=`` is not given.
    restart : bool
        Whether the driver restarts the method from its certified candidate
        when the user does not say (``restart=`` overrides).
    artificial_restart : float
        Restart anyway when the epoch exceeds this fraction of all iterations
        and improves on its start (PDLP's rule; never before iteration
        :data:`MIN_EPOCH`).
    certify_every_iteration : bool
        True when certifying the candidates costs no operator evaluation (the
        step computed every product the certificate needs): the driver then
        certifies after every iteration.
    min_certify_interval : int
        The fewest iterations between two certifications when ``check_every``
        is not given (a certificate that costs much more than a step, e.g. a
        full pass over a finite sum, is spaced out).
    needs_monotone : bool
        False when the method's guarantee does not rest on a monotone
        operator (Small-Gain flows); otherwise a problem known not to be
        monotone gets a warning.
    backends : tuple of str
        The backends the method runs on; those listing ``"numba"`` take a
        ``backend`` option.
    """

    outputs: tuple[str, ...] = ("last", "average")
    default_output: str = "best"
    restart: bool = False
    artificial_restart: float = math.inf
    certify_every_iteration: bool = False
    min_certify_interval: int = 1
    needs_monotone: bool = True
    backends: tuple[str, ...] = ("numpy", "cupy")


class Candidate(NamedTuple):
    """A point a method could return, and ``F`` there when the step already has it.

    ``exact`` is the point in exact arithmetic when the method computed one (of
    which ``z`` is the float rounding); the method's ``finalize`` certifies it.
    ``certify_with`` holds other quantities at ``z`` that the step already
    computed, passed to ``problem.certify`` as keywords so that the certificate
    does not recompute them (``water_filling``: the interference at ``z``).
    """

    z: Any
    Fz: Any = None
    exact: Any = None
    certify_with: Any = None  # dict of problem.certify keywords, or None


class Progress(NamedTuple):
    """What a callback receives at each certification checkpoint.

    For a batch of games, ``residual`` and ``certificate`` are the worst
    game's and ``z`` stacks every game's best point.
    """

    iteration: int
    residual: float
    z: Any
    certificate: Any
    elapsed: float
    oracle_calls: int


class Oracle:
    """Makes and counts every evaluation a method asks of its problem.

    ``calls`` counts evaluations of ``F``; a bilinear problem's products
    (:meth:`matvec`, :meth:`rmatvec`, :meth:`products`) count as half an
    evaluation each, since ``F(x, y) = (-A y, A^T x)`` is one product with
    ``A`` and one with ``A^T``.  For finite sums (``problem.n_components``
    set) :meth:`sample` evaluates a mean of components and ``components``
    counts them, so that a method's cost in component evaluations is
    ``n * calls + components``.  A solve makes its own oracle; nothing in it
    outlives the solve.
    """

    __slots__ = ("_problem", "_F", "_evaluations", "_products", "components")

    def __init__(self, problem):
        self._problem = problem
        self._F = problem.operator
        self._evaluations = 0
        self._products = 0
        self.components = 0

    @property
    def calls(self) -> int:
        """Operator evaluations so far (two products count as one; an odd one rounds up)."""
        return self._evaluations + (self._products + 1) // 2

    def __call__(self, z):
        self._evaluations += 1
        return self._F(z)

    # -- bilinear problems -------------------------------------------------
    def matvec(self, y):
        """``A @ y`` (half an evaluation)."""
        self._products += 1
        return self._problem.matvec(y)

    def rmatvec(self, x):
        """``A.T @ x`` (half an evaluation)."""
        self._products += 1
        return self._problem.rmatvec(x)

    def products(self, x, y):
        """``(A.T @ x, A @ y)`` together: one evaluation of ``F``.

        The problem's :meth:`~eqsolve.problems.base.Problem.products` forms
        both in one pass over ``A`` where it can (a chunked matrix, a dense
        ``MatrixGame`` with ``fused``).
        """
        self._products += 2
        return self._problem.products(x, y)

    def normal(self, v):
        """``A.T @ (A @ v)``: one evaluation, as a power iteration needs (one pass over a
        chunked ``A``)."""
        self._products += 2
        return self._problem.normal(v)

    def working(self, problem) -> "WorkingOracle":
        """The products of ``problem`` (a lower-precision working copy of this oracle's
        problem, :meth:`~eqsolve.problems.base.Problem.working`), counted here."""
        return WorkingOracle(self, problem)

    # -- game-specific evaluations -------------------------------------------
    def preference_of(self, pi):
        """``P pi`` of a preference game: one evaluation (one preference query)."""
        self._evaluations += 1
        return self._problem.preference_of(pi)

    def count(self, n: int) -> None:
        """Record ``n`` evaluations made where the oracle cannot make them itself.

        A fused, compiled water-filling sweep (single-user best responses)
        or a sampled estimate of a preference query each count as one.
        """
        self._evaluations += int(n)

    # -- finite sums ---------------------------------------------------------
    def sample(self, indices, z):
        """Mean of the components ``F_i(z)``, ``i`` in ``indices`` (finite sums only)."""
        self.components += len(indices)
        return self._problem.sample_mean(indices, z)

    def sample_diff(self, indices, u, v):
        """Mean of ``F_i(u) - F_i(v)``, ``i`` in ``indices``: ``2 len(indices)`` evaluations."""
        self.components += 2 * len(indices)
        return self._problem.sample_mean_diff(indices, u, v)

    def component_calls(self) -> int | None:
        """Component evaluations so far (full passes count ``n``); ``None`` if not a finite sum."""
        n = self._problem.n_components
        return None if n is None else n * self.calls + self.components


class WorkingOracle:
    """The bilinear products of a working copy of the problem, counted by the solve's
    :class:`Oracle` (a product in float32 is still a product with ``A``)."""

    __slots__ = ("_parent", "_problem")

    def __init__(self, parent: Oracle, problem):
        self._parent, self._problem = parent, problem

    def matvec(self, y):
        self._parent._products += 1
        return self._problem.matvec(y)

    def rmatvec(self, x):
        self._parent._products += 1
        return self._problem.rmatvec(x)

    def products(self, x, y):
        self._parent._products += 2
        return self._problem.products(x, y)

    def normal(self, v):
        self._parent._products += 2
        return self._problem.normal(v)


def _options_of(cls) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)] if dataclasses.is_dataclass(cls) else []


@functools.lru_cache(maxsize=None)
def _option_names(target) -> tuple | None:
    """The keyword-only options of ``target.from_options`` (``None`` when it takes
    ``**options``); read once per class, as ``inspect.signature`` costs more than a small
    solve."""
    params = inspect.signature(target.from_options).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return None
    return tuple(n for n, p in params.items() if p.kind is p.KEYWORD_ONLY)


def _check_option_names(entry, target, options):
    """Reject an unknown option naming it and listing the valid ones (before any work)."""
    if not options:
        return
    names = _option_names(target)
    if names is None:
        return
    valid = list(names)
    extra = getattr(entry, "option", None)
    unknown = [k for k in options if k not in valid]
    if unknown:
        shown = sorted(list(valid) + ([extra] if extra else []))
        raise TypeError(f"{entry.name} got an unexpected keyword argument {unknown[0]!r}; its options "
                        f"are: {', '.join(shown)}")


class Method(abc.ABC):
    """A configured method: final classes are frozen dataclasses whose fields are options.

    Class attributes: ``name`` (the registry name, shared by the variants of
    a :class:`Family`), ``summary`` (one line) and ``TRAITS`` (the
    :class:`Traits` that do not depend on the options; :meth:`traits` may
    refine them).
    """

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    TRAITS: ClassVar[Traits] = Traits()

    # -- configuration ---------------------------------------------------------
    @classmethod
    def supports(cls, problem, **options) -> str | None:
        """``None`` when this method takes ``problem`` (with these options, if given), else
        why not, in one sentence that says what would work."""
        return None

    @classmethod
    def backends(cls) -> tuple[str, ...]:
        return cls.TRAITS.backends

    @classmethod
    def configure(cls, problem, **options) -> "Method":
        """Validate ``options`` for ``problem`` and return the configured method.

        ``Unsupported`` (a ``TypeError``) when the method does not take the
        problem, naming the methods that do; ``TypeError`` naming an unknown
        option; ``ValueError`` naming an invalid value.
        """
        why = cls.supports(problem, **options)
        if why is not None:
            raise Unsupported(_unsupported_message(problem, why))
        _check_option_names(cls, cls, options)
        return cls.from_options(problem, **options)

    @classmethod
    @abc.abstractmethod
    def from_options(cls, problem, **options) -> "Method":
        """Build the instance from checked options (``problem`` supplies defaults)."""

    def traits(self) -> Traits:
        return self.TRAITS

    def warnings(self, problem) -> list[str]:
        """Failed preconditions of the method's guarantee on this problem (never errors)."""
        return []

    # -- the steps ---------------------------------------------------------------
    @abc.abstractmethod
    def init(self, problem, oracle: Oracle, z0) -> Any:
        """The state at the start point ``z0``."""

    @abc.abstractmethod
    def step(self, problem, oracle: Oracle, state) -> Any:
        """The next state (a new object: states are never edited in place)."""

    @abc.abstractmethod
    def candidates(self, state) -> dict[str, Candidate]:
        """``{name: Candidate}`` for each point the method could return."""

    def restart(self, problem, oracle: Oracle, state, name: str, at: Candidate) -> Any:
        """A fresh state from the certified candidate ``at`` (named ``name``; ``at.Fz`` is set)."""
        return self.init(problem, oracle, at.z)

    def certify_now(self, state) -> bool:
        """True when the candidates of ``state`` should be certified at once, whatever the
        driver's schedule (a point worth keeping that the next steps would leave, such
        as a polished solution)."""
        return False

    def observe(self, state, certificate, tol: float):
        """The state after the driver certified its candidates (``certificate``: the best
        of them) against ``tol``; the state itself by default.  A method that iterates in
        a lower precision reads here how far its own estimates are from the certificate."""
        return state

    def diagnostics(self, state) -> dict:
        """Entries for ``Result.info`` describing the final state."""
        return {}

    def finalize(self, problem, certificate, at: Candidate):
        """``(certificate, info)`` for the returned point: a new certificate with extra
        details (a-posteriori bounds) and extra ``Result.info`` entries."""
        return certificate, {}

    def batched(self, problem) -> "BatchMethod | None":
        """The batch stepper that runs a batch of games game by game, or ``None``."""
        return None

    def options(self) -> dict:
        """The configured options, by field name."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


class Family:
    """A registered name whose algorithm is chosen by one option (``variant=``).

    ``variants`` maps the option's values to :class:`Method` classes; the
    default is :meth:`default_variant` (the first, unless the problem decides).
    """

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    option: ClassVar[str] = "variant"
    variants: ClassVar[dict[str, type[Method]]] = {}

    @classmethod
    def default_variant(cls, problem) -> str:
        return next(iter(cls.variants))

    @classmethod
    def select(cls, problem, value=None) -> type[Method]:
        """The class of variant ``value`` (``None``: the default for ``problem``)."""
        if value is None:
            value = cls.default_variant(problem)
        try:
            return cls.variants[value]
        except (KeyError, TypeError):
            raise ValueError(f"{cls.option} must be one of {tuple(cls.variants)}, got "
                             f"{value!r}") from None

    @classmethod
    def supports(cls, problem, **options) -> str | None:
        rest = {k: v for k, v in options.items() if k != cls.option}
        if options.get(cls.option) in cls.variants:
            return cls.variants[options[cls.option]].supports(problem, **rest)
        reasons = [v.supports(problem, **rest) for v in cls.variants.values()]
        return None if any(r is None for r in reasons) else reasons[0]

    @classmethod
    def backends(cls) -> tuple[str, ...]:
        out: list[str] = []
        for v in cls.variants.values():
            out += [b for b in v.TRAITS.backends if b not in out]
        return tuple(out)

    @classmethod
    def configure(cls, problem, **options) -> Method:
        why = cls.supports(problem, **options)
        if why is not None:
            raise Unsupported(_unsupported_message(problem, why))
        target = cls.select(problem, options.pop(cls.option, None))
        why = target.supports(problem, **options)
        if why is not None:
            raise Unsupported(_unsupported_message(problem, why))
        _check_option_names(cls, target, options)
        return target.from_options(problem, **options)


def _unsupported_message(problem, why: str) -> str:
    from_registry = supporting(problem)
    if from_registry:
        return f"{why}; methods that take a {type(problem).__name__}: {', '.join(from_registry)}"
    return why


def with_details(certificate, **details):
    """A copy of ``certificate`` with more details (certificates are never edited in place)."""
    return dataclasses.replace(certificate, details={**certificate.details, **details})


#: name -> registered Method or Family class; filled by :func:`eqsolve.methods.registry.register`
#: (kept here so that the messages above can name the methods that take a problem)
REGISTRY: dict[str, type] = {}


def supporting(problem) -> list[str]:
    """The names of the registered methods that take ``problem`` (default options), sorted."""
    return sorted(n for n, entry in REGISTRY.items() if entry.supports(problem) is None)


class BatchMethod(abc.ABC):
    """Steps a batch of games in lock step, each game stopping on its own.

    A configured method returns one from :meth:`Method.batched`; it holds the
    method (and so its options).  The state carries, per game, the iteration
    count ``it``, a non-finite flag ``bad``, the best certified residual
    ``best_gap`` (a vectorised bound equal to the single-game certificate's)
    and its iteration ``best_it``.
    """

    @abc.abstractmethod
    def init(self, problem, Z0) -> Any:
        """The batch state at the stacked start points ``Z0``."""

    @abc.abstractmethod
    def advance(self, problem, state, active, steps: int, tol, max_iter: int) -> Any:
        """Up to ``steps`` iterations of each game that is ``active`` (host bool mask), above
        its ``tol`` (per game), under ``max_iter`` and finite."""

    @abc.abstractmethod
    def best(self, state):
        """Every game's best certified point and ``F`` there (or ``None``), stacked."""

    @abc.abstractmethod
    def calls(self, state, b: int) -> int:
        """Operator evaluations spent on game ``b``."""

    def diagnostics(self, state, b: int) -> dict:
        return {}
