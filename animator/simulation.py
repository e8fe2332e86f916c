"""Precompute every run's trajectory and loss history. Pure numpy, no plotting."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .optimizers import make_optimizer
from .scenario import RunSpec, Scenario

__all__ = ["RunResult", "simulate", "simulate_run"]

# A run whose loss exceeds this multiple of its start loss, or stops being finite,
# has diverged. The factor only needs to separate blow-up from ringing: a ringing
# run stays near its start loss, and a diverging one grows geometrically.
BLOW_UP_FACTOR = 1e6


@dataclass(frozen=True)
class RunResult:
    """Trajectory and loss history of one run.

    Attributes
    ----------
    spec : RunSpec
        The run that was simulated.
    positions : ndarray, shape (n_steps + 1, 2)
        Position after each step, row 0 being the start. Rows after a divergence
        that overflowed are NaN.
    losses : ndarray, shape (n_steps + 1,)
        Loss at each position (inf or NaN once the run has overflowed).
    gradients : ndarray, shape (n_steps + 1, 2)
        Gradient of the loss at each position.
    learning_rate : float
        Step size α the run used.
    converged_step : int or None
        First step whose loss is below the threshold, or None.
    diverged_step : int or None
        For a diverged run, the step at which the path left the plotted region for
        good (the step of blow-up if it never did); None for a run that did not
        diverge.
    """

    spec: RunSpec
    positions: NDArray[np.float64]
    losses: NDArray[np.float64]
    gradients: NDArray[np.float64]
    learning_rate: float
    converged_step: int | None
    diverged_step: int | None

    @property
    def n_steps(self) -> int:
        """Number of steps simulated."""
        return len(self.losses) - 1

    @property
    def last_drawn_step(self) -> int:
        """Last step to draw: the end of the run, or the step where it diverged."""
        return self.n_steps if self.diverged_step is None else self.diverged_step

    @property
    def final_loss(self) -> float:
        """Loss after the last step."""
        return float(self.losses[-1])


def _inside_plot(positions: NDArray[np.float64], scenario: Scenario) -> np.ndarray:
    (x_min, x_max), (y_min, y_max) = scenario.x_range, scenario.y_range
    x, y = positions.T
    with np.errstate(invalid="ignore"):
        return (x >= x_min) & (x <= x_max) & (y >= y_min) & (y <= y_max)


def _find_divergence(
    positions: NDArray[np.float64], losses: NDArray[np.float64], scenario: Scenario
) -> int | None:
    with np.errstate(invalid="ignore", over="ignore"):
        blown = ~np.isfinite(losses) | (losses > BLOW_UP_FACTOR * losses[0])
    if blown.any():
        first_blown = int(np.argmax(blown))
    elif losses[-1] > losses[0] and not _inside_plot(positions[-1:], scenario)[0]:
        # A slow blow-up, such as GD just above its stability limit, that ends
        # outside the plot with a loss above its start.
        first_blown = len(losses) - 1
    else:
        return None

    inside_steps = np.flatnonzero(_inside_plot(positions[: first_blown + 1], scenario))
    if len(inside_steps) == 0:
        return 0
    return min(int(inside_steps[-1]) + 1, first_blown)


def simulate_run(scenario: Scenario, spec: RunSpec) -> RunResult:
    """Run one optimizer for ``scenario.n_steps`` steps from the start point.

    The simulation stops early, filling the remaining rows with NaN, once the
    position is no longer finite.

    Raises
    ------
    ValueError
        If the optimizer name or one of its parameters is unknown.
    """
    quadratic = scenario.quadratic
    learning_rate = scenario.learning_rate_of(spec)
    step = make_optimizer(
        spec.optimizer, quadratic.gradient, learning_rate, spec.params
    )

    positions = np.full((scenario.n_steps + 1, 2), np.nan)
    theta = np.asarray(scenario.start, dtype=np.float64)
    positions[0] = theta
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, scenario.n_steps + 1):
            theta = step(theta)
            positions[k] = theta
            if not np.all(np.isfinite(theta)):
                break
        losses = quadratic.loss(positions[:, 0], positions[:, 1])
        gradients = quadratic.gradient(positions)

    below = np.flatnonzero(losses < scenario.threshold)
    converged_step = int(below[0]) if len(below) else None
    diverged_step = _find_divergence(positions, losses, scenario)
    if diverged_step is not None and converged_step is not None:
        converged_step = None if converged_step > diverged_step else converged_step
    return RunResult(
        spec, positions, losses, gradients, learning_rate, converged_step, diverged_step
    )


def simulate(scenario: Scenario) -> list[RunResult]:
    """Simulate every run of ``scenario``, in order."""
    return [simulate_run(scenario, spec) for spec in scenario.runs]
