"""Decode the written MP4, GIF and PNG and check what a viewer would get."""

import subprocess

import imageio.v3 as iio
import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from animator.encoding import MAX_GIF_FPS
from animator.figure import build_figure, default_style
from animator.scenario import default_scenario
from animator.simulation import simulate

from conftest import (
    MEDIUM_DPI,
    SMALL_DPI,
    SMALL_FPS,
    SMALL_GIF_WIDTH,
    SMALL_PNG_DPI,
    SMALL_STEPS,
    probe_video,
)

# One frame per step, plus one second holding the last frame.
EXPECTED_FRAMES = SMALL_STEPS + 1 + round(SMALL_FPS)


def _read_mp4(path):
    """Decode every frame to RGB with the bundled ffmpeg."""
    width, height = probe_video(path)["size"]
    completed = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path)]
        + ["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
        capture_output=True,
        check=True,
    )
    return np.frombuffer(completed.stdout, np.uint8).reshape(-1, height, width, 3)


def _gif_durations(path):
    durations = []
    with Image.open(path) as image:
        for index in range(image.n_frames):
            image.seek(index)
            durations.append(image.info["duration"])
        loop = image.info.get("loop")
    return durations, loop


def _top_level_boxes(path):
    boxes = []
    data = path.read_bytes()
    offset = 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        boxes.append(data[offset + 4 : offset + 8].decode("latin-1"))
        if size < 8:
            break
        offset += size
    return boxes


def test_all_formats_written(small_render):
    assert set(small_render) == {"mp4", "gif", "png"}
    for path in small_render.values():
        assert path.stat().st_size > 0


def test_no_temporary_files_left(small_render, small_options):
    names = sorted(path.name for path in small_options.out_dir.iterdir())
    assert names == [
        "momentum_explainer.gif",
        "momentum_explainer.mp4",
        "momentum_explainer.png",
    ]


def test_mp4_stream_properties(small_render):
    info = probe_video(small_render["mp4"])
    assert info["codec"] == "h264"
    assert info["pixel_format"] == "yuv420p"
    assert info["size"] == (16 * SMALL_DPI, 10 * SMALL_DPI)
    assert info["fps"] == SMALL_FPS


def test_mp4_frame_count_includes_hold(small_render):
    n_frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(small_render["mp4"]))
    assert n_frames == EXPECTED_FRAMES
    assert seconds == pytest.approx(EXPECTED_FRAMES / SMALL_FPS, abs=0.05)


def test_mp4_has_faststart(small_render):
    boxes = _top_level_boxes(small_render["mp4"])
    assert "moov" in boxes
    assert "mdat" in boxes
    assert boxes.index("moov") < boxes.index("mdat")


def test_mp4_odd_dpi_gives_even_size(tmp_path, small_scenario):
    from animator.pipeline import RenderOptions, render

    options = RenderOptions(formats=("mp4",), out_dir=tmp_path, fps=5, dpi=13)
    (path,) = render(small_scenario, options).written
    width, height = probe_video(path)["size"]
    assert width % 2 == 0
    assert height % 2 == 0


def test_gif_loops_forever(small_render):
    _, loop = _gif_durations(small_render["gif"])
    assert loop == 0
    assert b"NETSCAPE2.0" in small_render["gif"].read_bytes()


def test_gif_timing(small_render):
    durations, _ = _gif_durations(small_render["gif"])
    assert min(durations) >= 20
    total_ms = sum(durations)
    expected_ms = EXPECTED_FRAMES / SMALL_FPS * 1000
    # ffmpeg resamples to the GIF rate; allow one GIF frame of difference.
    assert abs(total_ms - expected_ms) <= 1000 / min(SMALL_FPS, MAX_GIF_FPS)


def test_gif_size(small_render):
    with Image.open(small_render["gif"]) as image:
        width, height = image.size
    assert width == SMALL_GIF_WIDTH
    assert height == SMALL_GIF_WIDTH * 10 // 16


def test_png_size(small_render):
    with Image.open(small_render["png"]) as image:
        assert image.size == (16 * SMALL_PNG_DPI, 10 * SMALL_PNG_DPI)


