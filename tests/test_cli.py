"""The command line as a user runs it: exit status, messages and files left behind."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SMALL = [
    "--dpi",
    "10",
    "--png-dpi",
    "10",
    "--gif-width",
    "80",
    "--steps",
    "10",
    "--fps",
    "5",
]


def run_render(*args, env=None):
    return subprocess.run(
        [sys.executable, str(ROOT / "render.py"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )


@pytest.mark.parametrize("fmt", ["mp4", "gif", "png"])
def test_single_format_writes_one_file(tmp_path, fmt):
    completed = run_render("--format", fmt, "--out", str(tmp_path), *SMALL)
    assert completed.returncode == 0, completed.stderr
    expected = tmp_path / f"momentum_explainer.{fmt}"
    assert completed.stdout.strip() == str(expected)
    assert [path.name for path in tmp_path.iterdir()] == [expected.name]


def test_out_folder_created(tmp_path):
    out = tmp_path / "new" / "nested"
    completed = run_render("--format", "png", "--out", str(out), *SMALL)
    assert completed.returncode == 0, completed.stderr
    assert (out / "momentum_explainer.png").is_file()


def test_out_folder_with_spaces_and_non_ascii(tmp_path):
    out = tmp_path / "mes vidéos" / "θ β"
    completed = run_render("--format", "all", "--out", str(out), *SMALL)
    assert completed.returncode == 0, completed.stderr
    names = sorted(path.name for path in out.iterdir())
    assert names == [
        "momentum_explainer.gif",
        "momentum_explainer.mp4",
        "momentum_explainer.png",
    ]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--fps", "0"], "argument --fps: invalid value '0': expected a number"),
        (["--fps", "-5"], "argument --fps: invalid value '-5'"),
        (["--fps", "0.5"], "argument --fps: invalid value '0.5'"),
        (["--fps", "241"], "argument --fps: invalid value '241'"),
        (["--fps", "fast"], "argument --fps: invalid value 'fast'"),
        (["--fps", "nan"], "argument --fps: invalid value 'nan'"),
        (["--fps", "1_0"], "argument --fps: invalid value '1_0'"),
        (["--dpi", "0"], "argument --dpi: invalid value '0'"),
        (["--dpi", "5"], "argument --dpi: invalid value '5': expected a whole"),
        (["--dpi", "١٠٠"], "argument --dpi: invalid value '١٠٠'"),
        (["--dpi", "481"], "invalid --dpi 481: the frame would be 7696 × 4810 px"),
        (["--png-dpi", "-1"], "argument --png-dpi: invalid value '-1'"),
        (["--steps", "0"], "argument --steps: invalid value '0'"),
        (["--steps", "-3"], "argument --steps: invalid value '-3'"),
        (["--steps", "100001"], "argument --steps: invalid value '100001'"),
        (["--frames", "1"], "argument --frames: invalid value '1'"),
        (["--gif-width", "8"], "argument --gif-width: invalid value '8'"),
        (["--gif-max-kb", "5"], "argument --gif-max-kb: invalid value '5'"),
        (["--format", "avi"], "invalid choice: 'avi'"),
    ],
)
def test_invalid_option_one_line_exit_2(tmp_path, args, fragment):
    completed = run_render("--out", str(tmp_path), *args)
    assert completed.returncode == 2
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert fragment in lines[0]
    assert lines[0].startswith("render.py: error: ")
    assert "Traceback" not in completed.stderr
    assert list(tmp_path.iterdir()) == []


def test_out_is_a_file(tmp_path):
    target = tmp_path / "taken"
    target.write_text("not a folder")
    completed = run_render("--out", str(target), *SMALL)
    assert completed.returncode == 2
    assert completed.stderr.strip() == (
        f"render.py: error: invalid --out {str(target)!r}: it exists and is not a "
        "folder; give a folder"
    )
    assert target.read_text() == "not a folder"


def test_out_under_a_file(tmp_path):
    parent = tmp_path / "file"
    parent.write_text("x")
    completed = run_render("--out", str(parent / "sub"), *SMALL)
    assert completed.returncode == 2
    assert "cannot create the folder" in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only folders")
def test_out_read_only(tmp_path):
    out = tmp_path / "locked"
    out.mkdir()
    out.chmod(0o500)
    try:
        completed = run_render("--out", str(out), *SMALL)
    finally:
        out.chmod(0o700)
    assert completed.returncode == 2
    assert "not writable" in completed.stderr


def _failing_ffmpeg(tmp_path):
    script = tmp_path / "ffmpeg-that-fails"
    script.write_text(
        "#!/bin/sh\necho 'Unknown encoder libx264: simulated failure' >&2\nexit 1\n"
    )
    script.chmod(0o755)
    return script


def test_encoder_failure_keeps_old_asset(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    old = out / "momentum_explainer.mp4"
    old.write_bytes(b"previous complete render")
    env = {**os.environ, "IMAGEIO_FFMPEG_EXE": str(_failing_ffmpeg(tmp_path))}

    completed = run_render("--format", "mp4", "--out", str(out), *SMALL, env=env)

    assert completed.returncode == 1
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert "simulated failure" in lines[0]
    assert old.read_bytes() == b"previous complete render"
    assert [path.name for path in out.iterdir()] == [old.name]


def test_missing_ffmpeg_reported(tmp_path):
    env = {**os.environ, "IMAGEIO_FFMPEG_EXE": str(tmp_path / "no-such-ffmpeg")}
    completed = run_render("--format", "gif", "--out", str(tmp_path), *SMALL, env=env)
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_console_script_module_entry():
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            "from animator.cli import main; raise SystemExit(main(['--help']))",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert completed.returncode == 0
    assert "--format {mp4,gif,png,all}" in completed.stdout


def _mp4_size(path):
    from conftest import probe_video

    return probe_video(path)["size"]


@pytest.mark.parametrize(
    ("preset", "size"), [("slides", (1920, 1080)), ("square", (1080, 1080))]
)
def test_video_preset_sizes(tmp_path, preset, size):
    completed = run_render(
        "--preset", preset, "--out", str(tmp_path), "--steps", "4", "--fps", "5"
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == [str(tmp_path / "momentum_explainer.mp4")]
    assert _mp4_size(tmp_path / "momentum_explainer.mp4") == size


def test_blog_preset_gif(tmp_path):
    from PIL import Image

    completed = run_render("--preset", "blog", "--out", str(tmp_path), "--frames", "20")
    assert completed.returncode == 0, completed.stderr
    path = tmp_path / "momentum_explainer.gif"
    assert completed.stdout.split() == [str(path)]
    assert path.stat().st_size <= 1024 * 1024
    with Image.open(path) as image:
        assert image.size == (800, 500)
        durations = []
        for index in range(image.n_frames):
            image.seek(index)
            durations.append(image.info["duration"])
    # 15 fps: delays of 60 and 70 ms alternate, averaging 1000 / 15.
    assert set(durations) <= {60, 70}
    assert sum(durations) == pytest.approx(1000 * len(durations) / 15, abs=10)


def test_preset_overridden_by_flag(tmp_path):
    completed = run_render(
        "--preset", "slides", "--dpi", "60", "--out", str(tmp_path), "--steps", "4"
    )
    assert completed.returncode == 0, completed.stderr
    assert _mp4_size(tmp_path / "momentum_explainer.mp4") == (960, 540)


def test_theme_both_writes_variants(tmp_path):
    completed = run_render("--theme", "both", "--out", str(tmp_path), *SMALL)
    assert completed.returncode == 0, completed.stderr
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == [
        f"momentum_explainer.{theme}.{fmt}"
        for theme in ("dark", "light")
        for fmt in ("gif", "mp4", "png")
    ]


def test_dark_theme_background(tmp_path):
    import imageio.v3 as iio

    completed = run_render(
        "--theme", "dark", "--format", "png", "--out", str(tmp_path), *SMALL
    )
    assert completed.returncode == 0, completed.stderr
    still = iio.imread(tmp_path / "momentum_explainer.png")
    assert tuple(still[1, 1, :3]) == (0x16, 0x18, 0x1D)


BUDGET_RENDER = ["--format", "gif", "--dpi", "20", "--gif-width", "320"]
BUDGET_RENDER += ["--steps", "120", "--fps", "25"]


def test_gif_budget_reduces_and_reports(tmp_path):
    completed = run_render(*BUDGET_RENDER, "--gif-max-kb", "30", "--out", str(tmp_path))
    assert completed.returncode == 0, completed.stderr
    path = tmp_path / "momentum_explainer.gif"
    assert path.stat().st_size <= 30 * 1024
    assert "GIF reduced to fit 30 KiB: frame rate 25 →" in completed.stderr
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_gif_budget_unreachable_fails_cleanly(tmp_path):
    old = tmp_path / "momentum_explainer.gif"
    old.write_bytes(b"previous gif")
    completed = run_render(*BUDGET_RENDER, "--gif-max-kb", "10", "--out", str(tmp_path))
    assert completed.returncode == 1
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert "still over 10 KiB" in lines[0]
    assert old.read_bytes() == b"previous gif"
    assert [p.name for p in tmp_path.iterdir()] == [old.name]


def test_scenario_option_renders(tmp_path):
    scenario = ROOT / "scenarios" / "learning_rate_sweep.toml"
    completed = run_render(
        "--scenario", str(scenario), "--format", "png", "--out", str(tmp_path), *SMALL
    )
    assert completed.returncode == 0, completed.stderr


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("steps = [1,\n", "invalid TOML"),
        ("learning_rate = 0.1\nsteps = 10\nstart = [0, 1]\n", "missing key loss"),
    ],
)
def test_bad_scenario_one_line_exit_2(tmp_path, content, fragment):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    out = tmp_path / "out"
    completed = run_render("--scenario", str(path), "--out", str(out), *SMALL)
    assert completed.returncode == 2
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert fragment in lines[0]
    assert not out.exists()


def test_missing_scenario_file(tmp_path):
    completed = run_render("--scenario", str(tmp_path / "nope.toml"), *SMALL)
    assert completed.returncode == 2
    assert "not found" in completed.stderr


def test_unknown_preset(tmp_path):
    completed = run_render("--preset", "poster", "--out", str(tmp_path))
    assert completed.returncode == 2
    assert "invalid choice: 'poster'" in completed.stderr


def test_theme_both_fails_as_a_set(tmp_path):
    from PIL import Image

    small_gif = ["--format", "gif", "--dpi", "20", "--gif-width", "320", "--fps", "25"]
    first = run_render(
        "--theme", "both", *small_gif, "--steps", "20", "--out", str(tmp_path)
    )
    assert first.returncode == 0, first.stderr
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}

    # A budget that cannot be met fails after the light GIF was already encoded.
    second = run_render(
        "--theme",
        "both",
        *small_gif,
        "--steps",
        "120",
        "--gif-max-kb",
        "10",
        "--out",
        str(tmp_path),
    )
    assert second.returncode == 1
    after = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    assert after == before

    third = run_render(
        "--theme",
        "both",
        *small_gif,
        "--steps",
        "120",
        "--gif-max-kb",
        "40",
        "--out",
        str(tmp_path),
    )
    assert third.returncode == 0, third.stderr
    sizes = set()
    for theme in ("light", "dark"):
        with Image.open(tmp_path / f"momentum_explainer.{theme}.gif") as image:
            sizes.add((image.size, image.info["duration"]))
    assert len(sizes) == 1


def test_gif_width_capped_at_frame_width(tmp_path):
    from PIL import Image

    completed = run_render(
        "--format", "gif", "--dpi", "20", "--steps", "5", "--out", str(tmp_path)
    )
    assert completed.returncode == 0, completed.stderr
    assert "GIF width 800 px capped at the frame width 320 px" in completed.stderr
    with Image.open(tmp_path / "momentum_explainer.gif") as image:
        assert image.size[0] == 320
