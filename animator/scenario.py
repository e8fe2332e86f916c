"""Scenario description: the loss surface, the start point and the runs to compare."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Quadratic", "RunSpec", "Scenario", "default_scenario"]

# The figure has room for this many trajectory panels side by side.
MAX_RUNS = 4


@dataclass(frozen=True)
class Quadratic:
    """Axis-aligned quadratic loss L(x, y) = a·x² + b·y² with its minimum at (0, 0).

    Attributes
    ----------
    a, b : float
        Coefficients of x² and y². The Hessian is diag(2a, 2b).
    """

    a: float
    b: float

    def loss(self, x, y):
        """Compute L at ``x, y`` (scalars or arrays of the same shape)."""
        return self.a * x**2 + self.b * y**2

    def gradient(self, position):
        """Compute ∇L at ``position``, an array of shape ``(2,)``."""
        return position * (2.0 * self.a, 2.0 * self.b)

    @property
    def slow_axis(self) -> int:
        """Index (0 for x, 1 for y) of the coordinate with the smaller curvature."""
        return 0 if self.a <= self.b else 1

    @property
    def condition_number(self) -> float:
        """Ratio of the largest to the smallest Hessian eigenvalue."""
        return max(self.a, self.b) / min(self.a, self.b)


@dataclass(frozen=True)
class RunSpec:
    """One optimizer run to simulate and draw.

    Attributes
    ----------
    optimizer : str
        Update rule name, one of ``animator.optimizers.OPTIMIZERS``.
    label : str
        Name shown in the panel title and the legend.
    color : str
        Matplotlib colour of the path and the loss curve.
    params : dict
        Optimizer parameters other than the learning rate, such as ``{"beta": 0.9}``.
    learning_rate : float or None
        Step size α of this run; None uses the scenario's.
    """

    optimizer: str
    label: str
    color: str
    params: dict = field(default_factory=dict)
    learning_rate: float | None = None


@dataclass(frozen=True)
class Scenario:
    """Everything the simulation needs, and the plotted region.

    Attributes
    ----------
    quadratic : Quadratic
        Loss surface.
    start : tuple of float
        Start position (x, y).
    learning_rate : float
        Step size α shared by all runs.
    n_steps : int
        Number of optimizer steps, so each trajectory has ``n_steps + 1`` positions.
    threshold : float
        A run has converged at the first step whose loss is below this value.
    runs : tuple of RunSpec
        Runs to compare, one trajectory panel each.
    x_range, y_range : tuple of float
        Plotted region of the trajectory panels.
    contour_levels : tuple
        Lowest level, highest level and number of contour levels, spaced
        geometrically.
    title : str
        Figure title.
    """

    quadratic: Quadratic
    start: tuple[float, float]
    learning_rate: float
    n_steps: int
    threshold: float
    runs: tuple[RunSpec, ...]
    x_range: tuple[float, float] = (-5.0, 5.0)
    y_range: tuple[float, float] = (-2.2, 2.2)
    contour_levels: tuple[float, float, int] = (0.005, 3.5, 28)
    title: str = "Momentum in Gradient Descent"

    def learning_rate_of(self, spec: RunSpec) -> float:
        """Return the step size of the run ``spec``: its own, or the scenario's."""
        if spec.learning_rate is None:
            return self.learning_rate
        return spec.learning_rate

    @property
    def shared_learning_rate(self) -> float | None:
        """Return the one step size every run uses, or None if the runs differ."""
        rates = {self.learning_rate_of(spec) for spec in self.runs}
        return rates.pop() if len(rates) == 1 else None


def default_scenario() -> Scenario:
    """Return the default scenario: plain GD against momentum β = 0.9 and β = 0.99."""
    return Scenario(
        quadratic=Quadratic(a=0.05, b=5.0),
        start=(-4.0, 1.5),
        learning_rate=0.18,
        n_steps=300,
        threshold=1e-3,
        runs=(
            RunSpec("gd", "Vanilla GD", "#E05C4B"),
            RunSpec("momentum", "Momentum", "#3A7CA5", {"beta": 0.9}),
            RunSpec("momentum", "Momentum", "#F4A536", {"beta": 0.99}),
        ),
    )
