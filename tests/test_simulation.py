"""Golden numbers of the default scenario and the optimizers' update rules."""

import dataclasses

import numpy as np
import pytest

from animator.optimizers import make_optimizer
from animator.scenario import Quadratic, RunSpec, default_scenario
from animator.simulation import simulate, simulate_run


@pytest.fixture(scope="module")
def default_results():
    return simulate(default_scenario())


def test_default_shapes(default_results):
    for result in default_results:
        assert result.positions.shape == (301, 2)
        assert result.losses.shape == (301,)


@pytest.mark.parametrize(("index", "converged_step"), [(0, 185), (1, 159), (2, None)])
def test_default_convergence_steps(default_results, index, converged_step):
    assert default_results[index].converged_step == converged_step


@pytest.mark.parametrize(
    ("index", "final_loss", "smallest_loss"),
    [
        (0, 1.4790493e-05, 1.4790493e-05),
        (1, 1.4934788e-06, 1.4934788e-06),
        (2, 0.48736281, 0.00790751),
    ],
)
def test_default_losses(default_results, index, final_loss, smallest_loss):
    result = default_results[index]
    # The reference values have eight significant digits.
    np.testing.assert_allclose(result.final_loss, final_loss, rtol=1e-7)
    np.testing.assert_allclose(result.losses.min(), smallest_loss, rtol=1e-6)


def test_default_final_losses_exact(default_results):
    # Pinned to 1e-9 relative from a float64 run of the same update rules.
    expected = [1.4790493303898299e-05, 1.4934787762132419e-06, 0.48736281240995544]
    actual = [result.final_loss for result in default_results]
    np.testing.assert_allclose(actual, expected, rtol=1e-9)


def test_default_runs_do_not_diverge(default_results):
    for result in default_results:
        assert result.diverged_step is None


def test_high_beta_stays_bounded(default_results):
    ringing = default_results[2]
    assert np.all(np.isfinite(ringing.positions))
    assert ringing.losses.max() <= ringing.losses[0]


def test_large_learning_rate_diverges():
    scenario = dataclasses.replace(
        default_scenario(), learning_rate=0.5, runs=(RunSpec("gd", "GD", "#E05C4B"),)
    )
    result = simulate_run(scenario, scenario.runs[0])
    # y is multiplied by 1 − 0.5·10 = −4 each step: 1.5 → −6 leaves |y| ≤ 2.2 at step 1.
    assert result.diverged_step == 1
    assert result.converged_step is None
    assert not np.isfinite(result.final_loss)


def test_momentum_zero_beta_matches_gd():
    scenario = default_scenario()
    gd = simulate_run(scenario, RunSpec("gd", "GD", "#000000"))
    momentum = simulate_run(
        scenario, RunSpec("momentum", "M", "#000000", {"beta": 0.0})
    )
    np.testing.assert_allclose(momentum.positions, gd.positions, rtol=0, atol=1e-15)


def _two_steps(name, params):
    quadratic = Quadratic(a=0.05, b=5.0)
    step = make_optimizer(name, quadratic.gradient, 0.1, params)
    first = step(np.array([-4.0, 1.5]))
    return first, step(first)


def test_gd_step_by_hand():
    first, second = _two_steps("gd", {})
    # ∇L(−4, 1.5) = (−0.4, 15); θ − 0.1·∇L.
    np.testing.assert_allclose(first, [-3.96, 0.0])
    np.testing.assert_allclose(second, [-3.96 + 0.1 * 0.396, 0.0])


def test_momentum_step_by_hand():
    first, second = _two_steps("momentum", {"beta": 0.9})
    # v = 0.1·(−0.4, 15) = (−0.04, 1.5); θ = (−4, 1.5) − 0.1·v.
    np.testing.assert_allclose(first, [-3.996, 1.35])
    # ∇L(first) = (−0.3996, 13.5); v = 0.9·(−0.04, 1.5) + 0.1·∇L.
    velocity = np.array([0.9 * -0.04 + 0.1 * -0.3996, 0.9 * 1.5 + 0.1 * 13.5])
    np.testing.assert_allclose(second, first - 0.1 * velocity)


def test_heavy_ball_step_by_hand():
    first, second = _two_steps("heavy_ball", {"beta": 0.5})
    np.testing.assert_allclose(first, [-3.96, 0.0])
    # v = 0.5·(−0.4, 15) + ∇L(−3.96, 0) = (−0.2 − 0.396, 7.5).
    np.testing.assert_allclose(second, [-3.96 + 0.1 * 0.596, -0.75])


def test_nesterov_step_by_hand():
    first, _ = _two_steps("nesterov", {"beta": 0.5})
    # v = ∇L = (−0.4, 15); θ − 0.1·(∇L + 0.5·v) = θ − 0.15·∇L.
    np.testing.assert_allclose(first, [-4.0 + 0.06, 1.5 - 2.25])


def test_adam_first_step_is_learning_rate_sized():
    first, _ = _two_steps("adam", {})
    # With bias correction the first step is α·sign(∇L), up to ε.
    np.testing.assert_allclose(first, [-3.9, 1.4], rtol=1e-6)


def test_unknown_optimizer_rejected():
    with pytest.raises(ValueError, match="invalid optimizer 'sgdx'"):
        make_optimizer("sgdx", lambda theta: theta, 0.1, {})


def test_unknown_parameter_rejected():
    with pytest.raises(ValueError, match="invalid parameter 'gamma'"):
        make_optimizer("momentum", lambda theta: theta, 0.1, {"gamma": 0.5})
