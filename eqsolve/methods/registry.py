"""The method registry: ``solve`` dispatches through :data:`METHODS`.

A method becomes available by name with one decorator on its class::

    @register
    @dataclass(frozen=True)
    class ProjectedGDA(Method):
        name = "projected_gda"
        ...

``METHODS`` maps each name to the registered class (a :class:`~eqsolve.methods.base.Method`
subclass, or a :class:`~eqsolve.methods.base.Family` whose ``variant=`` option
picks one); the contract tests and the documentation pages are generated
from it.
"""

from __future__ import annotations

from .base import REGISTRY, Family, Method, supporting

__all__ = ["METHODS", "register", "get_method", "supporting"]

#: name -> registered method class; add one with :func:`register`
METHODS: dict[str, type] = REGISTRY


def register(entry):
    """Class decorator: register a :class:`Method` or :class:`Family` under its ``name``."""
    if not (isinstance(entry, type) and issubclass(entry, (Method, Family))):
        raise TypeError(f"register takes a Method or Family subclass, got {entry!r}")
    if not entry.name:
        raise ValueError("a method needs a name to be registered")
    if not entry.summary:
        raise ValueError(f"method {entry.name!r} needs a one-line summary to be registered")
    METHODS[entry.name] = entry
    return entry


def get_method(name):
    """The registered class called ``name``; ``ValueError`` listing the valid names otherwise.

    A configured method (an instance) is returned as it is.
    """
    if isinstance(name, Method) or (isinstance(name, type) and issubclass(name, (Method, Family))):
        return name
    if not isinstance(name, str):
        raise TypeError(f"method must be a string, got {type(name).__name__}")
    try:
        return METHODS[name]
    except KeyError:
        valid = ", ".join(sorted(METHODS))
        raise ValueError(f"unknown method {name!r}; valid methods are: {valid}") from None

