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
