"""Shared fixtures: one small render of every format, reused by the output tests."""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest

from animator.pipeline import RenderOptions, render
from animator.scenario import default_scenario

# Small enough to keep the suite fast, large enough for legible pixels to compare.
SMALL_STEPS = 30
SMALL_FPS = 10.0
SMALL_DPI = 20
SMALL_PNG_DPI = 30
SMALL_GIF_WIDTH = 160
MEDIUM_DPI = 60
MEDIUM_FPS = 10.0
MEDIUM_GIF_WIDTH = 480


@pytest.fixture(scope="session")
def small_scenario():
    return dataclasses.replace(default_scenario(), n_steps=SMALL_STEPS)


@pytest.fixture(scope="session")
def small_options(tmp_path_factory):
    return RenderOptions(
        out_dir=tmp_path_factory.mktemp("assets"),
        fps=SMALL_FPS,
        dpi=SMALL_DPI,
        png_dpi=SMALL_PNG_DPI,
        gif_width=SMALL_GIF_WIDTH,
    )


@pytest.fixture(scope="session")
def small_render(small_scenario, small_options):
    """Render MP4, GIF and PNG once; return the written paths by format."""
    written = render(small_scenario, small_options).written
    return {path.suffix.lstrip("."): path for path in written}


@pytest.fixture(scope="session")
def medium_render(tmp_path_factory):
    """Render a GIF and a PNG large enough for colour checks, in few frames."""
    options = RenderOptions(
        formats=("gif", "png"),
        out_dir=tmp_path_factory.mktemp("medium"),
        fps=MEDIUM_FPS,
        dpi=MEDIUM_DPI,
        png_dpi=MEDIUM_DPI,
        gif_width=MEDIUM_GIF_WIDTH,
        n_frames=4,
    )
    written = render(default_scenario(), options).written
    return {path.suffix.lstrip("."): path for path in written}


def probe_video(path: Path) -> dict:
    """Read codec, pixel format, size and frame rate from ``ffmpeg -i`` output.

    The bundled ffmpeg has no ffprobe, so this parses the stream line, such as
    "Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 320x200,
    31 kb/s, 10 fps, 10 tbr, 10240 tbn".
    """
    completed = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    line = next(line for line in completed.stderr.splitlines() if "Video:" in line)
    codec = re.search(r"Video: (\w+)", line).group(1)
    pixel_format = re.search(r", (\w+)(?:\(|,)", line.split("Video:")[1]).group(1)
    width, height = map(int, re.search(r", (\d+)x(\d+)", line).groups())
    fps = float(re.search(r", ([\d.]+) fps", line).group(1))
    return {
        "codec": codec,
        "pixel_format": pixel_format,
        "size": (width, height),
        "fps": fps,
    }
