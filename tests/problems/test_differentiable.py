"""DifferentiableGame / QuadraticGame / game_from_spec / regions / the softmax Markov game."""

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.problems.differentiable import game_from_spec


def cubic_game():
    # F_i = x_i^3/3-type smooth field with exact Jacobian
    def F(x):
        return np.array([x[0] + 0.5 * np.sin(x[1]), x[1] + x[0] ** 3 / 3 + x[2], 2 * x[2] - x[0]])

    def J(x):
        return np.array([[1.0, 0.5 * np.cos(x[1]), 0.0], [x[0] ** 2, 1.0, 1.0], [-1.0, 0.0, 2.0]])

    return F, J


@pytest.mark.parametrize("method", ["central", "complex"])
def test_jacobian_by_differences_matches_the_analytic_one(method, rng):
    F, J = cubic_game()
    g = eq.DifferentiableGame(F, [2, 1], jacobian_method=method)
    tol = 1e-8 if method == "central" else 1e-14
    for _ in range(5):
        x = rng.normal(size=3)
        np.testing.assert_allclose(g.jacobian(x), J(x), atol=tol)
    assert eq.DifferentiableGame(F, [2, 1], jacobian=J).jacobian_method == "analytic"


def test_quadratic_game_is_the_exact_special_case(rng):
    Jm = rng.normal(size=(5, 5))
    c = rng.normal(size=5)
    g = eq.QuadraticGame(Jm, c, blocks=[2, 3])
    x = rng.normal(size=5)
    np.testing.assert_allclose(g.operator(x), Jm @ x + c)
    np.testing.assert_array_equal(g.jacobian(x), Jm)
    assert g.n_players == 2 and [p.shape[0] for p in g.players(x)] == [2, 3]
    assert g.lipschitz == pytest.approx(np.linalg.norm(Jm, 2))


def test_certify_is_the_natural_residual_of_the_constrained_game(rng):
    Jm = rng.normal(size=(4, 4)) + 3 * np.eye(4)
    dom = [eq.Box(-1, 1, dim=2), eq.Ball(2, radius=0.5)]
    g = eq.QuadraticGame(Jm, rng.normal(size=4), blocks=[2, 2], domains=dom)
    x = np.array([0.3, -1.0, 0.1, 0.2])
    Fx = Jm @ x + g.c
    y = x - Fx
    proj = np.concatenate([np.clip(y[:2], -1, 1), y[2:] * min(1, 0.5 / np.linalg.norm(y[2:]))])
    cert = eq.certify(g, x)
    assert cert.kind == "natural_residual"
    assert np.linalg.norm(x - proj) <= cert.value <= np.linalg.norm(x - proj) + 1e-14
    assert eq.certify(eq.QuadraticGame(Jm, blocks=[2, 2]), x).kind == "operator_norm"


def test_caller_arrays_are_not_mutated(rng):
    Jm, c = rng.normal(size=(3, 3)), rng.normal(size=3)
    J0, c0 = Jm.copy(), c.copy()
    g = eq.QuadraticGame(Jm, c, blocks=[1, 2])
    g.J[0, 0] = 99.0  # the game keeps its own copy
    assert np.array_equal(Jm, J0) and np.array_equal(c, c0)


def test_game_from_spec_builds_game_and_region():
    spec = {"type": "quadratic", "blocks": [1, 2], "J": np.eye(3).tolist(), "c": [1, 0, 0],
            "domains": [{"box": [-1, 1]}, {"reals": True}],
            "region": [{"box": [[-2], [2]]}, {"ball": {"radius": 3, "center": [0, 1]}}]}
    game, region = game_from_spec(spec)
    assert isinstance(game, eq.QuadraticGame) and game.sizes == (1, 2)
    assert isinstance(region.blocks[1], eq.Ball) and region.blocks[1].center.tolist() == [0, 1]
    assert game_from_spec({"blocks": [1, 1], "J": [[1, 0], [0, 1]]})[1] is None


@pytest.mark.parametrize("spec, match", [
    ({"blocks": [1, 1]}, "missing"),
    ({"blocks": [1, 1], "J": [[1, 0], [0, 1]], "bogus": 1}, "unknown keys"),
    ({"type": "cubic", "blocks": [1], "J": [[1]]}, "must be 'quadratic'"),
    ({"blocks": [1, 2], "J": [[1, 0], [0, 1]]}, "mismatched blocks"),
    ({"blocks": [1, 1], "J": [[1, 0], [0, 1]], "region": [{"box": [0, 1]}]}, "one set per player"),
    ({"blocks": [1, 1], "J": [[1, 0], [0, 1]], "region": [{"cube": 1}, {"box": [0, 1]}]},
     "unknown kind"),
])
def test_bad_specs_are_refused_clearly(spec, match):
    with pytest.raises(ValueError, match=match):
        game_from_spec(spec)


def test_bad_games_are_refused_clearly():
    with pytest.raises(TypeError, match="F must be a callable"):
        eq.DifferentiableGame(None, [1])
    with pytest.raises(ValueError, match=r"blocks\[1\] must be a positive integer"):
        eq.DifferentiableGame(lambda x: x, [1, 0])
    with pytest.raises(ValueError, match="jacobian_method"):
        eq.DifferentiableGame(lambda x: x, [1], jacobian_method="forward")
    with pytest.raises(ValueError, match="J must be square"):
        eq.QuadraticGame(np.ones((2, 3)), blocks=[1, 1])
    with pytest.raises(ValueError, match="J contains 1 NaN"):
        eq.QuadraticGame([[1.0, np.nan], [0.0, 1.0]], blocks=[1, 1])
    with pytest.raises(ValueError, match="mismatched blocks"):
        eq.DifferentiableGame(lambda x: x, [1, 1], domains=[eq.Box(0, 1, dim=2), eq.Reals(1)])
    g = eq.DifferentiableGame(lambda x: np.array([1 / x[0], x[1]]), [1, 1])
    with pytest.raises(ValueError, match="Jacobian is not finite"):
        g.jacobian(np.zeros(2))
    with pytest.raises(TypeError, match="complex input"):
        eq.DifferentiableGame(lambda x: np.real(x), [1], jacobian_method="complex").jacobian([1.0])
