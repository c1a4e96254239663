"""What the driver's engines hand to its loop: checkpoints, and the Result they build."""

from __future__ import annotations

from typing import NamedTuple

from ..backend import backend_name, namespace
from ..result import Result

__all__ = ["Checkpoint", "make_result"]


class Checkpoint(NamedTuple):
    """One certification: a history row, and what the callback and the progress bar see."""

    iteration: int
    residual: float
    z: object
    certificate: object
    oracle_calls: int
    extra: dict  # further history columns (component_calls, running)


def make_result(problem, method_name, certificate, z, Fz, *, status, tol, iterations,
                oracle_calls, certify_calls=0, elapsed, history=None, warnings=(), info=None,
                games=None, value=None, parts=None):
    """The :class:`~eqsolve.result.Result` of one solve, one game of a batch, or a batch."""
    parts = problem.split(z) if parts is None else parts
    if value is None and games is None:
        value = problem.value(z, Fz=Fz, certificate=certificate)
    return Result(z=z, certificate=certificate, status=status, tol=tol, method=method_name,
                  backend=backend_name(namespace(z)), iterations=iterations,
                  oracle_calls=oracle_calls, certify_calls=certify_calls, elapsed=elapsed,
                  x=parts.get("x"), y=parts.get("y"), value=value,
                  history={} if history is None else history, warnings=list(warnings),
                  info={} if info is None else info, games=games)
