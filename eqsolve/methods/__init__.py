"""Methods, registered by name.  ``solve`` dispatches through :data:`METHODS`."""

from ._driver import Method, NonFiniteError, Oracle, Progress, StepCollapsedError, run
from .mirror_prox import EXTRAGRADIENT, MIRROR_PROX
from .nash import NASH_MD, NASH_MP
from .optimistic import OPTIMISTIC, OnlineOptimistic
from .halpern import HALPERN
from .pdhg import PDHG
from .two_timescale import TWO_TIMESCALE_EG
from .flows import PROJECTED_EULER, RK4
from .water_filling import WATER_FILLING
from .vr_halpern import VR_HALPERN

#: name -> method; add a method by calling :func:`register`
METHODS: dict[str, Method] = {}


def register(method: Method) -> Method:
    """Add ``method`` to the registry under ``method.name``."""
    if not method.name:
        raise ValueError("a method needs a name to be registered")
    METHODS[method.name] = method
    return method


def get_method(name) -> Method:
    """The registered method called ``name``; ``ValueError`` listing the valid names otherwise."""
    if isinstance(name, Method):
        return name
    if not isinstance(name, str):
        raise TypeError(f"method must be a string, got {type(name).__name__}")
    try:
        return METHODS[name]
    except KeyError:
        valid = ", ".join(sorted(METHODS))
        raise ValueError(f"unknown method {name!r}; valid methods are: {valid}") from None


for _m in (EXTRAGRADIENT, MIRROR_PROX, OPTIMISTIC, HALPERN, PDHG, TWO_TIMESCALE_EG, NASH_MP, NASH_MD):
    register(_m)
register(PROJECTED_EULER)
register(RK4)
register(WATER_FILLING)
register(VR_HALPERN)

__all__ = ["METHODS", "Method", "Oracle", "Progress", "NonFiniteError", "StepCollapsedError",
           "register", "get_method", "run", "OnlineOptimistic"]
