"""Command line: parse and check options, render, report where each file went."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import math
import os
import re
import signal
import sys
import warnings
from pathlib import Path

from .encoding import EncoderError
from .figure import FIGSIZE
from .gif_budget import GifBudgetError
from .pipeline import FORMATS, RenderOptions, render_variants
from .scenario import default_scenario
from .scenario_file import MAX_STEPS, ScenarioError, load_scenario
from .theme import THEMES

__all__ = ["PRESETS", "main"]

MIN_FPS = 1.0
MAX_FPS = 240.0
# Below about 8 dpi FreeType cannot size the smallest fonts and Agg fails.
MIN_DPI = 10
# 8K UHD; larger frames take minutes per asset and gigabytes of memory.
MAX_FRAME_SIZE = (7680, 4320)
MIN_GIF_WIDTH = 16
MIN_GIF_KB = 10

EXIT_INVALID = 2
EXIT_FAILED = 1
EXIT_SIGINT = 130
EXIT_SIGTERM = 143

# Settings without a preset; a preset replaces some, and explicit flags win.
DEFAULTS = {
    "format": "all",
    "fps": 30.0,
    "dpi": 100,
    "figsize": FIGSIZE,
    "png_dpi": 150,
    "gif_width": 800,
    "gif_max_kb": None,
}
# blog: a GIF for a blog column, at most 1 MiB.
# slides: a 1920 × 1080 (16:9) MP4; square: a 1080 × 1080 MP4 for social posts.
PRESETS = {
    "blog": {"format": "gif", "fps": 15.0, "gif_width": 800, "gif_max_kb": 1024},
    "slides": {"format": "mp4", "figsize": (16.0, 9.0), "dpi": 120},
    "square": {"format": "mp4", "figsize": (13.5, 13.5), "dpi": 80},
}


class UsageError(Exception):
    """An option value is invalid; the message names it and what is allowed."""


class Terminated(Exception):
    """The process received SIGTERM."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        # One line instead of argparse's usage block, so scripts and CI logs show
        # the cause first. --help still prints the usage.
        self.exit(EXIT_INVALID, f"{self.prog}: error: {message}\n")


_DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_WHOLE = re.compile(r"[+-]?[0-9]+")


def _number_in_range(low: float, high: float):
    """Return an argparse type for a decimal number from ``low`` to ``high``."""

    def parse(text: str) -> float:
        # fullmatch rejects forms that float() accepts but a user rarely means, such
        # as "1_0", "nan", " 30" and non-ASCII digits.
        value = float(text) if _DECIMAL.fullmatch(text) else math.nan
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"invalid value {text!r}: expected a number from {low:g} to {high:g}"
            )
        return value

    return parse


