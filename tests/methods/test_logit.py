"""Logit QRE path following (methods/logit.py): certified Nash gaps on N-player games.

Every certificate is recomputed independently in exact rational arithmetic
(the exact Nash gap of the exact game at the returned profile, normalised
exactly), and compared with pygambit where it is installed.
"""

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eqsolve as eq
from eqsolve.methods.logit import payoff_jacobian
from eqsolve.problems import NormalFormGame


def exact_gap(game: NormalFormGame, z) -> Fraction:
    """The Nash gap of the exact game at ``z`` (each block normalised exactly), in Fractions."""
    U = game.exact_payoffs
    N, shape = game.num_players, game.shape
    off = np.cumsum((0,) + shape)
    xs = []
    for i in range(N):
        block = [Fraction(float(v)) for v in z[off[i]:off[i + 1]]]
        block = [max(b, Fraction(0)) for b in block]
        tot = sum(block)
        xs.append([b / tot for b in block])
    gap = Fraction(0)
    for i in range(N):
        values = [Fraction(0)] * shape[i]
        for prof in itertools.product(*[range(s) for s in shape]):
            w = Fraction(1)
            for j in range(N):
                if j != i:
                    w *= xs[j][prof[j]]
            if w:
                values[prof[i]] += w * U[(i,) + prof]
        pay = sum(x * v for x, v in zip(xs[i], values))
        gap += max(values) - pay
    return gap


def random_game(shape, seed, kind="integer"):
    rng = np.random.default_rng(seed)
    size = (len(shape),) + tuple(shape)
    U = rng.integers(-10, 11, size=size) if kind == "integer" else rng.normal(size=size)
    return NormalFormGame(U)


@pytest.mark.parametrize("shape", [(3, 3, 3), (2, 2, 2, 2), (2, 3, 4)])
@pytest.mark.parametrize("seed", range(4))
def test_certified_gap_below_tol_and_sound_in_exact_arithmetic(shape, seed):
    game = random_game(shape, seed, "integer" if seed % 2 else "normal")
    res = eq.solve(game, tol=1e-8)
    assert res.method == "logit"                       # the NormalFormGame default
    assert res.status == "converged" and res.residual <= 1e-8
    assert res.residual == game.certify(res.z, point=res.certificate.point).value
    assert game.domain.contains(res.z)
    assert exact_gap(game, res.z) <= Fraction(res.residual)


def test_the_polish_is_what_reaches_tight_tolerances():
    game = random_game((3, 3, 3), 0, "normal")
    res = eq.solve(game, tol=1e-12)
    assert res.converged and res.info["polish_solutions"] >= 1
    plain = eq.solve(game, tol=1e-12, polish=False, max_iter=30)
    # without the polish the QRE approaches the equilibrium only like 1 / lambda
    assert plain.status == "max_iter" and plain.residual > 1e-12
    assert res.iterations < 30


@pytest.mark.parametrize("shape, seed, folds", [((3, 3, 3), 2, True), ((2, 2, 2, 2), 4, False)])
def test_paths_that_turn_back_in_lambda(shape, seed, folds):
    """The first game's QRE curve folds (lambda decreases for a while); on the second,
    orienting each tangent by its angle with the previous one (instead of by the
    determinant) takes the path back below lambda = 0.  Followed by arc length with the
    determinant orientation, the path neither reverses to lambda < 0 nor stalls, and
    ends at a certified equilibrium."""
    from eqsolve.methods import iterate

    rng = np.random.default_rng(seed)
    game = NormalFormGame(rng.integers(-50, 51, size=(len(shape),) + shape))
    lams = [float(item[-1].y[-1]) for _, item in zip(range(60), iterate(game, "logit"))]
    assert min(lams) >= 0                                   # no reversal
    assert (min(np.diff(lams)) < 0) == folds
    res = eq.solve(game, tol=1e-8)
    assert res.converged
    assert exact_gap(game, res.z) <= Fraction(res.residual)


def test_max_iter_and_tol_are_honoured():
    game = random_game((3, 3, 3), 2)
    res = eq.solve(game, method="logit", tol=1e-14, max_iter=2)
    assert res.status == "max_iter" and res.iterations == 2
    assert res.residual == game.certify(res.z, point=res.certificate.point).value
    loose = eq.solve(game, method="logit", tol=0.5)
    assert loose.converged and loose.residual <= 0.5


