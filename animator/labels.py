"""Titles, verdicts, legend labels and the explanation text, all computed from results.

Nothing shown on the figure is typed in: each number comes from the scenario or the
simulation, so the text stays true when either changes.
"""

from __future__ import annotations

import numpy as np

from .scenario import RunSpec, Scenario
from .simulation import RunResult

__all__ = [
    "axis_labels",
    "count_steps",
    "explanation_text",
    "legend_label",
    "loss_title",
    "run_name",
    "step_counter",
    "verdict",
]

# A converged run whose fast coordinate changed sign on more than this share of
# its steps zigzags across the valley.
_OSCILLATION_SHARE = 0.5

_PARAMETER_SYMBOLS = {"beta": "β", "beta1": "β₁", "beta2": "β₂", "epsilon": "ε"}

_UPDATE_RULES = {
    "gd": ["θ ← θ − α·∇L(θ)"],
    "momentum": ["v ← β·v + (1−β)·∇L(θ)", "θ ← θ − α·v"],
    "heavy_ball": ["v ← β·v + ∇L(θ)", "θ ← θ − α·v"],
    "nesterov": ["v ← β·v + ∇L(θ)", "θ ← θ − α·(∇L(θ) + β·v)"],
    "adam": ["m ← β₁·m + (1−β₁)·∇L", "s ← β₂·s + (1−β₂)·∇L²", "θ ← θ − α·m̂/(√ŝ + ε)"],
}

_OPTIMIZER_NAMES = {
    "gd": "GD",
    "momentum": "Momentum",
    "heavy_ball": "Heavy ball",
    "nesterov": "Nesterov",
    "adam": "Adam",
}


def format_number(value: float) -> str:
    """Format ``value`` with two decimals when that is exact, else in short form.

    Two decimals suit factors such as β = 0.90; values of 100 or more, or below
    0.01, use the short form, so 1e+06 does not read as 1000000.00.
    """
    two_decimals = f"{value:.2f}"
    if 0.01 <= abs(value) < 100 and float(two_decimals) == value:
        return two_decimals
    return f"{value:g}"


def count_steps(n: int) -> str:
    """Return "1 step" or "n steps"."""
    return "1 step" if n == 1 else f"{n} steps"


def run_name(spec: RunSpec) -> str:
    """Return the run's label followed by its parameters, e.g. "Momentum β = 0.90".

    A run with a learning rate of its own shows it first, e.g. "GD α = 0.5".
    """
    parts = []
    if spec.learning_rate is not None:
        parts.append(f"α = {format_number(spec.learning_rate)}")
    for key, value in spec.params.items():
        if key != "epsilon":
            parts.append(f"{_PARAMETER_SYMBOLS.get(key, key)} = {format_number(value)}")
    if not parts:
        return spec.label
    return f"{spec.label} {', '.join(parts)}"


def _sign_changes(values: np.ndarray) -> int:
    signs = np.sign(values)
    signs = signs[signs != 0]
    return int(np.count_nonzero(signs[1:] != signs[:-1]))


def _speed_word(result: RunResult, results: list[RunResult]) -> str | None:
    steps = [r.converged_step for r in results if r.converged_step is not None]
    if len(steps) < 2:
        return None
    return "fastest" if result.converged_step == min(steps) else "slow"


def verdict(result: RunResult, results: list[RunResult], scenario: Scenario) -> str:
    """Describe how ``result`` behaved, compared with the other ``results``.

    Returns, for example, "Oscillates, slow (185 steps to converge)",
    "Overshoots, not converged in 300 steps" or "Diverged at step 1".
    """
    if result.diverged_step is not None:
        return f"Diverged at step {result.diverged_step}"

    slow_axis = scenario.quadratic.slow_axis
    end = result.converged_step if result.converged_step is not None else result.n_steps
    path = result.positions[: end + 1]
    overshoots = _sign_changes(path[:, slow_axis]) > 0
    fast_changes = _sign_changes(path[:, 1 - slow_axis])

    if overshoots:
        behaviour = "Overshoots"
    elif fast_changes > _OSCILLATION_SHARE * max(end, 1):
        behaviour = "Oscillates"
    elif fast_changes > 0:
        behaviour = "Damped"
    else:
        behaviour = "Smooth"

    if result.converged_step is None:
        return f"{behaviour}, not converged in {count_steps(result.n_steps)}"
    if result.converged_step == 0:
        return "Starts below the convergence threshold"
    speed = _speed_word(result, results)
    words = behaviour if speed is None else f"{behaviour}, {speed}"
    return f"{words} ({count_steps(result.converged_step)} to converge)"


