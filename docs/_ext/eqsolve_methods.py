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


def _page(name, method) -> str:
    module = sys.modules[type(method).__module__]
    doc = inspect.getdoc(module) or "(no module docstring)"
    cls_doc = inspect.getdoc(type(method))
    title = f"``{name}``"
    lines = [
        f".. _method-{name}:",
        "",
        title,
        "=" * len(title),
        "",
        f"*{method.summary}*" if method.summary else "",
        "",
        ".. code-block:: python",
        "",
        f'    res = eq.solve(problem, method="{name}", tol=1e-6)',
        "",
        f"Implemented in :mod:`{module.__name__}` (class ``{type(method).__name__}``); "
        f"returns {', '.join(repr(o) for o in getattr(method, 'outputs', ()))} candidates, "
        "certified at every checkpoint.",
        "",
    ]
    if cls_doc and cls_doc != inspect.getdoc(type(method).__mro__[-2]):
        lines += ["Implementation", "--------------", "", cls_doc, ""]
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
