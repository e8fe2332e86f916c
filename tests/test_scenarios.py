"""Scenario files: the shipped examples, validation errors and divergence."""

import dataclasses
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

from animator import labels
from animator.animation import FrameSource, render_full_frame
from animator.figure import arrow_positions, build_figure, default_style, show_step
from animator.scenario import RunSpec, default_scenario
from animator.scenario_file import ScenarioError, load_scenario, parse_scenario
from animator.simulation import simulate

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def _default_data():
    with open(SCENARIOS / "momentum.toml", "rb") as file:
        return tomllib.load(file)


def test_default_file_matches_builtin():
    assert load_scenario(SCENARIOS / "momentum.toml") == default_scenario()


@pytest.mark.parametrize("name", ["learning_rate_sweep", "optimizers"])
def test_example_scenarios_load(name):
    scenario = load_scenario(SCENARIOS / f"{name}.toml")
    assert 1 <= len(scenario.runs) <= 4


def test_sweep_has_a_diverging_run():
    scenario = load_scenario(SCENARIOS / "learning_rate_sweep.toml")
    results = simulate(scenario)
    verdicts = [labels.verdict(result, results, scenario) for result in results]
    assert verdicts[-1].startswith("Diverged at step ")
    assert results[-1].diverged_step is not None
    assert all(result.diverged_step is None for result in results[:-1])


def test_optimizers_scenario_names_each_rule():
    scenario = load_scenario(SCENARIOS / "optimizers.toml")
    text = labels.explanation_text(scenario, simulate(scenario))
    assert "Nesterov:" in text
    assert "Adam:" in text
    assert "α set per run" in text


def _set(data, dotted, value):
    keys = dotted.split(".")
    target = data
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("colour", "red", "unknown key colour"),
        ("loss.c", 1.0, "unknown key loss.c"),
        ("runs.1.gamma", 0.5, "unknown key runs[1].gamma"),
        ("steps", _DELETE, "missing key steps"),
        ("runs.0.label", _DELETE, "missing key runs[0].label"),
        ("steps", 0, "invalid steps = 0: expected a whole number from 1 to 100000"),
        ("steps", 100_001, "invalid steps = 100001"),
        ("steps", 2.5, "invalid steps = 2.5"),
        ("steps", True, "invalid steps = True"),
        ("learning_rate", -0.1, "invalid learning_rate = -0.1: expected a finite"),
        ("learning_rate", "fast", "invalid learning_rate = 'fast'"),
        ("learning_rate", float("inf"), "invalid learning_rate = inf"),
        ("start", [float("nan"), 1.0], "invalid start[0] = nan"),
        ("start", [1.0], "invalid start = a list of 1"),
        ("loss.a", 0.0, "invalid loss.a = 0.0"),
        ("threshold", -1e-3, "invalid threshold = -0.001"),
        ("plot.x_range", [5.0, -5.0], "invalid plot.x_range = a list of 2"),
        ("runs.1.beta", 1.0, "invalid runs[1].beta = 1.0: expected a finite number"),
        ("runs.1.beta", -0.5, "invalid runs[1].beta = -0.5"),
        ("runs.0.optimizer", "sgd", "invalid runs[0].optimizer = 'sgd': expected one"),
        ("runs.0.color", "not-a-colour", "invalid runs[0].color = 'not-a-colour'"),
        ("runs.0.label", "", "invalid runs[0].label = ''"),
        ("runs.0.label", "two\nlines", "invalid runs[0].label = 'two\\nlines'"),
        ("runs", [], "invalid runs = a list of 0: expected a list of 1 to 4"),
    ],
)
def test_validation_names_key_and_value(key, value, message):
    data = _set(_default_data(), key, value)
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data, "test.toml")
    text = str(caught.value)
    assert text.startswith("test.toml: ")
    assert message in text
    assert "\n" not in text


def test_five_runs_rejected():
    data = _default_data()
    data["runs"] = data["runs"] + data["runs"][:2]
    with pytest.raises(ScenarioError, match="expected a list of 1 to 4"):
        parse_scenario(data, "five.toml")


