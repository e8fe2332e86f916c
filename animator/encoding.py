"""Encode raw frames to MP4 and GIF in one ffmpeg process.

The ffmpeg binary is the one bundled with imageio-ffmpeg, so no system ffmpeg is
needed. Frames go to ffmpeg's standard input as raw RGBA, exactly as the Agg canvas
stores them, and ffmpeg encodes on the other core while Python draws the next frame.
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

from .files import signals_deferred

__all__ = [
    "EncoderError",
    "FrameEncoder",
    "GifOptions",
    "gif_frame_rate",
    "make_palette",
]

_log = logging.getLogger(__name__)

# GIF delays are whole hundredths of a second, and browsers replace delays under
# 20 ms by 100 ms, so GIF frame rates above 25 fps are resampled to 25 fps. Lower
# rates keep their frames, and ffmpeg's GIF muxer (ffmpeg 9.0 checked) alternates
# rounded delays so that the total duration stays right.
MAX_GIF_FPS = 25.0

# Lines of ffmpeg's error output quoted in an EncoderError.
_STDERR_TAIL = 5
# Seconds to wait for an ffmpeg that stopped reading to exit before killing it.
_EXIT_TIMEOUT = 10


class EncoderError(RuntimeError):
    """ffmpeg failed, could not be started, or stopped reading frames."""


def _start_error(executable: str, err: OSError) -> EncoderError:
    reason = err.strerror or str(err)
    return EncoderError(
        f"could not start ffmpeg {executable!r}: {reason}; reinstall imageio-ffmpeg, "
        "or point IMAGEIO_FFMPEG_EXE at a working ffmpeg"
    )


@dataclass(frozen=True)
class GifOptions:
    """Resampling and palette settings of the GIF output.

    Attributes
    ----------
    width : int
        GIF width in pixels; the height keeps the frame's aspect ratio.
    fps : float
        GIF frame rate, from ``gif_frame_rate``.
    n_colors : int
        Palette size, 2 to 256.
    """

    width: int
    fps: float
    n_colors: int = 256


def gif_frame_rate(fps: float) -> float:
    """Return the GIF frame rate for a video at ``fps``: the same, capped at 25."""
    return min(float(fps), MAX_GIF_FPS)


def _scale_filter(width: int) -> str:
    # -2 keeps the aspect ratio and rounds the height to an even number.
    return f"scale={width}:-2:flags=lanczos"


def _raw_rgba_input(size: tuple[int, int], fps: float) -> list[str]:
    """Return ffmpeg input options for raw RGBA frames of ``size`` on stdin."""
    width, height = size
    return [
        *["-f", "rawvideo", "-pix_fmt", "rgba", "-s", f"{width}x{height}"],
        *["-framerate", f"{fps:g}", "-i", "pipe:0"],
    ]


def _stderr_tail(path: Path) -> str:
    try:
        lines = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip() for line in lines[-_STDERR_TAIL:])


def _run_ffmpeg(args: list[str], *, stdin_bytes: bytes | None = None) -> None:
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-hide_banner",
        "-loglevel",
        "error",
        *args,
    ]
    _log.info("running %s", subprocess.list2cmdline(command))
    try:
        completed = subprocess.run(
            command, input=stdin_bytes, capture_output=True, check=False
        )
    except OSError as err:
        raise _start_error(command[0], err) from err
    if completed.returncode != 0:
        message = completed.stderr.decode(errors="replace").strip().splitlines()
        detail = " | ".join(message[-_STDERR_TAIL:]) or "no error output"
        raise EncoderError(
            f"ffmpeg exited with status {completed.returncode}: {detail}"
        )


def make_palette(
    frames: list[bytes], size: tuple[int, int], gif: GifOptions, palette_path: Path
) -> None:
    """Compute a GIF palette from a few representative frames.

    A palette computed from the whole animation would make ffmpeg keep every GIF
    frame in memory until the input ends. The first and last frames contain every
    colour the animation uses, so a palette from them keeps memory flat.

    Parameters
    ----------
    frames : list of bytes
        Raw RGBA frames of ``size``.
    size : tuple of int
        Frame width and height, in pixels.
    gif : GifOptions
        Width and palette size of the GIF.
    palette_path : Path
        PNG file to write the palette to.
    """
    palette_filter = (
        f"{_scale_filter(gif.width)},"
        f"palettegen=max_colors={gif.n_colors}:stats_mode=full"
    )
    _run_ffmpeg(
        [
            *_raw_rgba_input(size, 1),
            *["-vf", palette_filter],
            *["-frames:v", "1", "-update", "1", "-y", str(palette_path)],
        ],
        stdin_bytes=b"".join(frames),
    )


class FrameEncoder:
    """Feed raw RGBA frames to one ffmpeg process that writes an MP4, a GIF or both.

    ffmpeg writes straight to the given paths, which should be staged temporary
    files (see ``files.Staging``): after a failure they hold partial data. On any
    failure, including KeyboardInterrupt, ffmpeg is killed and its log removed.

    Parameters
    ----------
    size : tuple of int
        Frame width and height, in pixels.
    fps : float
        Input frame rate, in frames per second; the MP4 keeps it exactly.
    mp4_path, gif_path : Path or None
        Output paths; None skips that output. At least one must be given.
    gif : GifOptions or None
        Required with ``gif_path``.
    palette_path : Path or None
        Palette PNG from ``make_palette``; required with ``gif_path``.
    crf : int, default: 20
        x264 constant rate factor; lower is larger and sharper.
    """

    def __init__(
        self,
        size: tuple[int, int],
        fps: float,
        *,
        mp4_path: Path | None = None,
        gif_path: Path | None = None,
        gif: GifOptions | None = None,
        palette_path: Path | None = None,
        crf: int = 20,
    ) -> None:
        if mp4_path is None and gif_path is None:
            raise ValueError("FrameEncoder needs mp4_path, gif_path or both")
        if gif_path is not None and (gif is None or palette_path is None):
            raise ValueError("a GIF output needs gif options and a palette")
        self.size = size
        self.fps = fps
        self.n_frames = 0
        # Output path and the format name used in messages.
        self._outputs: dict[Path, str] = {}
        self._process: subprocess.Popen | None = None
        self._stderr_path: Path | None = None
        self._command = self._build_command(mp4_path, gif_path, gif, palette_path, crf)

    def _add_output(self, path: Path, kind: str) -> Path:
        self._outputs[path] = kind
        return path

    def _build_command(
        self,
        mp4_path: Path | None,
        gif_path: Path | None,
        gif: GifOptions | None,
        palette_path: Path | None,
        crf: int,
    ) -> list[str]:
        command = [
            imageio_ffmpeg.get_ffmpeg_exe(),
            *["-hide_banner", "-nostdin", "-loglevel", "error", "-y"],
            *_raw_rgba_input(self.size, self.fps),
        ]
        if gif_path is not None:
            command += ["-i", str(palette_path)]

        graph = []
        if mp4_path is not None and gif_path is not None:
            graph.append("[0:v]split=2[video][gifin]")
            video_in, gif_in = "[video]", "[gifin]"
        else:
            video_in = gif_in = "[0:v]"
        if mp4_path is not None:
            # libx264 with yuv420p rejects odd frame sizes (ffmpeg 9.0 checked); the
            # crop drops at most one pixel row or column to keep them even.
            graph.append(
                f"{video_in}crop=trunc(iw/2)*2:trunc(ih/2)*2,format=yuv420p[mp4]"
            )
        if gif_path is not None:
            graph.append(
                f"{gif_in}fps={gif.fps:g},{_scale_filter(gif.width)}[gifscaled];"
                "[gifscaled][1:v]paletteuse=dither=bayer:bayer_scale=5:"
                "diff_mode=rectangle[gif]"
            )
        command += ["-filter_complex", ";".join(graph)]

        if mp4_path is not None:
            # yuv420p and +faststart make the file play in browsers, QuickTime and
            # PowerPoint, which reject 4:4:4 H.264 and need the index up front.
            command += [
                "-map",
                "[mp4]",
                "-c:v",
                "libx264",
                "-preset",
                "medium",
                "-crf",
                str(crf),
                # x264 keeps rc-lookahead frames in memory, 40 by default at
                # preset medium. 20 saved about 105 MB at 1600 × 1000 and 240 MB
                # at 2400 × 1500 for an SSIM drop of 0.0003, measured with the
                # bundled ffmpeg 9.0 (docs/benchmark.md).
                # NOTE: at --dpi 150 all processes still peaked at about 1.05 GB.
                "-x264-params",
                "rc-lookahead=20",
                "-pix_fmt",
                "yuv420p",
                "-movflags",
                "+faststart",
                "-f",
                "mp4",
                str(self._add_output(mp4_path, "MP4")),
            ]
        if gif_path is not None:
            command += [
                "-map",
                "[gif]",
                "-loop",
                "0",
                "-f",
                "gif",
                str(self._add_output(gif_path, "GIF")),
            ]
        return command

    def __enter__(self) -> FrameEncoder:
        self.start()
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is None:
            self.finish()
        else:
            self.abort()

    def start(self) -> None:
        """Start ffmpeg.

        Raises
        ------
        EncoderError
            If ffmpeg cannot be started.
        """
        _log.info("running %s", subprocess.list2cmdline(self._command))
        handle, name = tempfile.mkstemp(prefix="momentum-ffmpeg-", suffix=".log")
        self._stderr_path = Path(name)
        try:
            with os.fdopen(handle, "wb") as stderr:
                # A process group of its own keeps a terminal's Ctrl-C from reaching
                # ffmpeg, which would otherwise finish the files by itself. This
                # class alone decides when ffmpeg stops.
                self._process = subprocess.Popen(
                    self._command,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                    process_group=0,
                )
        except OSError as err:
            self.abort()
            raise _start_error(self._command[0], err) from err

    def write(self, frame) -> None:
        """Send one RGBA frame (bytes or a buffer of ``width × height × 4`` bytes).

        Raises
        ------
        EncoderError
            If ffmpeg has stopped reading, with the end of its error output.
        """
        try:
            self._process.stdin.write(frame)
        except (BrokenPipeError, OSError) as err:
            try:
                self._process.wait(timeout=_EXIT_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
            detail = _stderr_tail(self._stderr_path) or str(err)
            self.abort()
            raise EncoderError(f"ffmpeg stopped reading frames: {detail}") from err
        self.n_frames += 1

    def finish(self) -> None:
        """Close the input and wait for ffmpeg to complete the files.

        Raises
        ------
        EncoderError
            If ffmpeg exits with an error or writes an empty file.
        """
        # abort() runs on every path out, including KeyboardInterrupt while
        # waiting, so no ffmpeg process or log file outlives this call.
        try:
            try:
                self._process.stdin.close()
            except BrokenPipeError:
                pass
            returncode = self._process.wait()
            if returncode != 0:
                detail = _stderr_tail(self._stderr_path) or "no error output"
                raise EncoderError(f"ffmpeg exited with status {returncode}: {detail}")
            for path, kind in self._outputs.items():
                # An ffmpeg that exits 0 without output (a broken build, or a
                # stand-in set through IMAGEIO_FFMPEG_EXE) must not publish it.
                if path.stat().st_size == 0:
                    raise EncoderError(
                        f"ffmpeg exited without error but wrote no {kind} data; "
                        "check the ffmpeg in use with --verbose"
                    )
        finally:
            self.abort()

    def abort(self) -> None:
        """Kill ffmpeg if it is running and remove its log file."""
        with signals_deferred():
            process = self._process
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
            if process is not None and process.stdin is not None:
                try:
                    process.stdin.close()
                except OSError:
                    pass
            if self._stderr_path is not None:
                self._stderr_path.unlink(missing_ok=True)
                self._stderr_path = None
