"""Result: summary, JSON form and the convergence plot."""

import json

import numpy as np
import pytest

import eqsolve as eq

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


@pytest.mark.parametrize("against", ["iteration", "elapsed", "oracle_calls"])
def test_plot_draws_the_recorded_history(against, tmp_path):
    res = eq.solve(eq.zoo.random_matrix_game(25, seed=1), method="extragradient", tol=1e-8)
    ax = res.plot(against=against)
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_xdata(), res.history[against])
    np.testing.assert_array_equal(line.get_ydata(), res.history["residual"])
    assert ax.get_lines()[1].get_ydata()[0] == res.tol
    ax.figure.savefig(tmp_path / "r.png")
    assert (tmp_path / "r.png").stat().st_size > 5000
    matplotlib.pyplot.close(ax.figure)


def test_plot_rejects_unknown_axis():
    res = eq.solve(eq.zoo.matching_pennies(), tol=1e-8)
    with pytest.raises(ValueError, match="against must be"):
        res.plot(against="time")


def test_to_dict_is_json_and_round_trips_the_numbers():
    res = eq.solve(eq.zoo.skewed_game()[0], tol=1e-10)
    d = json.loads(json.dumps(res.to_dict()))
    assert d["residual"] == res.residual and d["certificate"]["kind"] == "duality_gap"
    np.testing.assert_array_equal(d["x"], res.x)


def test_plot_shows_iterations_and_seconds_together():
    res = eq.solve(eq.zoo.random_matrix_game(30, seed=2), method="extragradient", tol=1e-8)
    ax = res.plot()
    (sec,) = ax.child_axes
    assert ax.get_xlabel() == "iterations" and sec.get_xlabel() == "seconds"
    # the top axis maps the last checkpoint's iteration to its elapsed time
    it, el = res.history["iteration"], res.history["elapsed"]
    ax.figure.canvas.draw()            # the secondary axis takes its limits at draw time
    lo, hi = ax.get_xlim()
    slo, shi = sec.get_xlim()
    assert shi == pytest.approx(np.interp(hi, it, np.maximum.accumulate(el)))
    assert not res.plot(time_axis=False).child_axes
    assert not res.plot(against="elapsed").child_axes
    matplotlib.pyplot.close("all")


def test_plot_without_matplotlib_says_how_to_install(monkeypatch):
    res = eq.solve(eq.zoo.matching_pennies(), tol=1e-6)
    monkeypatch.setitem(__import__("sys").modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"Result.plot needs matplotlib: pip install 'eqsolve\[plot\]'"):
        res.plot()
