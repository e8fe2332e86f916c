"""Drive the frames with FuncAnimation and draw each one cheaply.

The static background (contours, axes, titles, legend, explanation) is drawn once.
Each frame restores that background and draws only the artists that change, in
the order a full redraw would draw them, then hands out the canvas's RGBA buffer.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from matplotlib.animation import FuncAnimation

from .figure import FigureParts, build_figure, show_step
from .scenario import Scenario
from .simulation import RunResult

__all__ = ["FrameSource", "frame_steps", "render_full_frame"]


def frame_steps(
    n_steps: int, n_frames: int | None = None, n_hold: int = 0
) -> list[int]:
    """Return the step shown in each frame.

    Parameters
    ----------
    n_steps : int
        Steps in the simulation; the frames run from step 0 to ``n_steps``.
    n_frames : int, optional
        Frames before the hold. Default: one per step, ``n_steps + 1``. Fewer frames
        pick evenly spaced steps, always including the first and the last.
    n_hold : int, default: 0
        Extra copies of the last frame, so viewers can read the final state.
    """
    if n_frames is None or n_frames >= n_steps + 1:
        steps = list(range(n_steps + 1))
    else:
        steps = np.unique(
            np.round(np.linspace(0, n_steps, n_frames)).astype(int)
        ).tolist()
    return steps + [n_steps] * n_hold


class FrameSource:
    """Frames of the animation as raw RGBA buffers, drawn with blitting.

    Parameters
    ----------
    scenario : Scenario
        The simulated scenario.
    results : list of RunResult
        One result per run.
    steps : list of int
        Step shown in each frame, from ``frame_steps``.
    fps : float
        Frame rate, in frames per second; sets the animation's interval.
    **figure_options
        Keyword arguments of ``build_figure``: dpi, figsize, theme, arrows.

    Attributes
    ----------
    animation : FuncAnimation
        The frame driver. Its frame sequence and update function decide what each
        frame shows; ``frames()`` draws them.
    size : tuple of int
        Frame width and height, in pixels.
    """

    def __init__(
        self,
        scenario: Scenario,
        results: list[RunResult],
        steps: list[int],
        *,
        fps: float,
        **figure_options,
    ) -> None:
        self.results = results
        self.steps = steps
        self.parts: FigureParts = build_figure(scenario, results, **figure_options)
        self.animation = FuncAnimation(
            self.parts.figure,
            self._update,
            frames=steps,
            init_func=self._clear,
            interval=1000.0 / fps,
            blit=True,
            repeat=False,
            cache_frame_data=False,
        )
        width, height = self.parts.canvas.get_width_height()
        self.size = (int(width), int(height))
        self._background = None
        self._pinned: list = []

    def _update(self, step: int) -> list:
        return show_step(self.parts, self.results, step)

    def _clear(self) -> list:
        return show_step(self.parts, self.results, 0)

    def _draw_background(self) -> None:
        # The first full draw also starts the animation's own bookkeeping through
        # the canvas's draw_event. Animated artists are left out of a full draw.
        canvas = self.parts.canvas
        canvas.draw()
        self._background = canvas.copy_from_bbox(self.parts.figure.bbox)
        renderer = canvas.get_renderer()
        self._pinned = [
            canvas.copy_from_bbox(artist.get_window_extent(renderer))
            for artist in self.parts.pinned
        ]

    def draw_step(self, step: int) -> memoryview:
        """Draw the frame for ``step`` and return the canvas's RGBA buffer.

        The buffer, of shape ``(height, width, 4)``, is the canvas's own memory and
        changes with the next frame drawn: copy it to keep it.
        """
        if self._background is None:
            self._draw_background()
        canvas = self.parts.canvas
        canvas.restore_region(self._background)
        for artist in self._update(step):
            self.parts.figure.draw_artist(artist)
        for region in self._pinned:
            canvas.restore_region(region)
        return canvas.buffer_rgba()

    def frames(self) -> Iterator[memoryview]:
        """Yield each frame's RGBA buffer, in the animation's frame order.

        A frame that shows the same step as the one before reuses its pixels.
        """
        if self._background is None:
            self._draw_background()
        previous_step = None
        buffer = None
        for step in self.animation.new_frame_seq():
            if step != previous_step:
                buffer = self.draw_step(step)
                previous_step = step
            yield buffer


def render_full_frame(
    scenario: Scenario,
    results: list[RunResult],
    step: int,
    **figure_options,
) -> np.ndarray:
    """Draw the frame for ``step`` with a full redraw, without blitting.

    ``figure_options`` are keyword arguments of ``build_figure``. Returns a copy of
    the RGBA pixels, shape ``(height, width, 4)``. The blitted frames must match
    this.
    """
    parts = build_figure(scenario, results, animated=False, **figure_options)
    show_step(parts, results, step)
    parts.canvas.draw()
    return np.array(parts.canvas.buffer_rgba())