def test_mp4_last_frame_matches_png(small_render):
    last = _read_mp4(small_render["mp4"])[-1].astype(float)
    with Image.open(small_render["png"]) as image:
        still = image.convert("RGB").resize(
            (last.shape[1], last.shape[0]), Image.Resampling.LANCZOS
        )
    difference = np.abs(np.asarray(still, dtype=float) - last)
    assert difference.mean() < 6


def test_mp4_first_and_last_frames_differ(small_render):
    frames = _read_mp4(small_render["mp4"])
    changed = np.any(
        np.abs(frames[0].astype(int) - frames[-1].astype(int)) > 40, axis=-1
    )
    assert np.count_nonzero(changed) > 50


def _pixel_of(scenario, axes_index, point, dpi):
    with default_style():
        parts = build_figure(scenario, simulate(scenario), dpi=dpi)
    ax = parts.figure.axes[axes_index]
    x, y = ax.transData.transform(point)
    height = parts.canvas.get_width_height()[1]
    return int(round(height - y)), int(round(x))


def _rgb(hex_color):
    return np.array([int(hex_color[i : i + 2], 16) for i in (1, 3, 5)])


def _close_to(pixel, hex_color, tolerance):
    return np.abs(pixel[:3].astype(int) - _rgb(hex_color)).max() <= tolerance


def _longest_segment_midpoint(positions):
    lengths = np.linalg.norm(np.diff(positions, axis=0), axis=1)
    k = int(np.argmax(lengths))
    return (positions[k] + positions[k + 1]) / 2


def test_png_colours_at_known_places(medium_render):
    scenario = default_scenario()
    results = simulate(scenario)
    still = iio.imread(medium_render["png"])
    assert _close_to(still[2, 2], "#FAFAF8", 2)
    for index, result in enumerate(results):
        row, column = _pixel_of(scenario, index, scenario.start, MEDIUM_DPI)
        assert _close_to(still[row, column], "#444444", 30)
        row, column = _pixel_of(scenario, index, result.positions[-1], MEDIUM_DPI)
        # The star at the end position; the plus sign at (0, 0) shares its colour.
        assert _close_to(still[row, column], "#2A9D5C", 40)
        # The path is drawn with alpha 0.85 over the panel face.
        path_color = 0.85 * _rgb(result.spec.color) + 0.15 * _rgb("#F5F3EE")
        midpoint = _longest_segment_midpoint(result.positions)
        row, column = _pixel_of(scenario, index, midpoint, MEDIUM_DPI)
        window = still[row - 2 : row + 3, column - 2 : column + 3, :3].reshape(-1, 3)
        distance = np.abs(window.astype(int) - path_color).max(axis=1)
        assert distance.min() <= 30, result.spec.label


def test_gif_keeps_run_colours(medium_render):
    frames = iio.imread(medium_render["gif"], index=None)
    last = frames[-1][..., :3].reshape(-1, 3).astype(int)
    for spec in default_scenario().runs:
        distance = np.abs(last - _rgb(spec.color)).max(axis=1)
        assert distance.min() <= 12, spec.label
        assert np.count_nonzero(distance <= 24) >= 20, spec.label


def test_gif_budget_lowers_frame_rate_first():
    from animator.encoding import GifOptions
    from animator.gif_budget import next_gif_options

    current = GifOptions(width=800, fps=25.0)
    # Half the budget: 25 fps × 0.5 × 0.9 margin = 11.25, so 10 fps fits.
    assert next_gif_options(current, 2000, 1000) == GifOptions(800, 10.0)


def test_gif_budget_then_width_then_colours():
    from animator.encoding import GifOptions
    from animator.gif_budget import GifBudgetError, next_gif_options

    slowest = GifOptions(width=800, fps=5.0)
    narrower = next_gif_options(slowest, 4000, 1000)
    assert narrower.fps == 5.0
    assert narrower.width == 378
    narrowest = GifOptions(width=320, fps=5.0)
    halved = next_gif_options(narrowest, 1500, 1000)
    assert halved == GifOptions(width=320, fps=5.0, n_colors=128)
    fewest = next_gif_options(narrowest, 4000, 1000)
    assert fewest == GifOptions(width=320, fps=5.0, n_colors=16)
    with pytest.raises(GifBudgetError, match="still over 1 KiB"):
        next_gif_options(GifOptions(width=320, fps=5.0, n_colors=16), 4000, 1000)
