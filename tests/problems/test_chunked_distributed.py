"""Chunked games on a dask.distributed cluster: two worker processes, one thread each."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

import eqsolve as eq
from tests.problems.test_chunked import _saddle

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _persisted(client, A, rows=5):
    return eq.MatrixGame(eq.ChunkedMatrix(client.persist(da.from_array(A, chunks=(rows, -1))),
                                          client=client))


def test_persisted_game_follows_numpy(client):
    A = _saddle()
    game = _persisted(client, A)
    engine = game.A.engine
    assert engine.name == "distributed" and len(engine.groups) == 2   # blocks on both workers
    assert game.A.graph_size() == 2                                  # one task per worker per pass
    # default options: the dense game's Ruiz scaling, power iterations and polish
    # the in-memory game's own-dtype path (its default iterates on a float32 copy first)
    ref = eq.solve(eq.MatrixGame(A), tol=1e-9, mixed_precision=False)
    res = eq.solve(game, tol=1e-9)
    assert res.converged and res.iterations == ref.iterations
    np.testing.assert_allclose(res.z, ref.z, atol=1e-10)
    res = eq.solve(game, tol=1e-9, polish=False)
    ref = eq.solve(eq.MatrixGame(A), tol=1e-9, polish=False, mixed_precision=False)
    assert res.iterations == ref.iterations
    np.testing.assert_allclose(res.z, ref.z, atol=1e-10)
    assert res.info["passes"] == (res.info["scaling_passes"] + 2 * res.info["norm_steps"] + 1
                                  + 2 * res.iterations)
    # a fused pass with extragradient, on a game it does not solve within 15 iterations
    B = np.random.default_rng(0).standard_normal((24, 16))
    chunked = _persisted(client, B)
    step = dict(step=1.0 / chunked.lipschitz, adaptive=True)  # its bound is not centred
    res = eq.solve(chunked, method="extragradient", max_iter=15, **step)
    ref = eq.solve(eq.MatrixGame(B), method="extragradient", max_iter=15, **step)
    assert res.iterations == ref.iterations == 15
    np.testing.assert_allclose(res.z, ref.z, atol=1e-10)


def test_the_current_client_is_used(client):
    game = eq.MatrixGame(da.from_array(_saddle(), chunks=(10, 20)))
    assert game.A.engine.name == "distributed"


def test_solve_many_on_the_cluster(client):
    games = [eq.MatrixGame(_saddle(s)) for s in (0, 1, 3)]
    # float64 iterations: float32 products round differently on one BLAS thread than on
    # two, which moves a mixed-precision run's iterates by more than 1e-12
    many = eq.solve_many(games, client=client, tol=1e-8, mixed_precision=False)
    for game, res in zip(games, many):
        one = eq.solve(game, tol=1e-8, mixed_precision=False)
        assert res.status == one.status and res.iterations == one.iterations
        # the workers' BLAS runs on one thread (dask's default): equal to rounding
        np.testing.assert_allclose(res.z, one.z, atol=1e-12)


def test_a_killed_worker_never_hangs_the_solve(client):
    A = np.random.default_rng(0).standard_normal((30, 20))
    game = _persisted(client, A)
    victim = next(iter(game.A.engine.groups))
    pid = client.run(os.getpid, workers=[victim])[victim]

    def kill(progress):
        if progress.iteration == 10:
            os.kill(pid, signal.SIGKILL)   # a worker of the cluster this test started

    res = eq.solve(game, tol=1e-3, max_iter=400, callback=kill)
    # dask recomputes the lost blocks elsewhere (their graph is known), or the solve ends
    # "interrupted"; either way the certificate is that of the returned point
    assert res.status in ("converged", "interrupted")
    assert res.residual == pytest.approx(eq.MatrixGame(A).certify(res.z).value, rel=1e-9)
    client.wait_for_workers(2, timeout=60)   # the nanny restarts the worker for later tests


def test_a_lost_cluster_ends_interrupted_with_the_best_point():
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                       dashboard_address=None)
    client = distributed.Client(cluster, set_as_default=False)
    A = np.random.default_rng(0).standard_normal((30, 20))
    game = eq.MatrixGame(eq.ChunkedMatrix(da.from_array(A, chunks=(10, -1)), client=client,
                                          timeout=10.0))

    def lose(progress):
        if progress.iteration == 20:
            client.close()
            cluster.close()

    res = eq.solve(game, tol=1e-8, callback=lose)
    assert res.status == "interrupted" and res.iterations == 20
    assert "x0=result.z" in res.warnings[-1] and "interrupted" in eq.result.STATUS_MESSAGES
    dense = eq.MatrixGame(A)
    assert res.residual == pytest.approx(dense.certify(res.z).value, rel=1e-9)
    again = eq.solve(dense, x0=res.z, tol=1e-8)     # restartable from the returned point
    assert again.converged
