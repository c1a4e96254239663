"""Certificate reports: self-contained HTML with embedded figures, Markdown, JSON; the example."""

import base64
import json
import re
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.problems import zoo

ROOT = Path(__file__).resolve().parents[2]


def images(page):
    return [base64.b64decode(b) for b in re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page)]


def test_html_report_is_self_contained_with_four_figures(tmp_path):
    pytest.importorskip("matplotlib")
    cert = eq.small_gain(zoo.sgn_mini_toy())
    path = cert.report(tmp_path / "toy.html", x0=[0.15, -0.15], steps=400)
    page = Path(path).read_text()
    imgs = images(page)
    assert len(imgs) == 4 and all(i.startswith(b"\x89PNG") and len(i) > 5000 for i in imgs)
    assert "CERTIFIED" in page and "0.292893" in page and "1165.69" in page
    assert "http" not in page.replace("https://", "").split("<body>")[0]  # nothing fetched
    assert "src='data:image/png" in page and "<script" not in page


def test_reports_of_uncertified_and_three_player_games(tmp_path):
    pytest.importorskip("matplotlib")
    bad = eq.small_gain(eq.QuadraticGame([[1.0, 10.0], [1.0, 1.0]], blocks=[1, 1]))
    page = Path(bad.report(tmp_path / "bad.html")).read_text()
    assert "NOT CERTIFIED" in page and "rho(Gamma)" in page
    assert len(images(page)) == 2  # no trajectory without a certified step
    J = np.eye(4) + 0.2 * np.random.default_rng(0).normal(size=(4, 4))
    three = eq.small_gain(eq.QuadraticGame(J, blocks=[1, 2, 1]))
    assert len(images(Path(three.report(tmp_path / "three.html", steps=200)).read_text())) == 4


def test_markdown_json_and_dict_agree():
    cert = eq.small_gain(zoo.sgn_mini_toy())
    d = json.loads(cert.to_json())
    assert d == json.loads(json.dumps(cert.to_dict()))
    assert d["verdict"] == "certified" and d["weights"] == pytest.approx([1, 200])
    assert d["band"]["r_lo"] == pytest.approx(34.3146, abs=1e-4)
    md = cert.to_markdown()
    assert "| verdict | certified |" in md and "Small-gain matrix" in md and "| i=1 | -20 | 400 |" in md
    bad = eq.small_gain(eq.QuadraticGame([[-1.0, 0.0], [0.0, 1.0]], blocks=[1, 1]))
    d = json.loads(bad.to_json())  # infinities are written as strings, never invalid JSON
    assert d["rho"] == "inf" and d["verdict"] == "not certified"


def test_the_example_writes_a_report(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    out = tmp_path / "sgn.html"
    monkeypatch.setattr(sys, "argv", ["small_gain_report.py", str(out)])
    runpy.run_path(str(ROOT / "examples" / "small_gain_report.py"), run_name="__main__")
    assert out.stat().st_size > 20_000 and len(images(out.read_text())) == 4
    assert json.loads(out.with_suffix(".json").read_text())["verdict"] == "certified"
