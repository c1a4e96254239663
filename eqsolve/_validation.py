"""Input checks, kept apart from the numerics.

Each check raises ``TypeError`` (wrong kind of object) or ``ValueError``
(right kind, wrong content) with a message that names the argument, says
what is wrong and, where it helps, what to do instead.  The tests match on
these messages.
"""

from __future__ import annotations

import math
import numbers
import sys

import numpy as np

from .backend import as_float_array, is_array, namespace, to_float

__all__ = [
    "check_array",
    "check_point",
    "check_positive",
    "check_max_iter",
    "check_time_limit",
    "check_callable",
    "reject_chunked",
]


def _kind_of(obj) -> str:
    return type(obj).__name__


def reject_chunked(name: str, obj) -> None:
    """``TypeError`` for a dask array where only in-memory arrays are supported.

    Chunked (dask, out-of-core) data is supported by ``MatrixGame`` and
    ``BimatrixGame`` only, whose methods use ``A`` through products; every
    other problem evaluates its operator elementwise on in-memory arrays.
    """
    da = sys.modules.get("dask.array")
    if da is not None and isinstance(obj, da.Array):
        raise TypeError(
            f"{name} is a dask array; chunked (dask, memory-mapped, zarr, HDF5) data is "
            f"supported by MatrixGame and BimatrixGame only. Pass an in-memory array "
            f"({name}.compute()) here")


def check_array(name: str, obj, *, ndim: int | None = None, shape=None, finite: bool = True):
    """Validate an array argument and return it as a floating array.

    Accepts arrays of any array-API library (kept in their namespace) and
    nested lists/tuples of numbers (made NumPy).  Rejects complex, object and
    string data, wrong ``ndim``/``shape``, empty arrays and (with
    ``finite=True``) NaN or infinite entries.
    """
    if obj is None:
        raise TypeError(f"{name} is required, got None")
    reject_chunked(name, obj)
    if not is_array(obj):
        if isinstance(obj, (str, bytes, dict, set)):
            raise TypeError(f"{name} must be an array of real numbers, got {_kind_of(obj)}")
        try:
            obj = np.asarray(obj)
        except (ValueError, TypeError) as exc:
            raise TypeError(f"{name} must be an array of real numbers ({exc})") from None
    dtype = obj.dtype
    xp = namespace(obj)
    if isinstance(dtype, np.dtype) and dtype.kind in "OUSV":
        raise TypeError(f"{name} must contain real numbers, got dtype {dtype}")
    if xp.isdtype(dtype, "complex floating"):
        raise TypeError(
            f"{name} must be real, got complex dtype {dtype}; pass the real part explicitly "
            "if the imaginary part is zero"
        )
    if not (xp.isdtype(dtype, "numeric") or dtype == xp.bool):
        raise TypeError(f"{name} must contain real numbers, got dtype {dtype}")
    obj = as_float_array(obj, xp)
    if ndim is not None and obj.ndim != ndim:
        what = {1: "a vector (1-d)", 2: "a matrix (2-d)"}.get(ndim, f"{ndim}-d")
        raise ValueError(f"{name} must be {what}, got an array with shape {tuple(obj.shape)}")
    if shape is not None and tuple(obj.shape) != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {tuple(obj.shape)}")
    if math.prod(obj.shape) == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(obj.shape)}")
    if finite and not bool(xp.all(xp.isfinite(obj))):
        n_nan = int(to_float(xp.sum(xp.astype(xp.isnan(obj), xp.int64))))
        what = f"{n_nan} NaN" if n_nan else "infinite"
        raise ValueError(f"{name} contains {what} entries; every entry must be finite")
    return obj


def check_point(name: str, z, domain, dtype=None):
    """Validate a user-supplied point: a finite vector of ``domain.dim`` inside ``domain``."""
    z = check_array(name, z, ndim=1)
    if z.shape[0] != domain.dim:
        raise ValueError(f"{name} must have length {domain.dim} for {domain!r}, got {z.shape[0]}")
    if dtype is not None and z.dtype != dtype:
        xp = namespace(z)
        z = xp.astype(z, dtype)
    if not domain.contains(z):
        raise ValueError(
            f"{name} lies outside the domain {domain!r} (largest violation "
            f"{domain._violation(z):.3g}); project it first, e.g. with domain.project({name})"
        )
    return z


def check_positive(name: str, value, *, allow_zero: bool = False, allow_inf: bool = False) -> float:
    """A real number > 0 (or >= 0 with ``allow_zero``), finite unless ``allow_inf``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_kind_of(value)}")
    value = float(value)
    if math.isnan(value):
        raise ValueError(f"{name} must be a number, got NaN")
    if math.isinf(value) and not allow_inf:
        raise ValueError(f"{name} must be finite, got {value}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return value


def check_max_iter(value, name: str = "max_iter", minimum: int = 1) -> int:
    """An integer >= ``minimum`` (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {_kind_of(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_time_limit(value) -> float:
    if value is None:
        return math.inf
    return check_positive("time_limit", value, allow_inf=True)


def check_callable(name: str, fn):
    if fn is not None and not callable(fn):
        raise TypeError(f"{name} must be callable, got {_kind_of(fn)}")
    return fn
