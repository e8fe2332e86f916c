"""Command line: parse and check options, render, report where each file went."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import math
import os
import signal
import sys
from pathlib import Path

from .encoding import EncoderError
from .figure import FIGSIZE
from .pipeline import FORMATS, RenderOptions, render
from .scenario import default_scenario

__all__ = ["main"]

MAX_FPS = 240.0
MAX_STEPS = 100_000
# 8K UHD; larger frames take minutes per asset and gigabytes of memory.
MAX_FRAME_SIZE = (7680, 4320)
MIN_GIF_WIDTH = 16

EXIT_INVALID = 2
EXIT_FAILED = 1
EXIT_SIGINT = 130
EXIT_SIGTERM = 143


class UsageError(Exception):
    """An option value is invalid; the message names it and what is allowed."""


class Terminated(Exception):
    """The process received SIGTERM."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        # One line instead of argparse's usage block, so scripts and CI logs show
        # the cause first. --help still prints the usage.
        self.exit(EXIT_INVALID, f"{self.prog}: error: {message}\n")


def _positive_number(name: str, maximum: float | None = None):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        limit = f" and at most {maximum:g}" if maximum is not None else ""
        if not (math.isfinite(value) and value > 0) or (
            maximum is not None and value > maximum
        ):
            raise argparse.ArgumentTypeError(
                f"invalid {name} {text!r}: expected a number greater than 0{limit}"
            )
        return value

    return parse


def _whole_number(name: str, minimum: int, maximum: int | None = None):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if (
            value is None
            or value < minimum
            or (maximum is not None and value > maximum)
        ):
            allowed = (
                f"from {minimum} to {maximum}" if maximum else f"of at least {minimum}"
            )
            raise argparse.ArgumentTypeError(
                f"invalid {name} {text!r}: expected a whole number {allowed}"
            )
        return value

    return parse


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    """Build the argument parser of ``render.py`` and ``momentum-render``."""
    parser = _Parser(
        prog=prog,
        description="Render the momentum explainer animation as MP4, GIF and PNG.",
    )
    parser.add_argument(
        "--format",
        choices=[*FORMATS, "all"],
        default="all",
        help="which file to write; 'all' writes the MP4, the GIF and the PNG "
        "(default: all)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("outputs"),
        metavar="DIR",
        help="output folder, created if missing (default: outputs)",
    )
    parser.add_argument(
        "--fps",
        type=_positive_number("--fps", MAX_FPS),
        default=30.0,
        help=f"video frame rate in frames per second, at most {MAX_FPS:g} "
        "(default: 30); the GIF uses the same rate capped at 25",
    )
    parser.add_argument(
        "--dpi",
        type=_whole_number("--dpi", 1),
        default=100,
        help="dots per inch of the MP4 and GIF frames; the figure is 16 × 10 inches, "
        "so 100 gives a 1600 × 1000 MP4 (default: 100)",
    )
    parser.add_argument(
        "--png-dpi",
        type=_whole_number("--png-dpi", 1),
        default=150,
        help="dots per inch of the PNG (default: 150)",
    )
    parser.add_argument(
        "--gif-width",
        type=_whole_number("--gif-width", MIN_GIF_WIDTH, MAX_FRAME_SIZE[0]),
        default=800,
        metavar="PX",
        help="GIF width in pixels (default: 800)",
    )
    parser.add_argument(
        "--steps",
        type=_whole_number("--steps", 1, MAX_STEPS),
        default=None,
        help="optimizer steps to simulate (default: the scenario's, 300)",
    )
    parser.add_argument(
        "--frames",
        type=_whole_number("--frames", 2),
        default=None,
        help="animation frames before the final hold; fewer than steps + 1 skips "
        "steps evenly (default: one frame per step)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log the ffmpeg commands and sizes"
    )
    return parser


def _check_frame_size(option: str, dpi: int) -> None:
    width, height = (round(inches * dpi) for inches in FIGSIZE)
    max_width, max_height = MAX_FRAME_SIZE
    if width > max_width or height > max_height:
        largest = min(max_width / FIGSIZE[0], max_height / FIGSIZE[1])
        raise UsageError(
            f"invalid {option} {dpi}: the frame would be {width} × {height} px, "
            f"larger than 8K ({max_width} × {max_height}); use at most {int(largest)}"
        )


def _prepare_out_dir(path: Path) -> None:
    if path.exists() and not path.is_dir():
        raise UsageError(f"invalid --out {str(path)!r}: it is a file; give a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(
            f"invalid --out {str(path)!r}: cannot create the folder ({err.strerror}); "
            "give a writable folder"
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(
            f"invalid --out {str(path)!r}: the folder is not writable; "
            "give a writable folder"
        )


def _raise_terminated(signum, frame) -> None:
    raise Terminated()


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Run the command line and return its exit status."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(name)s: %(message)s",
    )
    signal.signal(signal.SIGTERM, _raise_terminated)

    try:
        _check_frame_size("--dpi", args.dpi)
        _check_frame_size("--png-dpi", args.png_dpi)
        _prepare_out_dir(args.out)
        scenario = default_scenario()
        if args.steps is not None:
            scenario = dataclasses.replace(scenario, n_steps=args.steps)
        formats = FORMATS if args.format == "all" else (args.format,)
        options = RenderOptions(
            formats=formats,
            out_dir=args.out,
            fps=args.fps,
            dpi=args.dpi,
            png_dpi=args.png_dpi,
            gif_width=args.gif_width,
            n_frames=args.frames,
        )
        written = render(scenario, options)
    except UsageError as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return EXIT_INVALID
    except (EncoderError, OSError) as err:
        print(f"{parser.prog}: error: rendering failed: {err}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted; no partial file was left", file=sys.stderr)
        return EXIT_SIGINT
    except Terminated:
        print(f"{parser.prog}: terminated; no partial file was left", file=sys.stderr)
        return EXIT_SIGTERM

    for path in written:
        print(path)
    return 0


def console_main() -> None:
    """Entry point of the ``momentum-render`` console script."""
    sys.exit(main(prog="momentum-render"))
