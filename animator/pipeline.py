"""Render the requested assets: simulate once, draw each frame once, encode once."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .animation import FrameSource, frame_steps
from .encoding import FrameEncoder, GifOptions, gif_frame_rate, make_palette
from .figure import FIGSIZE, build_figure, default_style, show_step
from .files import Staging
from .gif_budget import GifBudgetError, next_gif_options
from .scenario import Scenario
from .simulation import RunResult, simulate
from .theme import LIGHT, Theme

__all__ = [
    "FORMATS",
    "GifBudgetError",
    "RenderOptions",
    "RenderReport",
    "render",
    "render_variants",
]

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
    figsize : tuple of float
        Figure width and height, in inches.
    png_dpi : int
        Dots per inch of the still PNG.
    gif_width : int
        GIF width in pixels.
    gif_max_kb : int or None
        Largest GIF size allowed, in KiB; None for no limit.
    n_frames : int or None
        Frames before the hold; None draws one frame per step.
    hold_seconds : float
        How long the last frame stays on screen at the end, in seconds.
    theme : Theme
        Figure colours.
    arrows : bool
        Draw the gradient step and the optimizer's step at each current position.
    basename : str
        File name without extension.
    """

    formats: tuple[str, ...] = FORMATS
    out_dir: Path = Path("outputs")
    fps: float = 30.0
    dpi: int = 100
    figsize: tuple[float, float] = FIGSIZE
    png_dpi: int = 150
    gif_width: int = 800
    gif_max_kb: int | None = None
    n_frames: int | None = None
    hold_seconds: float = 1.0
    theme: Theme = LIGHT
    arrows: bool = False
    basename: str = "momentum_explainer"

    def path(self, fmt: str) -> Path:
        """Return the output path for the format ``fmt``."""
        return self.out_dir / f"{self.basename}.{fmt}"

    def figure_options(self, dpi: int) -> dict:
        """Return the ``build_figure`` keyword arguments at ``dpi``."""
        return {
            "dpi": dpi,
            "figsize": self.figsize,
            "theme": self.theme,
            "arrows": self.arrows,
        }


@dataclass
class RenderReport:
    """Files a render wrote, and the adjustments it made.

    Attributes
    ----------
    written : list of Path
        Files written: the PNG, the MP4 and the GIF, in that order.
    notes : list of str
        Adjustments a reader should know of, such as a GIF reduced to its budget.
    """

    written: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _render_png(
    scenario: Scenario,
    results: list[RunResult],
    options: RenderOptions,
    path: Path,
) -> None:
    parts = build_figure(
        scenario, results, animated=False, **options.figure_options(options.png_dpi)
    )
    show_step(parts, results, scenario.n_steps)
    parts.figure.savefig(path, format="png", facecolor=options.theme.figure_face)


class _VideoPass:
    """One pass over the frames, feeding one ffmpeg process."""

    def __init__(
        self,
        scenario: Scenario,
        results: list[RunResult],
        options: RenderOptions,
        progress: Progress | None,
    ) -> None:
        n_hold = round(options.hold_seconds * options.fps)
        self.steps = frame_steps(scenario.n_steps, options.n_frames, n_hold)
        self.scenario = scenario
        self.results = results
        self.options = options
        self.progress = progress

    def run(
        self, *, mp4_path: Path | None, gif_path: Path | None, gif: GifOptions | None
    ) -> None:
        """Draw every frame and encode to the given paths."""
        options = self.options
        source = FrameSource(
            self.scenario,
            self.results,
            self.steps,
            fps=options.fps,
            **options.figure_options(options.dpi),
        )
        _log.info("drawing %d frames of %dx%d px", len(self.steps), *source.size)
        with tempfile.TemporaryDirectory(prefix="momentum-") as scratch:
            palette = None
            if gif is not None:
                palette = Path(scratch) / "palette.png"
                # Copies, because the canvas buffer changes with the next frame.
                samples = [bytes(source.draw_step(s)) for s in (0, self.steps[-1])]
                make_palette(samples, source.size, gif, palette)
            encoder = FrameEncoder(
                source.size,
                options.fps,
                mp4_path=mp4_path,
                gif_path=gif_path,
                gif=gif,
                palette_path=palette,
            )
            with encoder:
                for index, frame in enumerate(source.frames()):
                    encoder.write(frame)
                    if self.progress is not None:
                        self.progress(index + 1, len(self.steps))


def _describe_reduction(first: GifOptions, last: GifOptions, budget_kb: int) -> str:
    changes = []
    if last.fps != first.fps:
        changes.append(f"frame rate {first.fps:g} → {last.fps:g} fps")
    if last.width != first.width:
        changes.append(f"width {first.width} → {last.width} px")
    if last.n_colors != first.n_colors:
        changes.append(f"colours {first.n_colors} → {last.n_colors}")
    return f"GIF reduced to fit {budget_kb} KiB: {', '.join(changes)}"


