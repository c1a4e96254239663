"""Array backends: which namespace an input lives in, its dtype and device.

The reference path of every method is written against the Python array API
standard, so it runs unchanged on NumPy, CuPy and any array-API library
(tested with ``array_api_strict``).  This module is the only place that knows
about concrete libraries; everything above it asks for ``xp`` and uses it.
"""

from __future__ import annotations

import importlib.util
import math
from typing import Any

import array_api_compat
import numpy as np

__all__ = [
    "HAS_NUMBA",
    "HAS_CUPY",
    "namespace",
    "backend_name",
    "as_float_array",
    "to_float",
    "finfo_eps",
    "narrow_float",
    "all_finite",
    "logsumexp",
    "BACKENDS",
    "BackendUnavailableError",
    "check_backend",
    "gpu_available",
]

HAS_NUMBA = importlib.util.find_spec("numba") is not None
HAS_CUPY = importlib.util.find_spec("cupy") is not None


def namespace(*arrays: Any):
    """Return the array-API namespace shared by ``arrays``.

    Python scalars and ``None`` are ignored; plain NumPy arrays map to the
    array-API-compatible NumPy namespace of ``array_api_compat``.
    """
    arrays = [a for a in arrays if a is not None and not isinstance(a, (int, float))]
    if not arrays:
        return array_api_compat.array_namespace(np.empty(0))
    return array_api_compat.array_namespace(*arrays)


def backend_name(xp) -> str:
    """Short name of a namespace: ``"numpy"``, ``"cupy"``, ``"array_api_strict"``..."""
    name = getattr(xp, "__name__", str(xp))
    for known in ("numpy", "cupy", "torch", "jax", "dask", "array_api_strict"):
        if known in name:
            return known
    return name


def is_array(obj: Any) -> bool:
    """Whether ``obj`` is an array of a supported library (not a list or scalar)."""
    return array_api_compat.is_array_api_obj(obj)


def as_float_array(obj: Any, xp=None):
    """Convert ``obj`` to a floating array, keeping its namespace.

    Lists, tuples and scalars become NumPy arrays.  Integer arrays become the
    default float (float64); float16/float32/float64 arrays keep their dtype.
    Validation of the contents (finiteness, shape) happens in
    :mod:`eqsolve._validation`; this function only normalises the container.
    """
    if not is_array(obj):
        obj = np.asarray(obj)
    if xp is None:
        xp = namespace(obj)
    if xp.isdtype(obj.dtype, "real floating"):
        return obj
    if xp.isdtype(obj.dtype, "integral") or obj.dtype == xp.bool:
        return xp.astype(obj, xp.float64)
    return obj


def to_float(x) -> float:
    """Convert a 0-d array (any namespace, any device) to a Python float."""
    if hasattr(x, "get"):  # CuPy: bring the scalar to the host
        x = x.get()
    return float(x)


def finfo_eps(xp, dtype) -> float:
    """Machine epsilon of ``dtype`` as a Python float."""
    return float(xp.finfo(dtype).eps)


def narrow_float(dtype) -> bool:
    """Whether ``dtype`` is a float type narrower than float64 (float16, float32): its
    products are rounded more coarsely than a float64 certificate's."""
    return str(dtype) in ("float16", "float32")


def all_finite(xp, z) -> bool:
    """True when every entry of ``z`` is finite."""
    return bool(xp.all(xp.isfinite(z)))


def logsumexp(xp, v):
    """Numerically stable ``log(sum(exp(v)))`` of a 1-d array.

    Entries equal to ``-inf`` (zero probabilities) are allowed; an all
    ``-inf`` vector returns ``-inf``.
    """
    vmax = xp.max(v)
    if not math.isfinite(to_float(vmax)):
        return vmax
    return vmax + xp.log(xp.sum(xp.exp(v - vmax)))


#: the values of ``solve(..., backend=...)``; ``None`` lets the arrays decide
BACKENDS = ("numpy", "numba", "cupy")


class BackendUnavailableError(RuntimeError):
    """A backend was asked for that this machine cannot run (package or GPU missing)."""


def gpu_available() -> bool:
    """Whether CuPy is installed and sees at least one CUDA device."""
    if not HAS_CUPY:
        return False
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # noqa: BLE001 - any CUDA/driver failure means "no usable GPU"
        return False


def check_backend(backend):
    """Validate ``backend=`` and check that this machine can run it.

    ``None`` (arrays decide: NumPy in, NumPy out; CuPy in, CuPy out) is
    returned unchanged.  ``"numba"`` needs Numba; ``"cupy"`` needs CuPy and a
    visible CUDA device.
    """
    if backend is None:
        return None
    if not isinstance(backend, str):
        raise TypeError(f"backend must be a string or None, got {type(backend).__name__}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS} or None, got {backend!r}")
    if backend == "numba" and not HAS_NUMBA:
        raise BackendUnavailableError(
            "backend='numba' needs Numba, which is not installed: pip install 'eqsolve[numba]'")
    if backend == "cupy":
        if not HAS_CUPY:
            raise BackendUnavailableError(
                "backend='cupy' needs CuPy, which is not installed: pip install 'eqsolve[gpu]' "
                "(and a CUDA GPU)")
        if not gpu_available():
            raise BackendUnavailableError("backend='cupy' needs a CUDA GPU, and none is visible")
    return backend


def move_array(a, backend: str):
    """``a`` on the host (``"numpy"``/``"numba"``) or on the GPU (``"cupy"``)."""
    if backend == "cupy":
        import cupy

        return cupy.asarray(a)
    if hasattr(a, "get"):
        return a.get()
    return np.asarray(a)