def test_the_logit_equilibrium_is_gambits():
    gbt = pytest.importorskip("pygambit")
    from eqsolve.io.interop import from_pygambit

    for shape, seed in [((3, 3, 3), 0), ((2, 2, 2, 2), 1), ((3, 3, 3), 5), ((2, 3, 2), 3)]:
        arrays = np.random.default_rng(seed).normal(size=(len(shape),) + shape).round(3)
        gg = gbt.StrategicGame.from_arrays(*[a.tolist() for a in arrays])
        game = from_pygambit(gg)
        e = gbt.nash.logit_solve(gg, maxregret=1e-10).equilibrium
        theirs = np.concatenate([[float(e[p][s]) for s in gg.get_strategies(p)]
                                 for p in gg.players])
        res = eq.solve(game, tol=1e-10)
        assert res.converged
        # the same branch of the QRE correspondence, to Gambit's accuracy
        assert np.max(np.abs(res.z - theirs)) < 1e-5, (shape, seed)


def test_gambits_three_player_catalog_games():
    gbt = pytest.importorskip("pygambit")
    from eqsolve.io.interop import from_pygambit

    slugs = list(gbt.catalog.games(n_players=3)["Game"])
    assert slugs
    for slug in slugs:
        game = from_pygambit(gbt.catalog.load(slug))
        res = eq.solve(game, tol=1e-8)
        assert res.converged, slug
        assert exact_gap(game, res.z) <= Fraction(res.residual)


def test_two_player_games_and_counting():
    rng = np.random.default_rng(7)
    A, B = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    bim = eq.BimatrixGame(A, B)
    res = eq.solve(bim, method="logit", tol=1e-10)
    assert res.converged and res.residual == bim.certify(res.z).value
    mat = eq.MatrixGame(A)
    res = eq.solve(mat, method="logit", tol=1e-10)
    assert res.converged
    assert res.value == pytest.approx(eq.solve(mat, tol=1e-10).value, abs=1e-9)
    # float32 games stay float32
    res32 = eq.solve(eq.MatrixGame(A.astype(np.float32)), method="logit", tol=1e-4)
    assert res32.converged and res32.z.dtype == np.float32


@pytest.mark.parametrize("payoffs", [
    np.zeros((3, 2, 2, 2)),                                    # every profile an equilibrium
    np.full((3, 2, 3, 2), 4.0),                                # constant
    np.array([[3.0, 1.0, 3.0]]),                               # one player, a tie
    np.zeros((2, 1, 4)),                                       # 1 x n
    np.stack([np.ones((2, 2, 2)), np.zeros((2, 2, 2)), -np.ones((2, 2, 2))]),
    np.random.default_rng(0).integers(0, 2, size=(3, 2, 2, 2)),  # many ties
])
def test_degenerate_games_do_not_crash(payoffs):
    game = NormalFormGame(payoffs)
    res = eq.solve(game, method="logit", tol=1e-9, max_iter=500)
    assert np.all(np.isfinite(res.z)) and game.domain.contains(res.z)
    assert res.status in ("converged", "max_iter", "stalled")
    assert exact_gap(game, res.z) <= Fraction(res.residual)


def test_payoff_jacobian_is_the_derivative_of_the_payoffs():
    rng = np.random.default_rng(3)
    U = rng.normal(size=(3, 2, 3, 4))
    xs = [rng.dirichlet(np.ones(s)) for s in (2, 3, 4)]
    v, J = payoff_jacobian(U, xs)
    game = NormalFormGame(U)
    assert np.allclose(v, -game.operator(np.concatenate(xs)), atol=1e-14)
    # multilinear: v_i is linear in x_j, so J's columns are v at unit vectors
    x = np.concatenate(xs)
    d = rng.normal(size=x.size)
    h = 1e-6
    fd = (-game.operator(x + h * d) + game.operator(x - h * d)) / (2 * h)
    assert np.allclose(J @ d, fd, atol=1e-8)


@pytest.mark.parametrize("options, error, match", [
    ({"first_step": -1.0}, ValueError, "first_step"),
    ({"max_growth": 1.0}, ValueError, "max_growth must be greater than 1"),
    ({"polish": "yes"}, TypeError, "polish must be True or False"),
    ({"step": 0.1}, TypeError, "unexpected keyword argument 'step'"),
])
def test_bad_options_are_clear_errors(options, error, match):
    with pytest.raises(error, match=match):
        eq.solve(random_game((2, 2, 2), 0), method="logit", **options)


