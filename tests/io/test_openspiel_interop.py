"""OpenSpiel interop: policies that OpenSpiel's own NashConv scores as our certificate does,
and OpenSpiel's Gambit export read by read_efg as the same game."""

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.io import parse_efg, to_openspiel_policy
from eqsolve.problems.extensive_form import ExtensiveFormGame

pyspiel = pytest.importorskip("pyspiel")
exploitability = pytest.importorskip("open_spiel.python.algorithms.exploitability")


@pytest.fixture(scope="module", params=["kuhn_poker", "leduc_poker"])
def game(request):
    return ExtensiveFormGame.from_openspiel(request.param)


def test_openspiel_nash_conv_equals_the_certificate(game):
    points = [game.initial_point()]
    points += [eq.solve(game, method="cfr", max_iter=it, tol=1e-14) for it in (10, 200)]
    scale = max(game.amax, 1.0) * max(game.row_sums, game.col_sums, 1.0)
    values = []
    for p in points:
        z = getattr(p, "z", p)
        cert = game.certify(z)
        policy = to_openspiel_policy(game, p)
        nash_conv = exploitability.nash_conv(game.source, policy)
        # OpenSpiel's NashConv of the policy is what the certificate bounds, within its
        # rounding allowance (and OpenSpiel's own float rounding)
        assert nash_conv <= cert.value + 1e-12 * scale
        assert abs(cert.value - nash_conv) <= cert.rounding + 1e-12 * scale
        assert cert.details["exploitability"] == pytest.approx(0.5 * cert.value)
        values.append(nash_conv)
    assert values[0] > values[1] > values[2]        # the points are genuinely different


def test_the_policy_plays_the_behaviour_strategies(game):
    z = eq.solve(game, method="cfr", max_iter=10, tol=1e-14).z
    policy = to_openspiel_policy(game, z)
    beh = game.behavior(z)
    for key, probs in list(beh.items())[:50]:
        row = policy.action_probability_array[policy.state_lookup[key]]
        assert row.sum() == pytest.approx(1.0)
        for action, p in probs.items():
            assert row[action] == p


def test_policy_errors():
    efg = parse_efg('EFG 2 R "" { "1" "2" } p "" 1 1 "" { "a" "b" } 0 t "" 0 t "" 0')
    with pytest.raises(TypeError, match="was not made by ExtensiveFormGame.from_openspiel"):
        to_openspiel_policy(efg, efg.initial_point())
    with pytest.raises(TypeError, match="game must be an ExtensiveFormGame"):
        to_openspiel_policy(object(), [1.0])
    kuhn = ExtensiveFormGame.from_openspiel("kuhn_poker")
    with pytest.raises(ValueError, match=r"joint point of length 26 \(player 1's 13 sequences"):
        to_openspiel_policy(kuhn, np.ones(5))


@pytest.mark.parametrize("name", ["kuhn_poker", "leduc_poker"])
def test_openspiel_gambit_export_reads_as_the_same_game(name):
    gambit = pytest.importorskip("open_spiel.python.algorithms.gambit")
    os_game = pyspiel.load_game(name)
    text = gambit.export_gambit(os_game)
    # OpenSpiel writes 1/3 as 0.3333333333333333 (Leduc: 1/6 as 0.1666666666666667):
    # probabilities sum to one only within rounding
    assert "0.3333333333333333" in text or "0.1666666666666667" in text
    efg = parse_efg(text)
    ref = ExtensiveFormGame.from_openspiel(os_game)
    assert 0.0 < efg.chance_rounding < 1e-13
    for a, b in zip(efg.treeplexes, ref.treeplexes):
        assert np.array_equal(a.parents, b.parents) and np.array_equal(a.sizes, b.sizes)
    assert abs(efg.A - ref.A).max() <= 1e-15 * ref.amax
    if name != "kuhn_poker":
        return
    # the same point, certified in both, gives brackets that agree within their allowances
    for z in (ref.initial_point(), eq.solve(ref, method="cfr", max_iter=30, tol=1e-14).z):
        c1, c2 = efg.certify(z), ref.certify(z)
        assert abs(c1.value - c2.value) <= c1.rounding + c2.rounding
        for u, v in zip(c1.details["value_bounds"], c2.details["value_bounds"]):
            assert abs(u - v) <= c1.rounding + c2.rounding
    # and solving either brackets Kuhn's value -1/18
    for g in (efg, ref):
        lo, hi = eq.solve(g, method="cfr", tol=1e-9).certificate.details["value_bounds"]
        assert lo <= -1 / 18 <= hi and hi - lo <= 2e-9
