"""Figure layout, computed labels and the blitted frames against full redraws."""

import dataclasses

import numpy as np
import pytest

import animator
from animator import labels
from animator.animation import FrameSource, frame_steps, render_full_frame
from animator.figure import build_figure, default_style
from animator.scenario import RunSpec, default_scenario
from animator.simulation import simulate


@pytest.fixture(scope="module")
def scenario():
    return default_scenario()


@pytest.fixture(scope="module")
def results(scenario):
    return simulate(scenario)


def test_exports_match_all():
    public = {name for name in dir(animator) if not name.startswith("_")}
    modules = {"animation", "cli", "encoding", "figure", "files", "gif_budget"}
    modules |= {"labels", "optimizers", "pipeline", "scenario", "scenario_file"}
    modules |= {"simulation", "theme"}
    assert public - modules == set(animator.__all__)


def test_verdicts_computed(scenario, results):
    verdicts = [labels.verdict(result, results, scenario) for result in results]
    assert verdicts[0] == "Oscillates, slow (185 steps to converge)"
    assert verdicts[1] == "Damped, fastest (159 steps to converge)"
    assert verdicts[2] == "Overshoots, not converged in 300 steps"


def test_verdict_follows_step_count(scenario):
    shorter = dataclasses.replace(scenario, n_steps=120)
    shorter_results = simulate(shorter)
    verdict = labels.verdict(shorter_results[0], shorter_results, shorter)
    assert verdict == "Oscillates, not converged in 120 steps"


def test_verdict_diverged(scenario):
    diverging = dataclasses.replace(scenario, learning_rate=0.5)
    diverging_results = simulate(diverging)
    verdict = labels.verdict(diverging_results[0], diverging_results, diverging)
    assert verdict == "Diverged at step 1"


def test_legend_labels(results):
    legend = [labels.legend_label(result) for result in results]
    assert legend == [
        "Vanilla GD (185 steps)",
        "Momentum β = 0.90 (159 steps)",
        "Momentum β = 0.99 (not converged)",
    ]


def test_loss_title_states_steps(scenario):
    assert labels.loss_title(scenario) == (
        "Loss vs. Optimisation Step (log scale, 300 steps)"
    )


def test_axis_labels_follow_curvature(scenario):
    assert labels.axis_labels(scenario) == (
        "θ₁ (slow direction)",
        "θ₂ (fast direction)",
    )
    swapped = dataclasses.replace(
        scenario, quadratic=dataclasses.replace(scenario.quadratic, a=5.0, b=0.05)
    )
    assert labels.axis_labels(swapped) == (
        "θ₁ (fast direction)",
        "θ₂ (slow direction)",
    )


def test_explanation_states_outcomes(scenario, results):
    text = labels.explanation_text(scenario, results)
    assert "α = 0.18" in text
    assert "v ← β·v + (1−β)·∇L(θ)" in text
    assert "condition number 100" in text
    assert "Momentum β = 0.90: converged in 159 steps" in text
    assert "Momentum β = 0.99: loss 0.487 after 300 steps" in text


def test_run_name_formats_parameters():
    assert labels.run_name(RunSpec("gd", "Vanilla GD", "#000")) == "Vanilla GD"
    spec = RunSpec("adam", "Adam", "#000", {"beta1": 0.9, "beta2": 0.999})
    assert labels.run_name(spec) == "Adam β₁ = 0.90, β₂ = 0.999"


def test_figure_layout(scenario, results):
    with default_style():
        parts = build_figure(scenario, results, dpi=100)
    figure = parts.figure
    assert parts.canvas.get_width_height() == (1600, 1000)
    assert figure.get_facecolor() == pytest.approx(
        (0xFA / 255, 0xFA / 255, 0xF8 / 255, 1)
    )
    assert figure.get_suptitle() == "Momentum in Gradient Descent"
    trajectory_axes = figure.axes[:3]
    titles = [ax.get_title(loc="left") for ax in trajectory_axes]
    assert titles[0] == "Vanilla GD\nOscillates, slow (185 steps to converge)"
    assert titles[2] == "Momentum β = 0.99\nOvershoots, not converged in 300 steps"
    for ax in trajectory_axes:
        assert ax.get_xlim() == (-5.0, 5.0)
        assert ax.get_ylim() == (-2.2, 2.2)
    loss_axes = figure.axes[3]
    assert loss_axes.get_yscale() == "log"
    assert loss_axes.get_xlim() == (0.0, 300.0)


def test_figure_ignores_user_rc(scenario, results):
    import matplotlib as mpl

    with mpl.rc_context(
        {"font.size": 30, "axes.facecolor": "black", "lines.linewidth": 9}
    ):
        with default_style():
            parts = build_figure(scenario, results, dpi=20, animated=False)
            parts.canvas.draw()
            styled = np.array(parts.canvas.buffer_rgba())
    with default_style():
        parts = build_figure(scenario, results, dpi=20, animated=False)
        parts.canvas.draw()
        clean = np.array(parts.canvas.buffer_rgba())
    np.testing.assert_array_equal(styled, clean)


def test_frame_steps_default_and_hold():
    steps = frame_steps(300, None, 30)
    assert len(steps) == 331
    assert steps[:3] == [0, 1, 2]
    assert steps[300:] == [300] * 31


def test_frame_steps_subsampled():
    steps = frame_steps(300, 11)
    assert steps == [0, 30, 60, 90, 120, 150, 180, 210, 240, 270, 300]


def test_animation_frame_sequence(scenario, results):
    steps = frame_steps(scenario.n_steps, None, 5)
    with default_style():
        source = FrameSource(scenario, results, steps, fps=30, dpi=10)
        assert list(source.animation.new_frame_seq()) == steps
        frames = sum(1 for _ in source.frames())
    assert frames == len(steps)


@pytest.mark.parametrize("step", [0, 1, 57, 185, 300])
def test_blitted_frame_matches_full_redraw(scenario, results, step):
    dpi = 40
    with default_style():
        source = FrameSource(scenario, results, [step], fps=30, dpi=dpi)
        blitted = np.array(source.draw_step(step)).astype(int)
        full = render_full_frame(scenario, results, step, dpi=dpi).astype(int)
    difference = np.abs(blitted - full)
    # The opaque legend is restored from pixels; only its antialiased edge, where a
    # curve passes under it, can differ from a redraw.
    assert difference.max() <= 64
    assert np.count_nonzero(difference) <= 0.0005 * difference.size


def test_blitted_frames_change_over_time(scenario, results):
    with default_style():
        source = FrameSource(scenario, results, [0, 150], fps=30, dpi=20)
        first = np.array(source.draw_step(0))
        later = np.array(source.draw_step(150))
    assert np.count_nonzero(np.any(first != later, axis=-1)) > 100


def test_single_step_wording(scenario):
    one_step = dataclasses.replace(scenario, n_steps=1)
    results = simulate(one_step)
    assert labels.loss_title(one_step).endswith("(log scale, 1 step)")
    assert labels.verdict(results[0], results, one_step).endswith(
        "not converged in 1 step"
    )


def test_loss_limits_stay_readable_for_long_runs(scenario):
    # After 20 000 steps the smallest loss is subnormal; the axis must not
    # stretch to it or collapse to zero.
    long_run = dataclasses.replace(scenario, n_steps=20_000)
    results = simulate(long_run)
    with default_style():
        parts = build_figure(long_run, results, dpi=10)
    low, high = parts.figure.axes[3].get_ylim()
    assert low == pytest.approx(1e-12)
    assert high == pytest.approx(3 * results[0].losses[0])
