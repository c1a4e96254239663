"""Sphinx extension: one page per registered method, generated from ``eqsolve.METHODS``.

At ``builder-inited`` it writes ``methods/index.rst`` and ``methods/<name>.rst``
into the source directory (git-ignored): the method's name and summary, how
to call it, its class docstring, and its module's docstring (the update rule,
the guarantee and the references).  A method registered by any
module imported by ``eqsolve`` gets its page without touching the docs.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

OUT = "methods"


def _classes(entry):
    """The method classes behind a registry entry: the entry, or a family's variants."""
    variants = getattr(entry, "variants", None)
    return list(variants.items()) if variants else [(None, entry)]


def _page(name, entry) -> str:
    module = sys.modules[entry.__module__]
    doc = inspect.getdoc(module) or "(no module docstring)"
    title = f"``{name}``"
    classes = _classes(entry)
    outputs = []
    for _, cls in classes:
        outputs += [o for o in cls.TRAITS.outputs if o not in outputs]
    lines = [
        f".. _method-{name}:",
        "",
        title,
        "=" * len(title),
        "",
        f"*{entry.summary}*" if entry.summary else "",
        "",
        ".. code-block:: python",
        "",
        f'    res = eq.solve(problem, method="{name}", tol=1e-6)',
        "",
        f"Implemented in :mod:`{module.__name__}` (class ``{entry.__name__}``); returns "
        f"{', '.join(repr(o) for o in outputs)} candidates, certified at every checkpoint.",
        "",
    ]
    for variant, cls in classes:
        heading = (f"Options (``{entry.option}={variant!r}``: class ``{cls.__name__}``)"
                   if variant is not None else "Options")
        lines += [heading, "-" * len(heading), ""]
        for klass in cls.__mro__:
            # the class docstring with the numpy-style Parameters of its options (fields)
            text = inspect.getdoc(klass) or ""
            if "Parameters\n----------" in text:
                own = inspect.getdoc(cls)
                if own and own != text:
                    lines += [own.split("\n\n")[0], ""]
                lines += [text.replace("Parameters\n----------\n", "").strip(), ""]
                break
        else:
            lines += [inspect.getdoc(cls) or "(no options)", ""]
    lines += ["Update rule, guarantee and references", "-------------------------------------", ""]
    # the module docstring's own numpy-style section titles sit one level lower
    body = doc.replace("\nReferences\n----------\n", "\nReferences\n~~~~~~~~~~\n")
    lines += [body, ""]
    return "\n".join(lines)


def _index(names) -> str:
    lines = [
        "Methods",
        "=======",
        "",
        "Every method registered in :data:`eqsolve.METHODS`, with its update rule, its "
        "guarantee and its references (generated from the registry and the method modules' "
        "docstrings when the documentation is built).  ``eqsolve.solve(problem, method=NAME)`` "
        "runs any of them; the certified residual never depends on the guarantee holding.",
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "",
        "   * - method",
        "     - summary",
    ]
    import eqsolve

    for name in names:
        lines += [f"   * - :ref:`{name} <method-{name}>`",
                  f"     - {eqsolve.METHODS[name].summary or ''}"]
    lines += ["", ".. toctree::", "   :hidden:", ""] + [f"   {n}" for n in names] + [""]
    return "\n".join(lines)


def generate(app):
    import eqsolve

    out = Path(app.srcdir) / OUT
    out.mkdir(exist_ok=True)
    names = sorted(eqsolve.METHODS)
    files = {"index.rst": _index(names)}
    files.update({f"{n}.rst": _page(n, eqsolve.METHODS[n]) for n in names})
    for stale in out.glob("*.rst"):
        if stale.name not in files:
            stale.unlink()
    for fname, text in files.items():
        path = out / fname
        # rewrite only on change, so incremental builds stay incremental
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def setup(app):
    app.connect("builder-inited", generate)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
