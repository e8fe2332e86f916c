"""Interrupts, write failures, hostile settings and random scenarios."""

import contextlib
import errno
import io
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import imageio.v3 as iio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from animator import cli

from conftest import probe_video

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--dpi", "10", "--png-dpi", "10", "--gif-width", "80", "--fps", "5"]


def _render_process(out, *args, env=None):
    return subprocess.Popen(
        [sys.executable, str(ROOT / "render.py"), "--out", str(out), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_part_file(out, process, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(path.name.endswith(".part") for path in out.iterdir()):
            return
        if process.poll() is not None:
            pytest.fail(f"render ended before writing: {process.stderr.read()}")
        time.sleep(0.05)
    pytest.fail("no temporary file appeared")


def _ffmpeg_processes_writing_to(out):
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "ffmpeg" in command and str(out) in command:
            found.append(entry.name)
    return found


@pytest.mark.parametrize(
    ("signum", "status", "word"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
)
def test_signal_stops_render_cleanly(tmp_path, signum, status, word):
    out = tmp_path / "out"
    out.mkdir()
    old = out / "momentum_explainer.mp4"
    old.write_bytes(b"previous complete render")
    # Full size, so that the render is still running when the signal arrives.
    process = _render_process(out, "--format", "all")
    _wait_for_part_file(out, process)

    sent = time.monotonic()
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=30)
    elapsed = time.monotonic() - sent

    assert process.returncode == status
    assert elapsed < 3.0
    assert stderr.strip().splitlines() == [
        f"render.py: {word}; no partial file was left"
    ]
    assert old.read_bytes() == b"previous complete render"
    leftovers = [path.name for path in out.iterdir() if path.name != old.name]
    assert all(not name.endswith(".part") for name in leftovers)
    assert not any(name.startswith(".") for name in leftovers)
    assert _ffmpeg_processes_writing_to(out) == []


def _run_main(argv):
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = cli.main(argv, prog="render.py")
    return status, stdout.getvalue(), stderr.getvalue()


@pytest.mark.parametrize("fmt", ["mp4", "gif", "png"])
def test_full_disk_on_rename_keeps_old_asset(tmp_path, monkeypatch, fmt):
    old = tmp_path / f"momentum_explainer.{fmt}"
    old.write_bytes(b"previous complete render")

    def full_disk(source, target):
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    monkeypatch.setattr(os, "replace", full_disk)
    status, _, stderr = _run_main(
        ["--format", fmt, "--out", str(tmp_path), "--steps", "5", *TINY]
    )

    assert status == 1
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "No space left on device" in lines[0]
    assert old.read_bytes() == b"previous complete render"
    assert [path.name for path in tmp_path.iterdir()] == [old.name]


def test_read_only_out_folder_rejected(tmp_path, monkeypatch):
    # Root may write anywhere, so the check is driven through os.access, which
    # is what decides for an ordinary user.
    real_access = os.access

    def read_only(path, mode, **kwargs):
        if Path(path) == tmp_path and mode & os.W_OK:
            return False
        return real_access(path, mode, **kwargs)

    monkeypatch.setattr(os, "access", read_only)
    status, _, stderr = _run_main(["--out", str(tmp_path), *TINY])
    assert status == 2
    assert stderr.strip() == (
        f"render.py: error: invalid --out {str(tmp_path)!r}: the folder is not "
        "writable; give a writable folder"
    )
    assert list(tmp_path.iterdir()) == []


def test_user_matplotlib_settings_ignored(tmp_path):
    rc_file = tmp_path / "matplotlibrc"
    rc_file.write_text(
        "font.size: 30\nfont.family: serif\naxes.facecolor: black\n"
        "lines.linewidth: 8\nfigure.facecolor: red\nsavefig.dpi: 300\n"
        "axes.prop_cycle: cycler('color', ['k'])\ntext.color: green\n"
    )
    hostile = {**os.environ, "MATPLOTLIBRC": str(rc_file), "MPLBACKEND": "TkAgg"}
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in ("MATPLOTLIBRC", "MPLBACKEND")
    }
    outputs = {}
    for name, env in (("hostile", hostile), ("clean", clean)):
        out = tmp_path / name
        process = _render_process(
            out, "--format", "png", "--steps", "20", "--png-dpi", "30", env=env
        )
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
        outputs[name] = iio.imread(out / "momentum_explainer.png")
    assert outputs["hostile"].shape == outputs["clean"].shape
    assert (outputs["hostile"] == outputs["clean"]).all()


def test_odd_frame_size_gives_valid_files(tmp_path):
    # 13.5 in × 81 dpi = 1093.5 px: an odd width and height before the crop.
    status, _, stderr = _run_main(
        ["--preset", "square", "--format", "all", "--dpi", "81", "--png-dpi", "21"]
        + ["--gif-width", "101", "--steps", "3", "--out", str(tmp_path)]
    )
    assert status == 0, stderr
    width, height = probe_video(tmp_path / "momentum_explainer.mp4")["size"]
    assert (width % 2, height % 2) == (0, 0)
    gif = iio.imread(tmp_path / "momentum_explainer.gif", index=None)
    assert gif.shape[2] == 101


def test_diverging_scenario_prints_no_warning(tmp_path):
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    process = _render_process(
        tmp_path,
        "--scenario",
        str(ROOT / "scenarios" / "learning_rate_sweep.toml"),
        "--format",
        "all",
        *TINY,
        env=env,
    )
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert stderr == ""
    assert len(stdout.splitlines()) == 3


def test_label_without_glyph_rejected(tmp_path):
    scenario = tmp_path / "cjk.toml"
    text = (ROOT / "scenarios" / "momentum.toml").read_text(encoding="utf-8")
    scenario.write_text(text.replace('"Vanilla GD"', '"梯度下降"'), encoding="utf-8")
    status, _, stderr = _run_main(
        ["--scenario", str(scenario), "--out", str(tmp_path / "out"), *TINY]
    )
    assert status == 2
    assert "runs[0].label = '梯度下降'" in stderr
    assert len(stderr.strip().splitlines()) == 1


def _toml_number(value):
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(float(value))


def _scenario_text(learning_rate, beta, start, steps):
    x, y = (_toml_number(value) for value in start)
    return (
        f"learning_rate = {_toml_number(learning_rate)}\n"
        f"steps = {steps}\nstart = [{x}, {y}]\n"
        "[loss]\na = 0.05\nb = 5.0\n"
        "[plot]\nx_range = [-5.0, 5.0]\ny_range = [-2.2, 2.2]\n"
        '[[runs]]\noptimizer = "gd"\nlabel = "GD"\ncolor = "#E05C4B"\n'
        '[[runs]]\noptimizer = "momentum"\nlabel = "Momentum"\ncolor = "#3A7CA5"\n'
        f"beta = {_toml_number(beta)}\n"
    )


def _mostly(valid, invalid, weight):
    # one_of picks its branches evenly, so repeating the valid one sets the odds.
    return st.one_of(*[valid] * weight, invalid)


coordinates = _mostly(
    st.floats(-20, 20), st.sampled_from([math.nan, math.inf, -math.inf, 1e300]), 5
)
learning_rates = _mostly(
    st.floats(1e-4, 1.0),  # GD diverges above 0.2 on this loss
    st.sampled_from([0.0, -0.5, 1e7, math.nan, math.inf]),
    3,
)
betas = _mostly(st.floats(0.0, 0.999), st.sampled_from([1.0, -0.1, 2.0]), 3)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    learning_rate=learning_rates,
    beta=betas,
    start=st.tuples(coordinates, coordinates),
    steps=st.integers(1, 25),
)
def test_random_scenarios_render_or_fail_cleanly(learning_rate, beta, start, steps):
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        scenario = folder / "random.toml"
        scenario.write_text(_scenario_text(learning_rate, beta, start, steps))
        out = folder / "out"
        status, stdout, stderr = _run_main(
            ["--scenario", str(scenario), "--out", str(out), "--format", "all"] + TINY
        )
        names = sorted(path.name for path in out.iterdir()) if out.exists() else []

        assert "Traceback" not in stderr
        if status == 0:
            assert names == [
                "momentum_explainer.gif",
                "momentum_explainer.mp4",
                "momentum_explainer.png",
            ]
            assert all((out / name).stat().st_size > 0 for name in names)
            assert len(iio.imread(out / "momentum_explainer.gif", index=None)) > 0
        else:
            assert status == 2, stderr
            assert len(stderr.strip().splitlines()) == 1, stderr
            assert names == []


def test_double_interrupt_still_cleans_up(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    process = _render_process(out, "--format", "all", env=env)
    _wait_for_part_file(out, process)

    process.send_signal(signal.SIGINT)
    time.sleep(0.03)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=30)

    assert process.returncode == 130
    assert list(out.iterdir()) == []
    assert list(scratch.iterdir()) == []
    assert _ffmpeg_processes_writing_to(out) == []


def test_interrupted_set_keeps_every_old_file(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    old = {}
    for fmt in ("mp4", "gif", "png"):
        old[fmt] = out / f"momentum_explainer.{fmt}"
        old[fmt].write_bytes(f"previous {fmt}".encode())
    process = _render_process(out, "--format", "all")
    # The PNG is staged first; wait until the video is being encoded too.
    deadline = time.monotonic() + 60
    while sum(path.name.endswith(".part") for path in out.iterdir()) < 3:
        assert time.monotonic() < deadline, "the video never started"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=30)

    assert process.returncode == 130
    for fmt, path in old.items():
        assert path.read_bytes() == f"previous {fmt}".encode()
    assert sorted(path.name for path in out.iterdir()) == sorted(
        path.name for path in old.values()
    )


def test_silent_encoder_publishes_nothing(tmp_path):
    stand_in = tmp_path / "ffmpeg-that-writes-nothing"
    stand_in.write_text("#!/bin/sh\ncat > /dev/null\nexit 0\n")
    stand_in.chmod(0o755)
    out = tmp_path / "out"
    env = {**os.environ, "IMAGEIO_FFMPEG_EXE": str(stand_in)}
    process = _render_process(out, "--format", "mp4", "--steps", "3", *TINY, env=env)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "ffmpeg exited without error but wrote no MP4 data" in stderr
    assert list(out.iterdir()) == []


def test_invalid_mplbackend_ignored(tmp_path):
    env = {**os.environ, "MPLBACKEND": "no-such-backend"}
    process = _render_process(
        tmp_path, "--format", "png", "--steps", "3", *TINY, env=env
    )
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr


def test_closed_stdout_is_not_a_failure(tmp_path):
    # `render.py | head -0`: the reader closes the pipe before the paths arrive.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        completed = subprocess.run(
            [sys.executable, str(ROOT / "render.py"), "--out", str(tmp_path)]
            + ["--format", "png", "--steps", "3", *TINY],
            cwd=ROOT,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    finally:
        os.close(write_end)
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    assert (tmp_path / "momentum_explainer.png").is_file()


def test_over_long_out_path_rejected(tmp_path):
    status, _, stderr = _run_main(["--out", str(tmp_path / ("x" * 300)), *TINY])
    assert status == 2
    assert "cannot create the folder (File name too long)" in stderr