def _whole_number(minimum: int, maximum: int | None = None):
    """Return an argparse type for a whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        value = int(text) if _WHOLE.fullmatch(text) else None
        if (
            value is None
            or value < minimum
            or (maximum is not None and value > maximum)
        ):
            if maximum is None:
                allowed = f"of at least {minimum}"
            else:
                allowed = f"from {minimum} to {maximum}"
            raise argparse.ArgumentTypeError(
                f"invalid value {text!r}: expected a whole number {allowed}"
            )
        return value

    return parse


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=[*FORMATS, "all"],
        help="which file to write; 'all' writes the MP4, the GIF and the PNG "
        "(default: all, or the preset's)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("outputs"),
        metavar="DIR",
        help="output folder, created if missing (default: outputs)",
    )
    parser.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        help="sizes for a destination: blog (800 px GIF at 15 fps, at most 1 MiB), "
        "slides (1920 × 1080 MP4) or square (1080 × 1080 MP4); other flags "
        "override its values",
    )
    parser.add_argument(
        "--theme",
        choices=[*THEMES, "both"],
        default="light",
        help="colours; 'both' writes NAME.light.EXT and NAME.dark.EXT (default: light)",
    )


def _add_size_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fps",
        type=_number_in_range(MIN_FPS, MAX_FPS),
        help=f"video frame rate in frames per second, {MIN_FPS:g} to {MAX_FPS:g} "
        "(default: 30); the GIF uses the same rate capped at 25",
    )
    parser.add_argument(
        "--dpi",
        type=_whole_number(MIN_DPI),
        help=f"dots per inch of the MP4 and GIF frames, at least {MIN_DPI}; the "
        "figure is 16 × 10 inches, so 100 gives a 1600 × 1000 MP4, and the frame "
        "may be at most 8K, 7680 × 4320 (default: 100)",
    )
    parser.add_argument(
        "--png-dpi",
        type=_whole_number(MIN_DPI),
        help=f"dots per inch of the PNG, at least {MIN_DPI}, up to 8K as for --dpi "
        "(default: 150)",
    )
    parser.add_argument(
        "--gif-width",
        type=_whole_number(MIN_GIF_WIDTH, MAX_FRAME_SIZE[0]),
        metavar="PX",
        help=f"GIF width in pixels, {MIN_GIF_WIDTH} to {MAX_FRAME_SIZE[0]} "
        "(default: 800)",
    )
    parser.add_argument(
        "--gif-max-kb",
        type=_whole_number(MIN_GIF_KB),
        metavar="KIB",
        help=f"largest GIF size in KiB, at least {MIN_GIF_KB}; a larger GIF gives "
        "up frame rate, then width, then colours until it fits (default: no "
        "limit; blog: 1024)",
    )


def _add_content_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scenario",
        type=Path,
        metavar="FILE",
        help="scenario TOML file: loss, start, learning rate, steps and runs "
        "(default: the built-in scenario, as in scenarios/momentum.toml)",
    )
    parser.add_argument(
        "--steps",
        type=_whole_number(1, MAX_STEPS),
        help=f"optimizer steps to simulate, 1 to {MAX_STEPS} (default: the scenario's)",
    )
    parser.add_argument(
        "--frames",
        type=_whole_number(2),
        help="animation frames before the final hold, at least 2; fewer than "
        "steps + 1 skips steps evenly (default: one frame per step)",
    )
    parser.add_argument(
        "--arrows",
        action="store_true",
        help="draw the gradient step −α·∇L and each optimizer's actual step at "
        "its current position",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log the ffmpeg commands and sizes"
    )


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    """Build the argument parser of ``render.py`` and ``momentum-render``."""
    parser = _Parser(
        prog=prog,
        description="Render the momentum explainer animation as MP4, GIF and PNG.",
    )
    _add_output_options(parser)
    _add_size_options(parser)
    _add_content_options(parser)
    return parser


def _resolve(args: argparse.Namespace) -> dict:
    """Merge defaults, the preset and explicit flags, in that order."""
    settings = dict(DEFAULTS)
    if args.preset is not None:
        settings.update(PRESETS[args.preset])
    for name in DEFAULTS:
        value = getattr(args, name, None)
        if value is not None:
            settings[name] = value
    return settings


def _check_frame_size(option: str, dpi: int, figsize: tuple[float, float]) -> None:
    width, height = (round(inches * dpi) for inches in figsize)
    max_width, max_height = MAX_FRAME_SIZE
    if width > max_width or height > max_height:
        largest = min(max_width / figsize[0], max_height / figsize[1])
        raise UsageError(
            f"invalid {option} {dpi}: the frame would be {width} × {height} px, "
            f"larger than 8K ({max_width} × {max_height}); use at most {int(largest)}"
        )


def _prepare_out_dir(path: Path) -> None:
    try:
        if path.exists() and not path.is_dir():
            raise UsageError(
                f"invalid --out {str(path)!r}: it exists and is not a folder; "
                "give a folder"
            )
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(
            f"invalid --out {str(path)!r}: cannot create the folder "
            f"({err.strerror}); give a writable folder"
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(
            f"invalid --out {str(path)!r}: the folder is not writable; "
            "give a writable folder"
        )


def _build_options(args: argparse.Namespace) -> list[RenderOptions]:
    """Return one RenderOptions per theme variant, from defaults, preset and flags."""
    settings = _resolve(args)
    _check_frame_size("--dpi", settings["dpi"], settings["figsize"])
    _check_frame_size("--png-dpi", settings["png_dpi"], settings["figsize"])
    if settings["format"] == "all":
        formats = FORMATS
    else:
        formats = (settings["format"],)
    base = RenderOptions(
        formats=formats,
        out_dir=args.out,
        fps=settings["fps"],
        dpi=settings["dpi"],
        figsize=settings["figsize"],
        png_dpi=settings["png_dpi"],
        gif_width=settings["gif_width"],
        gif_max_kb=settings["gif_max_kb"],
        n_frames=args.frames,
        arrows=args.arrows,
    )
    if args.theme != "both":
        return [dataclasses.replace(base, theme=THEMES[args.theme])]
    return [
        dataclasses.replace(base, theme=theme, basename=f"{base.basename}.{theme.name}")
        for theme in THEMES.values()
    ]


def _silence_unrendered_animation() -> None:
    # An interrupt between building a FuncAnimation and its first draw makes
    # matplotlib warn, when the animation is collected at exit, that it was
    # never rendered. The process is stopping on purpose, so that is noise.
    warnings.filterwarnings("ignore", message="Animation was deleted without rendering")


def _stop_on_signal(signum, frame) -> None:
    # Ignore any further SIGINT or SIGTERM, so that a second Ctrl-C cannot cut
    # the cleanup short; it takes well under a second.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated()


def _run(args: argparse.Namespace, prog: str) -> int:
    option_sets = _build_options(args)
    if args.scenario is not None:
        scenario = load_scenario(args.scenario)
    else:
        scenario = default_scenario()
    if args.steps is not None:
        scenario = dataclasses.replace(scenario, n_steps=args.steps)
    # Only once every input is valid, so that a bad one creates no folder.
    _prepare_out_dir(args.out)

    reports = render_variants(scenario, option_sets)
    for options, report in zip(option_sets, reports, strict=True):
        for note in report.notes:
            print(f"{prog}: note: {options.basename}: {note}", file=sys.stderr)
        _print_paths(report.written)
    return 0


def _print_paths(paths: list[Path]) -> None:
    try:
        for path in paths:
            print(path, flush=True)
    except BrokenPipeError:
        # A reader such as `head -1` closed the pipe; the files are written, so
        # this is no failure. Point stdout at /dev/null so that the exit flush
        # does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Run the command line and return its exit status."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(name)s: %(message)s",
    )
    # Valid input is checked so that numpy and matplotlib have nothing to warn
    # about; any warning left over is logged for --verbose instead of printed.
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").setLevel(
        logging.INFO if args.verbose else logging.ERROR
    )
    previous_handlers = {
        signum: signal.signal(signum, _stop_on_signal)
        for signum in (signal.SIGINT, signal.SIGTERM)
    }

    try:
        return _run(args, parser.prog)
    except (UsageError, ScenarioError) as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return EXIT_INVALID
    except (EncoderError, GifBudgetError, OSError) as err:
        print(f"{parser.prog}: error: rendering failed: {err}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        _silence_unrendered_animation()
        print(f"{parser.prog}: interrupted; no partial file was left", file=sys.stderr)
        return EXIT_SIGINT
    except Terminated:
        _silence_unrendered_animation()
        print(f"{parser.prog}: terminated; no partial file was left", file=sys.stderr)
        return EXIT_SIGTERM
    finally:
        logging.captureWarnings(False)
        # After a stop signal the handlers stay SIG_IGN, so that a second Ctrl-C
        # arriving while the interpreter exits cannot kill it by the signal.
        if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            for signum, handler in previous_handlers.items():
                signal.signal(signum, handler)


def console_main() -> None:
    """Entry point of the ``momentum-render`` console script."""
    # NOTE: unlike render.py, this runs after matplotlib is imported, so an
    # invalid MPLBACKEND still stops the console script at import.
    sys.exit(main(prog="momentum-render"))
