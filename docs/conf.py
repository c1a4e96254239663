"""Sphinx configuration.  Build: python -m sphinx -W -b html docs docs/_build/html"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # document this checkout's eqsolve, not another install
sys.path.insert(0, str(HERE / "_ext"))

import eqsolve  # noqa: E402

project = "eqsolve"
author = "eqsolve developers"
release = version = eqsolve.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "myst_parser",
    "eqsolve_methods",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "_ext"]
myst_heading_anchors = 3
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": False}
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False
# no network at build time: no intersphinx, the default theme
html_theme = "alabaster"
html_title = f"eqsolve {release}"
nitpicky = False
# numpydoc References sections list ".. [1]" footnotes without citing them inline;
# docutils >= 0.22 warns about that, and -W would turn the convention into an error
suppress_warnings = ["ref.footnote"]


# numpydoc's ".. [1]" reference labels repeat from one docstring to the next, and
# autodoc puts many docstrings on one page (duplicate targets); render each
# References entry as a plain list item "[1] ..." and inline "[1]_" as "[1]".
import re  # noqa: E402

_REF = re.compile(r"^(\s*)\.\. \[(\d+)\]\s?(.*)$")


def _plain_references(app, what, name, obj, options, lines):
    out, inside = [], None
    for line in lines:
        m = _REF.match(line)
        if m:
            inside = len(m.group(1))
            out.append(f"{m.group(1)}- [{m.group(2)}] {m.group(3)}")
            continue
        if inside is not None and line.strip() and len(line) - len(line.lstrip()) > inside:
            out.append(" " * (inside + 2) + line.strip())
            continue
        if not line.strip() or (inside is not None and len(line) - len(line.lstrip()) <= inside):
            inside = None if line.strip() else inside
        out.append(re.sub(r"\[(\d+)\]_", r"[\1]", line))
    lines[:] = out


def setup(app):
    app.connect("autodoc-process-docstring", _plain_references)
