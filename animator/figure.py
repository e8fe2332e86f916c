"""Build the shared figure: trajectory panels, the loss panel and the explanation."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import matplotlib as mpl
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.gridspec import GridSpec, GridSpecFromSubplotSpec
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch
from matplotlib.text import Text

from . import labels
from .scenario import Scenario
from .simulation import RunResult
from .theme import LIGHT, Theme

__all__ = [
    "FigureParts",
    "RunArtists",
    "arrow_positions",
    "build_figure",
    "default_style",
    "show_step",
]

FIGSIZE = (16.0, 10.0)  # inches

# Scatter sizes of the reference figure are in points²; Line2D markers take points.
_DOT_SIZE = np.sqrt(18)
_START_SIZE = np.sqrt(90)
_END_SIZE = np.sqrt(120)
_MINIMUM_SIZE = np.sqrt(200)
_CONTOUR_GRID = 500
_LOSS_DECADES_BELOW_THRESHOLD = 1e-9
_MIN_LINESPACING = 1.25
_TITLE_FROM_TOP = 0.5  # inches
_HEADER_HEIGHT = 1.2  # inches
_FOOTER_HEIGHT = 0.8  # inches


@contextlib.contextmanager
def default_style() -> Iterator[None]:
    """Apply matplotlib's built-in defaults while drawing, whatever the user's rc.

    A matplotlibrc, a style or MPLBACKEND could otherwise change fonts, sizes and
    colours. ``rcParamsDefault`` comes from the matplotlibrc shipped inside
    matplotlib, not from the user's.
    """
    defaults = {k: v for k, v in mpl.rcParamsDefault.items() if k != "backend"}
    with mpl.rc_context(rc=defaults):
        yield


@dataclass
class RunArtists:
    """Artists of one trajectory panel that change from frame to frame."""

    start: Line2D
    path: Line2D
    dots: Line2D
    current: Line2D
    minimum: Line2D
    arrows: list[FancyArrowPatch] = field(default_factory=list)
    title: Text | None = None


@dataclass
class FigureParts:
    """A built figure and the artists that the animation updates.

    Attributes
    ----------
    figure : Figure
        The figure, attached to an Agg canvas.
    canvas : FigureCanvasAgg
        The canvas to draw and read pixels from.
    runs : list of RunArtists
        Changing artists of each trajectory panel, in run order.
    loss_lines : list of Line2D
        Loss curve of each run, in run order.
    counter : Text
        Step counter.
    overlays : list of Artist
        Static artists that a full draw puts on top of changing ones (the start
        markers, the threshold label), so each frame redraws them.
    pinned : list of Artist
        Opaque static artists on top of changing ones (the legend). Each frame
        puts back their pixels from the background instead of redrawing them.
    """

    figure: Figure
    canvas: FigureCanvasAgg
    runs: list[RunArtists]
    loss_lines: list[Line2D]
    counter: Text
    overlays: list[Artist]
    pinned: list[Artist]
    _order: list[Artist] = field(default_factory=list)

    def changing_artists(self) -> list[Artist]:
        """Return the artists each frame draws, in the order a full draw uses.

        That order is each Axes' children sorted by zorder, insertion order
        breaking ties, which is how ``Axes.draw`` orders them.
        """
        if not self._order:
            self._order = _drawing_order(self.figure, self._redrawn())
        return self._order

    def _redrawn(self) -> list[Artist]:
        artists: list[Artist] = []
        for run in self.runs:
            artists.extend([run.path, run.dots, run.current, run.minimum])
            artists.extend(run.arrows)
        artists.extend(self.loss_lines)
        artists.extend(self.overlays)
        artists.append(self.counter)
        return artists


def _drawing_order(figure: Figure, artists: list[Artist]) -> list[Artist]:
    redrawn = set(artists)
    ordered: list[Artist] = []
    for ax in figure.axes:
        children = [child for child in ax.get_children() if child in redrawn]
        ordered.extend(sorted(children, key=lambda child: child.get_zorder()))
    placed = set(ordered)
    ordered.extend(artist for artist in artists if artist not in placed)
    return ordered


def _style_panel(ax: Axes, theme: Theme) -> None:
    ax.set_facecolor(theme.panel_face)
    for spine in ax.spines.values():
        spine.set_color(theme.spine)
    ax.tick_params(labelsize=7, colors=theme.tick)


def _draw_trajectory_panel(
    ax: Axes,
    scenario: Scenario,
    result: RunResult,
    results: list[RunResult],
    theme: Theme,
    surface: tuple[np.ndarray, np.ndarray, np.ndarray],
    arrows: bool,
) -> RunArtists:
    _style_panel(ax, theme)
    grid_x, grid_y, grid_loss = surface
    ax.contour(
        grid_x,
        grid_y,
        grid_loss,
        levels=np.geomspace(*scenario.contour_levels),
        colors=theme.contour,
        linewidths=0.7,
        alpha=0.9,
    )
    ax.set_xlim(scenario.x_range)
    ax.set_ylim(scenario.y_range)

    x_label, y_label = labels.axis_labels(scenario)
    ax.set_xlabel(x_label, fontsize=8, color=theme.label)
    ax.set_ylabel(y_label, fontsize=8, color=theme.label)
    title = ax.set_title(
        f"{labels.run_name(result.spec)}\n{labels.verdict(result, results, scenario)}",
        loc="left",
        parse_math=False,
        fontsize=9.5,
        fontweight="bold",
        color=theme.title,
    )

    color = theme.run_color(result.spec.color)
    x0, y0 = scenario.start
    start = ax.plot(
        [x0], [y0], "o", markersize=_START_SIZE, color=theme.start, zorder=4
    )[0]
    path = ax.plot([], [], "-", linewidth=1.8, alpha=0.85, color=color, zorder=3)[0]
    dots = ax.plot(
        [],
        [],
        "o",
        markersize=_DOT_SIZE,
        markeredgewidth=0,
        alpha=0.6,
        color=color,
        zorder=3,
    )[0]
    current = ax.plot(
        [], [], "*", markersize=_END_SIZE, markeredgewidth=0, color=theme.end, zorder=5
    )[0]
    minimum = ax.plot(
        [0.0],
        [0.0],
        "+",
        markersize=_MINIMUM_SIZE,
        markeredgewidth=2.5,
        color=theme.minimum,
        zorder=6,
    )[0]
    run_artists = RunArtists(start, path, dots, current, minimum, title=title)
    if arrows:
        run_artists.arrows = [
            _add_arrow(ax, theme.gradient_arrow, linestyle="--"),
            _add_arrow(ax, color, linestyle="-"),
        ]
    return run_artists


def _add_arrow(ax: Axes, color: str, linestyle: str) -> FancyArrowPatch:
    arrow = FancyArrowPatch(
        (0.0, 0.0),
        (0.0, 0.0),
        arrowstyle="-|>",
        mutation_scale=12,
        shrinkA=0,
        shrinkB=0,
        linewidth=1.6,
        linestyle=linestyle,
        color=color,
        zorder=4.5,
        visible=False,
    )
    ax.add_patch(arrow)
    return arrow


def _loss_limits(results: list[RunResult], threshold: float) -> tuple[float, float]:
    """Pick log-scale limits that show every drawn loss and the threshold."""
    finite = np.concatenate(
        [r.losses[np.isfinite(r.losses) & (r.losses > 0)] for r in results]
    )
    start = max(float(r.losses[0]) for r in results)
    lowest = min(float(finite.min()), threshold) if len(finite) else threshold
    # Curves that keep falling long after converging would stretch the axis
    # over hundreds of decades, or down to a subnormal zero. They leave through
    # the bottom instead, as a diverging curve leaves through the top.
    floor = threshold * _LOSS_DECADES_BELOW_THRESHOLD
    return max(lowest / 3.0, floor), max(start, threshold) * 3.0


def _draw_loss_panel(
    ax: Axes, scenario: Scenario, results: list[RunResult], theme: Theme
) -> tuple[list[Line2D], list[Artist], Legend]:
    """Draw the loss panel; return the curves, the label above them and the legend."""
    _style_panel(ax, theme)
    ax.set_yscale("log")
    ax.set_xlim(0, scenario.n_steps)
    ax.set_ylim(*_loss_limits(results, scenario.threshold))
    ax.set_title(
        labels.loss_title(scenario),
        loc="left",
        fontsize=10.5,
        fontweight="bold",
        color=theme.title,
    )
    ax.set_xlabel("Step", fontsize=8, color=theme.label)
    ax.set_ylabel("Loss f(θ)", fontsize=8, color=theme.label)

    ax.axhline(
        scenario.threshold,
        linestyle="--",
        color=theme.threshold,
        linewidth=1,
        alpha=0.6,
    )
    threshold_label = ax.text(
        scenario.n_steps,
        scenario.threshold,
        "convergence threshold",
        ha="right",
        va="bottom",
        fontsize=7,
        color=theme.threshold,
    )

    lines = []
    for result in results:
        # Above the spines (zorder 2.5), as the trajectory paths are, so that a
        # frame need not redraw the spines over the curves.
        line = ax.plot(
            [],
            [],
            linewidth=2,
            alpha=0.9,
            color=theme.run_color(result.spec.color),
            label=labels.legend_label(result),
            zorder=2.6,
        )[0]
        lines.append(line)
    # An opaque legend lets each frame restore its pixels instead of redrawing it.
    legend = ax.legend(loc="upper right", fontsize=8, frameon=True, framealpha=1.0)
    legend.get_frame().set_facecolor(theme.panel_face)
    legend.get_frame().set_edgecolor(theme.spine)
    for text in legend.get_texts():
        # Labels come from scenario files; a "$" there is a dollar sign, not
        # the start of matplotlib's math notation.
        text.set_parse_math(False)
        text.set_color(theme.text)
    return lines, [threshold_label], legend


def _draw_explanation(
    ax: Axes, scenario: Scenario, results: list[RunResult], theme: Theme
) -> Text:
    ax.set_axis_off()
    return ax.text(
        0.0,
        1.0,
        labels.explanation_text(scenario, results),
        transform=ax.transAxes,
        parse_math=False,
        family="monospace",
        fontsize=8.8,
        color=theme.text,
        linespacing=1.7,
        va="top",
        ha="left",
    )


def _shrink_to_fit(text: Text, width: float, height: float, renderer) -> None:
    """Reduce the font size of ``text`` until it fits ``width × height`` pixels.

    The size stays at least 1.5 pixels per em, below which FreeType fails.
    """
    extent = text.get_window_extent(renderer)
    scale = min(1.0, width / max(extent.width, 1.0), height / max(extent.height, 1.0))
    if scale < 1.0:
        smallest = 1.5 * 72.0 / text.figure.dpi
        text.set_fontsize(max(text.get_fontsize() * scale * 0.98, smallest))


def _fit_texts(
    figure: Figure, suptitle: Text, explanation: Text, titles: list[Text]
) -> None:
    # Long labels, many runs or a small figure can make text overflow its panel.
    renderer = figure.canvas.get_renderer()
    box = explanation.axes.get_window_extent(renderer)
    right_margin = figure.bbox.x1 - box.x0 - 0.01 * figure.bbox.width
    height = box.height * 1.1
    # Tighter lines cost less legibility than a smaller font, so they go first.
    extent = explanation.get_window_extent(renderer)
    if extent.height > height:
        spacing = explanation.get_linespacing()
        tighter = max(_MIN_LINESPACING, spacing * height / extent.height)
        explanation.set_linespacing(tighter)
    _shrink_to_fit(explanation, right_margin, height, renderer)
    for title in titles:
        # A title may reach into the gap before the next panel, not past it nor
        # past the figure's right edge.
        box = title.axes.get_window_extent(renderer)
        width = min(box.width * 1.25, figure.bbox.x1 - box.x0)
        _shrink_to_fit(title, width, figure.bbox.height, renderer)
    # The centred title must leave room for the step counter on the right.
    _shrink_to_fit(suptitle, 0.7 * figure.bbox.width, figure.bbox.height, renderer)


def build_figure(
    scenario: Scenario,
    results: list[RunResult],
    *,
    dpi: float = 100,
    figsize: tuple[float, float] = FIGSIZE,
    theme: Theme = LIGHT,
    animated: bool = True,
    arrows: bool = False,
) -> FigureParts:
    """Build the figure for ``results`` with its changing artists empty.

    Call inside ``default_style()`` and keep drawing inside it.

    Parameters
    ----------
    scenario : Scenario
        The simulated scenario; sets ranges, levels and titles.
    results : list of RunResult
        One result per run, in the order of ``scenario.runs``.
    dpi : float, default: 100
        Dots per inch; the canvas is ``figsize × dpi`` pixels.
    figsize : tuple of float, default: (16, 10)
        Figure width and height, in inches.
    theme : Theme, default: LIGHT
        Colours of everything but the runs.
    animated : bool, default: True
        Mark the changing artists as animated, so that a full draw renders only
        the static background. Use False for a still image.
    arrows : bool, default: False
        Draw, at each run's current position, the plain gradient step −α·∇L and
        the step the optimizer takes.
    """
    figure = Figure(figsize=figsize, dpi=dpi, facecolor=theme.figure_face)
    canvas = FigureCanvasAgg(figure)
    # Margins in inches, so that a 16:9 or square figure keeps the 16 × 10
    # reference's room for the title (y = 0.95, top = 0.88, bottom = 0.08 there).
    height = figsize[1]
    title_y = 1.0 - _TITLE_FROM_TOP / height
    suptitle = figure.suptitle(
        scenario.title,
        fontsize=16,
        fontweight="bold",
        color=theme.suptitle,
        y=title_y,
        parse_math=False,
    )
    outer = GridSpec(
        2,
        1,
        figure=figure,
        hspace=0.45,
        left=0.07,
        right=0.97,
        top=1.0 - _HEADER_HEIGHT / height,
        bottom=_FOOTER_HEIGHT / height,
    )
    top = GridSpecFromSubplotSpec(1, len(results), subplot_spec=outer[0], wspace=0.38)
    bottom = GridSpecFromSubplotSpec(1, 3, subplot_spec=outer[1], wspace=0.38)

    x = np.linspace(*scenario.x_range, _CONTOUR_GRID)
    y = np.linspace(*scenario.y_range, _CONTOUR_GRID)
    grid_x, grid_y = np.meshgrid(x, y)
    surface = (grid_x, grid_y, scenario.quadratic.loss(grid_x, grid_y))

    runs = []
    for index, result in enumerate(results):
        ax = figure.add_subplot(top[0, index])
        runs.append(
            _draw_trajectory_panel(
                ax, scenario, result, results, theme, surface, arrows
            )
        )
    loss_axes = figure.add_subplot(bottom[0, :2])
    loss_lines, loss_overlays, legend = _draw_loss_panel(
        loss_axes, scenario, results, theme
    )
    explanation = _draw_explanation(
        figure.add_subplot(bottom[0, 2]), scenario, results, theme
    )
    _fit_texts(figure, suptitle, explanation, [run.title for run in runs])
    counter = figure.text(
        0.97,
        title_y,
        "",
        ha="right",
        va="center",
        fontsize=11,
        color=theme.label,
    )

    overlays = [run.start for run in runs] + loss_overlays
    parts = FigureParts(figure, canvas, runs, loss_lines, counter, overlays, [legend])
    for artist in parts.changing_artists():
        artist.set_animated(animated)
    return parts


def arrow_positions(
    result: RunResult, step: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Return the tail, the plain gradient step's tip and the actual step's tip.

    The arrows start at the position after ``step`` steps. One ends where plain
    gradient descent would go, θ − α·∇L(θ), the other where the run went next.
    Returns None when the run has no next step to show.
    """
    if step >= result.last_drawn_step:
        return None
    tail = result.positions[step]
    gradient_tip = tail - result.learning_rate * result.gradients[step]
    return tail, gradient_tip, result.positions[step + 1]