def test_problems_it_does_not_take_are_named():
    vi = eq.zoo.affine_vi(4, seed=0).problem
    with pytest.raises(TypeError, match="logit solves finite games in normal form"):
        eq.solve(vi, method="logit")
    batch = eq.MatrixGame(np.random.default_rng(0).normal(size=(2, 3, 3)))
    with pytest.raises(TypeError, match="dense NumPy arrays"):
        eq.solve(batch, method="logit")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_certificate_is_sound_on_random_small_games(data):
    N = data.draw(st.integers(1, 4))
    shape = tuple(data.draw(st.lists(st.integers(1, 3), min_size=N, max_size=N)))
    size = int(np.prod(shape)) * N
    vals = data.draw(st.lists(st.integers(-3, 3), min_size=size, max_size=size))
    game = NormalFormGame(np.array(vals).reshape((N,) + shape))
    max_iter = data.draw(st.sampled_from([1, 3, 40]))
    res = eq.solve(game, method="logit", tol=1e-10, max_iter=max_iter)
    assert res.status in ("converged", "max_iter", "stalled")
    assert np.all(np.isfinite(res.z))
    assert exact_gap(game, res.z) <= Fraction(res.residual)


@pytest.mark.parametrize("shape, seed", [((3, 3, 3), 2), ((2, 2, 2, 2), 4), ((2, 3, 4), 1),
                                         ((2, 2, 2, 2, 2), 0), ((4, 3), 3)])
def test_the_compiled_step_follows_the_numpy_path(shape, seed, monkeypatch):
    """The Numba step (payoff table, Householder QR, chord corrector) takes the same
    decisions as the NumPy reference: same steps, rejections, evaluation counts and point."""
    pytest.importorskip("numba")
    import eqsolve.methods.logit as logit_module

    game = random_game(shape, seed, "normal" if seed % 2 else "integer")
    compiled = eq.solve(game, tol=1e-8)
    monkeypatch.setattr(logit_module, "_kernels", lambda: None)
    reference = eq.solve(game, tol=1e-8)
    assert compiled.converged and reference.converged
    for key in ("path_steps", "rejected_steps", "polish_attempts", "polish_solutions"):
        assert compiled.info[key] == reference.info[key]
    assert compiled.oracle_calls == reference.oracle_calls
    assert np.max(np.abs(compiled.z - reference.z)) < 1e-10


def test_compiled_payoffs_and_jacobian_match_the_einsum_reference():
    pytest.importorskip("numba")
    from eqsolve.methods import _logit_numba as kernels

    rng = np.random.default_rng(7)
    for shape in [(3, 3, 3), (2, 2, 2, 2), (2, 5), (4,)]:
        U = rng.normal(size=(len(shape),) + shape)
        U[0].flat[0] = 0.0                     # a zero payoff is skipped, not mishandled
        xs = [rng.dirichlet(np.ones(s)) for s in shape]
        xs[-1][0] = 0.0                        # a zero probability
        xs[-1] /= xs[-1].sum()
        v_ref, J_ref = payoff_jacobian(U, xs)
        n, N = sum(shape), len(shape)
        first = np.concatenate([[0], np.cumsum(shape)[:-1]])
        idx = np.ascontiguousarray(np.indices(shape).reshape(N, -1).T + first, dtype=np.int64)
        v, J = np.empty(n), np.empty((n, n))
        kernels.evaluate(np.ascontiguousarray(U.reshape(N, -1)), idx, np.concatenate(xs), v, J,
                         True)
        assert np.allclose(v, v_ref, atol=1e-13) and np.allclose(J, J_ref, atol=1e-13)
        w = np.empty(n)
        kernels.values(np.ascontiguousarray(U.reshape(N, -1)), idx, np.concatenate(xs), w)
        assert np.array_equal(w, v)


def test_compiled_support_newton_matches_numpy_on_every_small_support():
    """Every support of a 2 x 2 x 3 game (singular Newton matrices included: least squares)
    from one QRE point: the compiled Newton and the NumPy one agree on found / not found,
    the point and the evaluations counted."""
    pytest.importorskip("numba")
    import eqsolve.methods.logit as logit_module
    from eqsolve.methods.base import Oracle

    game = random_game((2, 2, 3), 5, "normal")
    method = logit_module.Logit.configure(game)
    sig = np.array([0.7, 0.3, 0.2, 0.8, 0.5, 0.3, 0.2])
    blocks = [range(0, 2), range(2, 4), range(4, 7)]
    supports = [sum(parts, ()) for parts in itertools.product(
        *[[c for r in range(1, len(b) + 1) for c in itertools.combinations(b, r)]
          for b in blocks])]
    outcomes = set()
    for S in supports:
        got = []
        for kernels in (logit_module._kernels, lambda: None):
            orig = logit_module._kernels
            logit_module._kernels = kernels
            try:
                g = logit_module._Game(game, Oracle(game))
            finally:
                logit_module._kernels = orig
            z = method._newton(g, np.array(S, dtype=np.int64), sig, near=1.0)
            got.append((z, g.oracle.calls))
        (a, ca), (b, cb) = got
        assert (a is None) == (b is None) and ca == cb, S
        if a is not None:
            assert np.max(np.abs(a - b)) < 1e-12
        outcomes.add(a is None)
    assert outcomes == {True, False}
