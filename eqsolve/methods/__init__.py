"""Methods, registered by name.  ``solve`` dispatches through :data:`METHODS`.

Each module defines its method classes and registers them with
:func:`register`; importing this package imports every module, so the
registry is complete.
"""

from . import flows, halpern, mirror_prox, nash, online, optimistic, pdhg, two_timescale, vr_halpern
from . import cfr, lemke_howson, logit, water_filling
from ._driver import iterate, run
from .base import (BatchMethod, Candidate, Family, Method, NonFiniteError, Oracle, Progress,
                   StepCollapsedError, Traits, Unsupported)
from .online import OnlineOptimistic
from .registry import METHODS, get_method, register, supporting

__all__ = ["METHODS", "Method", "Family", "Traits", "Candidate", "BatchMethod", "Oracle",
           "Progress", "NonFiniteError", "StepCollapsedError", "Unsupported", "register",
           "get_method", "supporting", "run", "iterate", "OnlineOptimistic", "flows", "halpern",
           "cfr", "lemke_howson", "logit", "mirror_prox", "nash", "online", "optimistic", "pdhg",
           "two_timescale", "vr_halpern", "water_filling"]
