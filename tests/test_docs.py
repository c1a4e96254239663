"""The documentation builds without warnings, covers every method, and its examples run."""

import doctest
import os
import subprocess
import sys
from pathlib import Path

import pytest

import eqsolve as eq

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md")) + sorted((DOCS / "tutorials").glob("*.md"))
# pages whose code is shown as >>> examples run as doctests; the others show shell
# commands or code for features that are not part of every build
RUNNABLE = [p for p in PAGES if ">>> " in p.read_text(encoding="utf-8")]


def test_sphinx_build_is_clean_and_has_a_page_per_method(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    out = tmp_path / "html"
    # the README's documentation command, with -W: any warning fails the build
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", "-d", str(tmp_path / "doctrees"),
         str(DOCS), str(out)],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-4000:]
    for name in eq.METHODS:
        page = (out / "methods" / f"{name}.html").read_text(encoding="utf-8")
        assert "Update rule, guarantee and references" in page
        assert eq.METHODS[name].summary.split(" ")[0] in page
    index = (out / "methods" / "index.html").read_text(encoding="utf-8")
    assert all(f"{name}.html" in index for name in eq.METHODS)
    api = (out / "api" / "problems.html").read_text(encoding="utf-8")
    assert 'id="eqsolve.problems.NormalFormGame"' in api
    analysis = (out / "api" / "analysis.html").read_text(encoding="utf-8")
    assert 'id="eqsolve.analysis.small_gain.small_gain"' in analysis
    assert 'id="eqsolve.analysis.second_order.second_order_check"' in analysis
    assert "Files, command line and documentation" in (out / "design.html").read_text(encoding="utf-8")
    for page in ("getting_started", "tutorials/scripts", "tutorials/files_and_cli",
                 "tutorials/reports", "tutorials/rate_plots"):
        assert (out / f"{page}.html").exists()


def test_the_tutorials_have_runnable_examples():
    names = {str(p.relative_to(DOCS)) for p in RUNNABLE}
    assert {"getting_started.md", "tutorials/scripts.md", "tutorials/files_and_cli.md",
            "tutorials/rate_plots.md"} <= names


@pytest.mark.parametrize("page", RUNNABLE, ids=lambda p: str(p.relative_to(DOCS)))
def test_documentation_code_runs(page, monkeypatch):
    if "import matplotlib" in page.read_text(encoding="utf-8"):
        pytest.importorskip("matplotlib")
    # the pages' >>> examples are doctests; paths in them are relative to the checkout
    monkeypatch.chdir(ROOT)
    result = doctest.testfile(str(page), module_relative=False, verbose=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_every_tutorial_is_in_the_table_of_contents():
    index = (DOCS / "index.rst").read_text()
    for page in PAGES:
        if page.name != "design.md":
            assert str(page.relative_to(DOCS).with_suffix("")) in index
