"""The one result type every solve returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .certificates import Certificate

__all__ = ["Result", "STATUS_MESSAGES"]

#: every status a solve can end with, and what the user should do about it
STATUS_MESSAGES = {
    "converged": "the certified residual is at most tol",
    "max_iter": "max_iter reached before the certified residual fell to tol; raise max_iter, "
    "or try another method or geometry",
    "time_limit": "time_limit reached before the certified residual fell to tol; raise time_limit",
    "diverged": "the iterates became non-finite; the last finite point is returned with its "
    "certificate. Lower the step (or use the adaptive default) and check that F is monotone",
    "stalled": "the adaptive step collapsed, so no further progress is possible; F may not be "
    "Lipschitz or monotone near the iterate. The best point found is returned with its certificate",
    "stopped": "the callback asked to stop; the current point is returned with its certificate",
    "interrupted": "the engine computing the products failed (a lost dask worker, a pass that "
    "timed out); the best point certified so far is returned with its certificate. Restart "
    "from it with x0=result.z once the engine is healthy",
    "infeasible": "the problem has no feasible point: the method found a certificate of "
    "infeasibility (a Farkas ray, in info['ray']; the warning says what it proves). Check the "
    "constraints and bounds; the best point found is returned with its certificate",
    "tol_below_floor": "tol is below the rounding floor of the certificate (the least "
    "allowance it adds at any point, named in the warning and in info['rounding_floor']): no "
    "point can be certified to it in this arithmetic. Raise tol above the floor",
    "unbounded": "the objective is unbounded below along a ray of the iterates (in info['ray']; "
    "the warning says how it was checked), so there is no finite optimum if the problem is "
    "feasible. Check for a missing constraint or bound",
}


@dataclass
class Result:
    """Outcome of :func:`eqsolve.solve`.

    Attributes
    ----------
    z : array
        The returned joint point (in the problem's domain).
    x, y : array or None
        The players' blocks of ``z`` (``y`` is ``None`` for one-block problems).
    value : float or None
        Objective at ``z`` where defined (matrix games: the row player's payoff
        ``x^T A y``, within ``residual`` of the game's value).
    residual : float
        The certified residual at ``z`` (``certificate.value``).
    certificate : Certificate
        What was certified, where, and what it bounds.
    converged : bool
        ``residual <= tol``.
    status : str
        One of :data:`STATUS_MESSAGES`; ``message`` says what to do about it.
    iterations, oracle_calls : int
        Iterations taken and operator evaluations made by the method's steps.
    certify_calls : int
        Operator evaluations spent on certification (not counted above).
    history : dict of lists
        ``iteration``, ``residual``, ``elapsed`` (s), ``oracle_calls`` at each
        certification.
    method, backend : str
    elapsed : float
        Wall time in seconds.
    warnings : list of str
        Preconditions that failed (step above 1/L, a non-monotone operator, ...);
        the certificate stays valid, guarantees do not.
    info : dict
        Method diagnostics (final step size, backtracks, ...).
    games : list of Result or None
        For a batch of games (``MatrixGame`` of a ``(B, m, n)`` stack): one
        Result per game, each with its own certificate, status and iteration
        count.  Then ``z``, ``x``, ``y`` and ``value`` are stacked over the games,
        and ``certificate``/``status`` are those of the worst game.
    """

    z: Any
    certificate: Certificate
    status: str
    tol: float
    method: str
    backend: str
    iterations: int = 0
    oracle_calls: int = 0
    certify_calls: int = 0
    elapsed: float = 0.0
    x: Any = None
    y: Any = None
    value: float | None = None
    history: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    info: dict = field(default_factory=dict)
    games: list | None = None

    @property
    def residual(self) -> float:
        return self.certificate.value

    @property
    def exact(self):
        """The returned point in exact arithmetic, or ``None``.

        Exact methods (``lemke_howson``, :func:`eqsolve.equilibria`) return one
        tuple of :class:`fractions.Fraction` per player; ``z`` is its float
        rounding, and ``residual`` is the exact Nash gap of this point (0 at an
        equilibrium), rounded up to a float.  The float certificate of ``z`` is
        ``certificate.details["float_certificate"]``.
        """
        return self.certificate.details.get("exact_point")

    @property
    def converged(self) -> bool:
        return self.status == "converged"

    @property
    def message(self) -> str:
        return STATUS_MESSAGES[self.status]

    def summary(self) -> str:
        """A human-readable report of the solve and its certificate."""
        lines = [
            f"eqsolve.{self.method}: {self.status} -- {self.message}",
            f"  iterations {self.iterations}, oracle calls {self.oracle_calls} "
            f"(+{self.certify_calls} to certify), {self.elapsed:.3g} s, backend {self.backend}",
        ]
        if self.games is not None:
            done = sum(g.converged for g in self.games)
            lines.append(f"  batch of {len(self.games)} games: {done} converged; worst residual "
                         f"{self.residual:.3e} (game {self.certificate.details['worst_game']})")
        elif self.value is not None:
            lines.append(f"  value {self.value:.10g}")
        lines.append("  certificate: " + str(self.certificate).replace("\n", "\n  "))
        for w in self.warnings:
            lines.append(f"  warning: {w}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"Result(method={self.method!r}, status={self.status!r}, residual={self.residual:.3e}, "
            f"kind={self.certificate.kind!r}, point={self.certificate.point!r}, "
            f"iterations={self.iterations}, oracle_calls={self.oracle_calls})"
        )

    def plot(self, ax=None, *, against: str = "iteration", time_axis: bool = True):
        """Plot the certified residual recorded at each checkpoint (log scale) with ``tol``.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Drawn into a new figure when omitted.
        against : {"iteration", "elapsed", "oracle_calls"}
            The horizontal axis.
        time_axis : bool
            With ``against="iteration"``, also label the top edge in elapsed
            seconds (interpolated between checkpoints), so one figure shows
            the residual against both iterations and time.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import eqsolve as eq
        >>> ax = eq.solve(eq.zoo.random_matrix_game(20, seed=0), tol=1e-8).plot()
        >>> ax.get_yscale(), ax.get_xlabel()
        ('log', 'iterations')
        """
        if against not in ("iteration", "elapsed", "oracle_calls"):
            raise ValueError(f"against must be 'iteration', 'elapsed' or 'oracle_calls', got {against!r}")
        try:
            import matplotlib.pyplot as plt
        except ImportError as exc:  # pragma: no cover - optional extra
            raise ImportError("Result.plot needs matplotlib: pip install 'eqsolve[plot]'") from exc
        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
        x, r = self.history[against], self.history["residual"]
        ax.plot(x, r, marker=".", label=f"{self.method} ({self.certificate.kind})")
        ax.axhline(self.tol, color="k", ls="--", lw=1, label=f"tol = {self.tol:g}")
        ax.set_yscale("log")
        ax.set_xlabel({"iteration": "iterations", "elapsed": "seconds",
                       "oracle_calls": "operator evaluations"}[against])
        sec = self._seconds_axis(ax) if against == "iteration" and time_axis else None
        ax.set_ylabel("certified residual")
        # above the seconds axis when there is one
        ax.set_title(f"{self.status}: residual {self.residual:.2e}", fontsize=9,
                     pad=26 if sec is not None else 6)
        ax.legend(fontsize=8)
        return ax

    def _seconds_axis(self, ax):
        it = np.asarray(self.history.get("iteration", []), dtype=np.float64)
        el = np.asarray(self.history.get("elapsed", []), dtype=np.float64)
        # the interpolation needs increasing checkpoints and some elapsed time
        if it.size < 2 or not np.all(np.diff(it) > 0) or not el[-1] > el[0]:
            return None
        el = np.maximum.accumulate(el)
        sec = ax.secondary_xaxis("top", functions=(lambda k: np.interp(k, it, el),
                                                   lambda t: np.interp(t, el, it)))
        sec.set_xlabel("seconds", fontsize=8)
        sec.tick_params(labelsize=7)
        return sec

    def to_dict(self) -> dict:
        """JSON-ready summary (the point as a list of floats)."""
        def host(a):
            if a is None:
                return None
            if hasattr(a, "get"):
                a = a.get()
            return np.asarray(a, dtype=np.float64).tolist()

        return {
            "method": self.method,
            "status": self.status,
            "message": self.message,
            "converged": self.converged,
            "residual": self.residual,
            "tol": self.tol,
            "certificate": self.certificate.to_dict(),
            "value": host(self.value) if self.games is not None else self.value,
            "x": host(self.x),
            "y": host(self.y),
            "iterations": self.iterations,
            "oracle_calls": self.oracle_calls,
            "certify_calls": self.certify_calls,
            "elapsed": self.elapsed,
            "backend": self.backend,
            "warnings": list(self.warnings),
            "info": dict(self.info),
            "history": self.history,
            "games": None if self.games is None else [g.to_dict() for g in self.games],
        }
