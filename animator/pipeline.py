"""Render the requested assets: simulate once, draw each frame once, encode once."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .animation import FrameSource, frame_steps
from .encoding import FrameEncoder, GifOptions, gif_frame_rate, make_palette
from .figure import build_figure, default_style, show_step
from .files import make_temporary_path
from .scenario import Scenario
from .simulation import RunResult, simulate
from .theme import LIGHT, Theme

__all__ = ["FORMATS", "RenderOptions", "render"]

_log = logging.getLogger(__name__)

FORMATS = ("mp4", "gif", "png")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RenderOptions:
    """Output formats, sizes and folder of one render.

    Attributes
    ----------
    formats : tuple of str
        Any of ``"mp4"``, ``"gif"`` and ``"png"``.
    out_dir : Path
        Folder for the files; it must exist.
    fps : float
        Video frame rate, in frames per second.
    dpi : int
        Dots per inch of the video frames; 100 gives a 1600 × 1000 MP4.
    png_dpi : int
        Dots per inch of the still PNG.
    gif_width : int
        GIF width in pixels.
    n_frames : int or None
        Frames before the hold; None draws one frame per step.
    hold_seconds : float
        How long the last frame stays on screen at the end, in seconds.
    theme : Theme
        Figure colours.
    basename : str
        File name without extension.
    """

    formats: tuple[str, ...] = FORMATS
    out_dir: Path = Path("outputs")
    fps: float = 30.0
    dpi: int = 100
    png_dpi: int = 150
    gif_width: int = 800
    n_frames: int | None = None
    hold_seconds: float = 1.0
    theme: Theme = LIGHT
    basename: str = "momentum_explainer"

    def path(self, fmt: str) -> Path:
        """Return the output path for the format ``fmt``."""
        return self.out_dir / f"{self.basename}.{fmt}"


def _render_png(
    scenario: Scenario, results: list[RunResult], options: RenderOptions
) -> Path:
    parts = build_figure(
        scenario, results, dpi=options.png_dpi, theme=options.theme, animated=False
    )
    show_step(parts, results, scenario.n_steps)
    final = options.path("png")
    temporary = make_temporary_path(final)
    try:
        parts.figure.savefig(
            temporary, format="png", facecolor=options.theme.figure_face
        )
        os.replace(temporary, final)
    finally:
        temporary.unlink(missing_ok=True)
    return final


def _render_video(
    scenario: Scenario,
    results: list[RunResult],
    options: RenderOptions,
    progress: Progress | None,
) -> list[Path]:
    n_hold = round(options.hold_seconds * options.fps)
    steps = frame_steps(scenario.n_steps, options.n_frames, n_hold)
    source = FrameSource(
        scenario, results, steps, fps=options.fps, dpi=options.dpi, theme=options.theme
    )
    want_gif = "gif" in options.formats
    want_mp4 = "mp4" in options.formats
    _log.info("drawing %d frames of %dx%d px", len(steps), *source.size)

    with tempfile.TemporaryDirectory(prefix="momentum-") as scratch:
        gif = None
        palette = None
        if want_gif:
            gif = GifOptions(width=options.gif_width, fps=gif_frame_rate(options.fps))
            palette = Path(scratch) / "palette.png"
            samples = [bytes(source.draw_step(step)) for step in (steps[0], steps[-1])]
            make_palette(samples, source.size, gif, palette)

        encoder = FrameEncoder(
            source.size,
            options.fps,
            mp4_path=options.path("mp4") if want_mp4 else None,
            gif_path=options.path("gif") if want_gif else None,
            gif=gif,
            palette_path=palette,
        )
        with encoder:
            for index, frame in enumerate(source.frames()):
                encoder.write(frame)
                if progress is not None:
                    progress(index + 1, len(steps))
        return encoder.written


def render(
    scenario: Scenario, options: RenderOptions, progress: Progress | None = None
) -> list[Path]:
    """Simulate ``scenario`` and write the assets that ``options`` requests.

    Parameters
    ----------
    scenario : Scenario
        What to simulate and show.
    options : RenderOptions
        Formats, sizes and the output folder.
    progress : callable, optional
        Called as ``progress(current_frame, total_frames)`` after each video frame.

    Returns
    -------
    list of Path
        The files written, PNG first.

    Raises
    ------
    EncoderError
        If ffmpeg fails. Files that were already complete at their final paths
        stay; no partial file is left.
    """
    results = simulate(scenario)
    written = []
    with default_style():
        if "png" in options.formats:
            written.append(_render_png(scenario, results, options))
        if "mp4" in options.formats or "gif" in options.formats:
            written.extend(_render_video(scenario, results, options, progress))
    return written
