"""Every problem class and a Result round-trip through the standard library's pickle.

A problem built from the user's functions pickles when they do (module-level
functions, not lambdas or closures), as the standard library requires.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.domains import Box, Simplex
from eqsolve.problems import zoo
from eqsolve.problems.markov import SoftmaxMarkovGame


def _shift(z):
    return z - 0.25


def _grad_x(x, y):
    return x + y


def _grad_y(x, y):
    return y - x


def _component(i, z):
    return z - 0.1 * i


def _two_player_field(z):
    return np.array([z[0] + 2.0 * z[1], z[1] - 2.0 * z[0]])


def _problems():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 3))
    return [
        eq.MatrixGame(A),
        eq.MatrixGame(np.stack([A, -A])),
        eq.BimatrixGame(A, -A.T.T + 1.0),
        eq.VI(_shift, Box(0.0, 1.0, dim=3)),
        eq.Saddle(_grad_x, _grad_y, Box(-1.0, 1.0, dim=2), Box(-1.0, 1.0, dim=2)),
        eq.FiniteSumVI(_component, 4, Box(-1.0, 1.0, dim=2)),
        eq.FiniteSumVI.affine(rng.standard_normal((3, 2, 2)), rng.standard_normal((3, 2))),
        eq.FiniteSumVI.from_matrix_game(A),
        eq.PreferenceGame(eq.problems.random_preferences(4, seed=1), beta=0.1),
        eq.DifferentiableGame(_two_player_field, blocks=[1, 1]),
        zoo.sgn_mini_toy(),
        zoo.rayleigh_power_control(2, 3, seed=0),
        eq.NormalFormGame(rng.standard_normal((2, 2, 3))),
        zoo.sgn_markov_game(),
        eq.LinearProgram(np.array([1.0, 2.0, -1.0]), A_ub=A[:2], b_ub=np.ones(2),
                         bounds=(0, 1)),
        eq.BilinearSaddle(A, Simplex(3), Box(-1.0, 1.0, dim=4), f=eq.linear(np.ones(3)),
                          g=eq.quadratic(np.full(4, 0.5))),
    ]


@pytest.mark.parametrize("problem", _problems(), ids=lambda p: type(p).__name__)
def test_every_problem_pickles(problem):
    copy = pickle.loads(pickle.dumps(problem))
    assert type(copy) is type(problem)
    z = problem.initial_point()
    np.testing.assert_array_equal(np.asarray(copy.operator(z)), np.asarray(problem.operator(z)))
    assert copy.certify(z).value == problem.certify(z).value


def test_every_problem_class_is_covered():
    covered = {type(p) for p in _problems()}
    classes = {eq.MatrixGame, eq.BimatrixGame, eq.VI, eq.Saddle, eq.FiniteSumVI,
               eq.PreferenceGame, eq.DifferentiableGame, eq.QuadraticGame,
               eq.PowerControlGame, eq.NormalFormGame, SoftmaxMarkovGame, eq.LinearProgram,
               eq.BilinearSaddle}
    assert classes <= covered


def test_result_pickles():
    res = eq.solve(zoo.rock_paper_scissors(), tol=1e-8)
    copy = pickle.loads(pickle.dumps(res))
    assert copy.status == res.status and copy.residual == res.residual
    np.testing.assert_array_equal(copy.z, res.z)


def test_pickle_drops_the_namespace_module():
    game = eq.MatrixGame(np.eye(3))
    assert b"array_api_compat.numpy" in pickle.dumps(game)   # by name, not by value
    assert pickle.loads(pickle.dumps(game)).xp is game.xp
