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