def _show_arrows(arrows: list[FancyArrowPatch], result: RunResult, step: int) -> None:
    gradient_arrow, step_arrow = arrows
    positions = arrow_positions(result, step)
    for arrow in arrows:
        arrow.set_visible(positions is not None)
    if positions is None:
        return
    tail, gradient_tip, step_tip = positions
    gradient_arrow.set_positions(tuple(tail), tuple(gradient_tip))
    step_arrow.set_positions(tuple(tail), tuple(step_tip))


def show_step(parts: FigureParts, results: list[RunResult], step: int) -> list:
    """Update the changing artists to ``step`` and return them in drawing order.

    Each run shows its path up to ``step``, or up to where it diverged.
    """
    for artists, loss_line, result in zip(
        parts.runs, parts.loss_lines, results, strict=True
    ):
        last = min(step, result.last_drawn_step)
        positions = result.positions[: last + 1]
        artists.path.set_data(positions[:, 0], positions[:, 1])
        artists.dots.set_data(positions[:, 0], positions[:, 1])
        artists.current.set_data(positions[-1:, 0], positions[-1:, 1])
        if artists.arrows:
            _show_arrows(artists.arrows, result, step)

        finite_last = min(step, _last_finite_step(result))
        loss_line.set_data(np.arange(finite_last + 1), result.losses[: finite_last + 1])

    n_steps = len(results[0].losses) - 1
    parts.counter.set_text(labels.step_counter(step, n_steps))
    return parts.changing_artists()


def _last_finite_step(result: RunResult) -> int:
    finite = np.flatnonzero(np.isfinite(result.losses))
    return int(finite[-1])