def _requested_gif(options: RenderOptions, frame_width: int) -> GifOptions:
    # A GIF wider than the frames would only be an enlarged copy of them.
    width = min(options.gif_width, frame_width // 2 * 2)
    return GifOptions(width=width, fps=gif_frame_rate(options.fps))


@dataclass
class _StagedVideo:
    """A staged GIF and how to encode it again with other settings."""

    video_pass: _VideoPass
    path: Path
    gif: GifOptions

    def reencode(self, gif: GifOptions) -> None:
        self.video_pass.run(mp4_path=None, gif_path=self.path, gif=gif)
        self.gif = gif


def _render_video(
    scenario: Scenario,
    results: list[RunResult],
    options: RenderOptions,
    progress: Progress | None,
    staging: Staging,
    start: GifOptions | None = None,
) -> _StagedVideo | None:
    """Encode the MP4 and the GIF into staged files.

    The GIF starts from ``start`` if given, else from the requested settings,
    and gives way until it fits ``options.gif_max_kb``. Returns the staged GIF,
    or None if no GIF was requested.
    """
    video_pass = _VideoPass(scenario, results, options, progress)
    mp4_path = None
    if "mp4" in options.formats:
        mp4_path = staging.path_for(options.path("mp4"))
    if "gif" not in options.formats:
        video_pass.run(mp4_path=mp4_path, gif_path=None, gif=None)
        return None

    frame_width = round(options.figsize[0] * options.dpi)
    gif = start or _requested_gif(options, frame_width)
    staged = _StagedVideo(video_pass, staging.path_for(options.path("gif")), gif)
    video_pass.run(mp4_path=mp4_path, gif_path=staged.path, gif=gif)
    if options.gif_max_kb is None:
        return staged

    budget = options.gif_max_kb * 1024
    while (size := staged.path.stat().st_size) > budget:
        gif = next_gif_options(staged.gif, size, budget)
        _log.info(
            "GIF is %d KiB, over %d KiB; trying %s",
            size // 1024,
            options.gif_max_kb,
            gif,
        )
        staged.reencode(gif)
    return staged


def _gif_notes(options: RenderOptions, staged: _StagedVideo | None) -> list[str]:
    if staged is None:
        return []
    frame_width = round(options.figsize[0] * options.dpi)
    requested = GifOptions(width=options.gif_width, fps=gif_frame_rate(options.fps))
    notes = []
    if staged.gif.width < options.gif_width and options.gif_width > frame_width:
        notes.append(
            f"GIF width {options.gif_width} px capped at the frame width "
            f"{frame_width} px; raise --dpi for a wider GIF"
        )
        requested = _requested_gif(options, frame_width)
    if staged.gif != requested:
        notes.append(_describe_reduction(requested, staged.gif, options.gif_max_kb))
    return notes


def render_variants(
    scenario: Scenario,
    option_sets: list[RenderOptions],
    progress: Progress | None = None,
) -> list[RenderReport]:
    """Write several variants of the assets, such as a light and a dark theme.

    All files of all variants are published together at the end, so a failure
    in one variant leaves every earlier file as it was. Under a GIF budget,
    every variant's GIF ends with the same frame rate, width and palette size,
    so that the variants can stand in for each other.

    Returns
    -------
    list of RenderReport
        One report per variant, in order.

    Raises
    ------
    EncoderError, GifBudgetError
        As ``render``.
    """
    results = simulate(scenario)
    reports = [RenderReport() for _ in option_sets]
    staging = Staging()
    try:
        staged_gifs = []
        with default_style():
            start = None
            for options in option_sets:
                if "png" in options.formats:
                    png_path = staging.path_for(options.path("png"))
                    _render_png(scenario, results, options, png_path)
                staged = None
                if "mp4" in options.formats or "gif" in options.formats:
                    staged = _render_video(
                        scenario, results, options, progress, staging, start
                    )
                    start = staged.gif if staged is not None else None
                staged_gifs.append(staged)
            # A later variant may have needed smaller settings than an earlier one.
            for staged in staged_gifs:
                if staged is not None and staged.gif != start:
                    staged.reencode(start)
        published = staging.publish()
    finally:
        staging.discard()

    for report, options, staged in zip(reports, option_sets, staged_gifs, strict=True):
        finals = [options.path(fmt) for fmt in FORMATS if fmt in options.formats]
        report.written = [path for path in finals if path in published]
        report.notes = _gif_notes(options, staged)
    return reports


def render(
    scenario: Scenario, options: RenderOptions, progress: Progress | None = None
) -> RenderReport:
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
    RenderReport
        The files written, PNG first, and any adjustment made.

    Raises
    ------
    EncoderError
        If ffmpeg fails. Every file is staged under a temporary name and all are
        renamed into place together at the end, so a failure leaves the earlier
        set of files as it was and no partial file.
    GifBudgetError
        If the GIF cannot fit ``options.gif_max_kb`` at the smallest settings.
    """
    return render_variants(scenario, [options], progress)[0]
