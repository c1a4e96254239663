"""OnlineOptimistic without a step or L: within 1.5x of the textbook learner that knows L.

F_t(x) = 1/2 ||x - c_t||^2 over [-1, 1]^10, T = 3000 (deterministic, seeded): dynamic
regret with Gaussian gradient noise 0.1, and with a slowly drifting optimum.  The
reference is written here from the formula (self-confident optimistic OMD with the
stability cap 1/(4L), L known).
"""

import math

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.problems import sea


class Textbook:
    """x_t = P(u_t - eta_t g_{t-1}), u_{t+1} = P(u_t - eta_t g_t),
    eta_t = min(1/(4L), D / sqrt(sum_{s<t} ||g_s - g_{s-1}||^2))."""

    def __init__(self, domain, L):
        self.domain, self.L = domain, L
        self.D = float(np.linalg.norm(domain.upper - domain.lower))
        self.u = domain.project(np.zeros(domain.dim))
        self.last = np.zeros(domain.dim)
        self.err = 0.0

    def play(self):
        cap = 1.0 / (4.0 * self.L) if self.L > 0 else math.inf
        self.eta = min(cap, self.D / math.sqrt(self.err)) if self.err > 0 else cap
        if not math.isfinite(self.eta):     # L = 0 and no error yet: the zero hint does not move
            return self.u
        return self.domain.project(self.u - self.eta * self.last)

    def observe(self, g):
        self.err += float((g - self.last) @ (g - self.last))
        eta = self.eta if math.isfinite(self.eta) else self.D / math.sqrt(self.err)
        self.u = self.domain.project(self.u - eta * g)
        self.last = g


def dynamic_regret(stream, learner):
    xs = np.empty((stream.T, stream.dim))
    for t in range(stream.T):
        xs[t] = learner.play()
        learner.observe(stream.sample_grad(t, xs[t]))
    return stream.dynamic_regret(xs).value


@pytest.mark.parametrize("regime", [dict(sigma=0.1), dict(drift=0.5, variation="slow")],
                         ids=["noise", "slow_drift"])
@pytest.mark.parametrize("seed", [0, 1])
def test_default_learner_is_within_1_5x_of_the_textbook_learner_knowing_L(regime, seed):
    s = sea.sea_quadratic(3000, 10, domain="box", curvature=1.0, scale=0.5, seed=seed, **regime)
    learner = eq.OnlineOptimistic(s.domain)
    ours = dynamic_regret(s, learner)
    ref = dynamic_regret(s, Textbook(s.domain, s.lipschitz))
    assert ours <= 1.5 * ref, (ours, ref)
    # the online estimate found the smoothness (L = 1) to within a factor 2
    assert 0.5 <= learner.lipschitz_estimate <= 2.0


def test_default_learner_within_1_5x_on_noisy_linear_losses_over_the_box():
    # the regime where the full-norm secant read the first moves' noise as curvature (1.63x);
    # regret averaged over the benchmark's four seeds, as benchmarks/sea.py reports it (one
    # seed alone, whose reference regret is small, pays the probe's additive cost at 1.75x)
    ours = ref = 0.0
    for seed in range(4):
        s = sea.sea_quadratic(3000, 10, domain="box", curvature=0.0, sigma=0.1, scale=0.5,
                              seed=seed)

        def static(learner):
            xs = np.empty((s.T, s.dim))
            for t in range(s.T):
                xs[t] = learner.play()
                learner.observe(s.sample_grad(t, xs[t]))
            return s.static_regret(xs, realized=True).value

        ours += static(eq.OnlineOptimistic(s.domain))
        ref += static(Textbook(s.domain, 0.0))
    assert ours <= 1.5 * ref, (ours, ref)
    assert ours <= 1.2 * ref          # measured 1.14


def test_the_estimate_finds_the_top_curvature_of_an_anisotropic_quadratic():
    # moves that the step makes unstable grow along the stiffest direction, where the
    # secant along the move is the largest curvature: the estimate must get near it
    H = np.diag(np.logspace(0, 2, 10))
    v = np.linspace(-5.0, 5.0, 10)
    learner = eq.OnlineOptimistic(eq.Box(-np.ones(10), np.ones(10)))
    for _ in range(500):
        x = learner.play()
        learner.observe(H @ x + v)
    assert 25.0 <= learner.lipschitz_estimate <= 100.0 + 1e-9


def test_the_estimate_ignores_pure_noise_on_linear_losses():
    s = sea.sea_quadratic(2000, 10, domain="box", curvature=0.0, sigma=0.1, scale=0.5, seed=3)
    learner = eq.OnlineOptimistic(s.domain)
    dynamic_regret(s, learner)
    # linear losses have L = 0: the noise alone must not look like curvature
    assert learner.lipschitz_estimate < 0.5


def test_a_given_lipschitz_or_step_switches_the_estimate_off():
    dom = eq.Box(-1.0, 1.0, dim=3)
    for learner in (eq.OnlineOptimistic(dom, lipschitz=2.0), eq.OnlineOptimistic(dom, step=0.1)):
        for _ in range(20):
            learner.play()
            learner.observe(np.array([1.0, -2.0, 0.5]))
        assert learner.lipschitz_estimate is None


def test_steps_stay_scale_free():
    """Gradients times 1000 give the same points (the estimate scales with the losses)."""
    dom = eq.Box(-1.0, 1.0, dim=4)
    rng = np.random.default_rng(0)
    c = rng.uniform(-0.5, 0.5, size=(200, 4))
    a, b = eq.OnlineOptimistic(dom), eq.OnlineOptimistic(dom)
    for t in range(200):
        xa, xb = a.play(), b.play()
        assert np.allclose(xa, xb, atol=1e-9)
        a.observe(xa - c[t])
        b.observe(1000.0 * (xb - c[t]))