def test_invalid_toml_rejected(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("steps = [1, \n")
    with pytest.raises(ScenarioError, match="invalid TOML"):
        load_scenario(path)


def test_missing_file_rejected(tmp_path):
    with pytest.raises(ScenarioError, match="not found"):
        load_scenario(tmp_path / "absent.toml")


def test_scenario_is_not_executed(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "code.toml"
    path.write_text(f"title = \"__import__('os').mknod('{marker}')\"\n")
    with pytest.raises(ScenarioError, match="missing key"):
        load_scenario(path)
    assert not marker.exists()


def test_defaults_for_optional_keys():
    data = _default_data()
    del data["plot"]
    del data["threshold"]
    del data["title"]
    scenario = parse_scenario(data)
    assert scenario.threshold == 1e-3
    assert scenario.x_range == (-5.0, 5.0)
    assert scenario.y_range == (-1.875, 1.875)
    assert scenario.contour_levels[2] == 28


def _diverging_scenario():
    return dataclasses.replace(
        default_scenario(),
        runs=(
            RunSpec("gd", "GD", "#E05C4B", learning_rate=0.5),
            RunSpec("momentum", "Momentum", "#3A7CA5", {"beta": 0.9}),
        ),
    )


def test_diverged_path_stops_at_divergence():
    scenario = _diverging_scenario()
    results = simulate(scenario)
    with default_style():
        parts = build_figure(scenario, results, dpi=20, animated=False)
        show_step(parts, results, scenario.n_steps)
    x_data, _ = parts.runs[0].path.get_data()
    assert len(x_data) == results[0].diverged_step + 1
    loss_x, loss_y = parts.loss_lines[0].get_data()
    assert np.all(np.isfinite(loss_y))
    low, high = parts.figure.axes[2].get_ylim()
    assert high < 1e4


def test_diverged_frames_render_without_warnings():
    # The test suite turns warnings into errors, so overflow or log-of-zero
    # warnings would fail here.
    scenario = _diverging_scenario()
    results = simulate(scenario)
    with default_style():
        source = FrameSource(scenario, results, [0, 1, 150, 300], fps=10, dpi=20)
        frames = [np.array(frame) for frame in source.frames()]
    assert len(frames) == 4


@pytest.mark.parametrize("step", [0, 40, 300])
def test_arrows_blitted_match_full_redraw(step):
    scenario = default_scenario()
    results = simulate(scenario)
    options = {"dpi": 30, "arrows": True}
    with default_style():
        source = FrameSource(scenario, results, [step], fps=10, **options)
        blitted = np.array(source.draw_step(step)).astype(int)
        full = render_full_frame(scenario, results, step, **options).astype(int)
    difference = np.abs(blitted - full)
    assert difference.max() <= 64
    assert np.count_nonzero(difference) <= 0.0005 * difference.size


def test_arrow_positions_by_hand():
    scenario = default_scenario()
    momentum = simulate(scenario)[1]
    tail, gradient_tip, step_tip = arrow_positions(momentum, 10)
    np.testing.assert_allclose(tail, momentum.positions[10])
    # −α·∇L with α = 0.18 and ∇L = (0.1·x, 10·y).
    x, y = momentum.positions[10]
    np.testing.assert_allclose(gradient_tip, [x - 0.018 * x, y - 1.8 * y])
    np.testing.assert_allclose(step_tip, momentum.positions[11])
    assert arrow_positions(momentum, scenario.n_steps) is None


def test_arrows_visible_until_last_step():
    scenario = default_scenario()
    results = simulate(scenario)
    with default_style():
        parts = build_figure(scenario, results, dpi=20, arrows=True)
        show_step(parts, results, 10)
        visible = [arrow.get_visible() for arrow in parts.runs[0].arrows]
        show_step(parts, results, scenario.n_steps)
        hidden = [arrow.get_visible() for arrow in parts.runs[0].arrows]
    assert visible == [True, True]
    assert hidden == [False, False]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("runs.0.color", "none", "expected an opaque colour"),
        ("runs.0.color", "#E05C4B00", "expected an opaque colour"),
        (
            "loss.a",
            5e-324,
            "invalid loss.a = 5e-324: expected a finite number at least",
        ),
        ("plot.x_range", [0.0, 5e-324], "invalid plot.x_range"),
        ("plot.contour_levels.count", _DELETE, "missing key plot.contour_levels.count"),
    ],
)
def test_validation_edge_values(key, value, message):
    data = _set(_default_data(), key, value)
    with pytest.raises(ScenarioError, match=re.escape(message)):
        parse_scenario(data, "edge.toml")


def test_byte_order_mark_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + (SCENARIOS / "momentum.toml").read_bytes())
    assert load_scenario(path) == default_scenario()


def test_non_utf8_file_rejected(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('title = "Momentum für alle"\n'.encode("latin-1"))
    with pytest.raises(ScenarioError, match="not UTF-8; save the file as UTF-8"):
        load_scenario(path)


def test_oversized_file_rejected(tmp_path):
    path = tmp_path / "huge.toml"
    path.write_bytes(b"#" * 1_000_001)
    with pytest.raises(ScenarioError, match="larger than 1000000 bytes"):
        load_scenario(path)


def test_dollar_signs_are_plain_text():
    scenario = dataclasses.replace(
        default_scenario(),
        title="Saving $$ with momentum",
        runs=(RunSpec("gd", "Cost $5 vs $10", "#E05C4B"),),
    )
    results = simulate(scenario)
    with default_style():
        parts = build_figure(scenario, results, dpi=20, animated=False)
        parts.canvas.draw()
    assert parts.runs[0].title.get_text().startswith("Cost $5 vs $10")


def test_slow_divergence_detected():
    scenario = dataclasses.replace(default_scenario(), n_steps=3000)
    result = simulate(scenario)[0]
    assert result.diverged_step is None
    slow = simulate_run_with_rate(scenario, 0.2001)
    assert slow.diverged_step is not None
    assert slow.final_loss > slow.losses[0]


def simulate_run_with_rate(scenario, learning_rate):
    from animator.simulation import simulate_run

    return simulate_run(scenario, RunSpec("gd", "GD", "#E05C4B", {}, learning_rate))


def test_default_title_names_optimizers():
    data = _default_data()
    del data["title"]
    assert parse_scenario(data).title == "Momentum in Gradient Descent"
    data["runs"] = [{"optimizer": "adam", "label": "Adam", "color": "#8E6CC0"}]
    assert parse_scenario(data).title == "Adam"


def test_optimizers_scenario_stays_converged():
    scenario = load_scenario(SCENARIOS / "optimizers.toml")
    for result in simulate(scenario):
        assert result.converged_step is not None, result.spec.label
        after = result.losses[result.converged_step :]
        assert np.all(after < scenario.threshold), result.spec.label


def test_start_below_threshold_verdict():
    scenario = dataclasses.replace(default_scenario(), threshold=1e6)
    results = simulate(scenario)
    verdict = labels.verdict(results[0], results, scenario)
    assert verdict == "Starts below the convergence threshold"