def legend_label(result: RunResult) -> str:
    """Return the loss curve's legend entry, e.g. "Vanilla GD (185 steps)"."""
    name = run_name(result.spec)
    if result.diverged_step is not None:
        return f"{name} (diverged at step {result.diverged_step})"
    if result.converged_step is None:
        return f"{name} (not converged)"
    return f"{name} ({count_steps(result.converged_step)})"


def loss_title(scenario: Scenario) -> str:
    """Return the loss panel's title, which states the number of steps."""
    return f"Loss vs. Optimisation Step (log scale, {count_steps(scenario.n_steps)})"


def axis_labels(scenario: Scenario) -> tuple[str, str]:
    """Return the x and y labels, naming which coordinate is the slow direction."""
    slow_axis = scenario.quadratic.slow_axis
    names = ["fast direction", "fast direction"]
    names[slow_axis] = "slow direction"
    return f"θ₁ ({names[0]})", f"θ₂ ({names[1]})"


def step_counter(step: int, n_steps: int) -> str:
    """Return the step counter text for ``step`` of ``n_steps``."""
    return f"Step {step} / {n_steps}"


def _outcome(result: RunResult) -> str:
    if result.diverged_step is not None:
        return f"diverged at step {result.diverged_step}"
    if result.converged_step is not None:
        return f"converged in {count_steps(result.converged_step)}"
    return f"loss {result.final_loss:.3g} after {count_steps(result.n_steps)}"


_MOMENTUM_FAMILY = ("momentum", "heavy_ball", "nesterov")


def _update_rule_lines(scenario: Scenario) -> list[str]:
    shared_rate = scenario.shared_learning_rate
    if shared_rate is None:
        lines = ["Update rules (α set per run)"]
    else:
        lines = [f"Update rules (α = {format_number(shared_rate)})"]
    seen = []
    for spec in scenario.runs:
        if spec.optimizer in seen:
            continue
        seen.append(spec.optimizer)
        rules = _UPDATE_RULES[spec.optimizer]
        name = f"{_OPTIMIZER_NAMES[spec.optimizer]}:"
        width = max(len(name) for name in _OPTIMIZER_NAMES.values()) + 2
        lines.append(f"  {name:<{width}}{rules[0]}")
        lines.extend(f"  {'':<{width}}{rule}" for rule in rules[1:])
    return lines


def _insight_lines(scenario: Scenario) -> list[str]:
    quadratic = scenario.quadratic
    slow, fast = ("θ₁", "θ₂") if quadratic.slow_axis == 0 else ("θ₂", "θ₁")
    optimizers = {spec.optimizer for spec in scenario.runs}
    lines = []
    if optimizers & set(_MOMENTUM_FAMILY):
        condition = f"{quadratic.condition_number:g}"
        lines += [
            "",
            f"Why momentum helps (condition number {condition})",
            "  v accumulates past gradients: the zigzag",
            f"  across the valley ({fast}) cancels out, the",
            f"  steady pull along it ({slow}) compounds.",
        ]
    if "adam" in optimizers:
        lines += [
            "",
            "Why Adam differs",
            "  Dividing by √ŝ gives each coordinate its own",
            "  step size, so both move about α per step.",
        ]
    if not lines:
        # Plain GD on a quadratic is stable while α·λ < 2 for every Hessian
        # eigenvalue λ = 2a, 2b.
        largest_eigenvalue = 2.0 * max(quadratic.a, quadratic.b)
        limit = format_number(2.0 / largest_eigenvalue)
        lines += [
            "",
            "What α does",
            f"  GD is stable only for α < 2/λmax = {limit};",
            f"  above it the {fast} zigzag grows each step.",
        ]
    return lines


def explanation_text(scenario: Scenario, results: list[RunResult]) -> str:
    """Compose the explanation panel: update rules, the intuition and the outcomes."""
    lines = _update_rule_lines(scenario) + _insight_lines(scenario)
    optimizers = {spec.optimizer for spec in scenario.runs}
    # Only a comparison of momentum against plain GD needs the β rule of thumb.
    if optimizers & set(_MOMENTUM_FAMILY) and optimizers <= {"gd", *_MOMENTUM_FAMILY}:
        lines += [
            "",
            "What β does",
            "  β → 0 behaves like GD, 0.9 is the usual choice,",
            "  β → 1 overshoots and rings.",
        ]
    lines += ["", "What happened here"]
    for result in results:
        lines.append(f"  {run_name(result.spec)}: {_outcome(result)}")
    return "\n".join(lines)
