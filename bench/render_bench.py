"""Compare the render pipeline with a naive matplotlib save, in time and memory.

Run from the repository root, inside the project's virtual environment::

    python bench/render_bench.py [--skip-naive] [--out FILE]

Each pipeline runs in a subprocess of its own. Every 25 ms a background thread
reads from /proc the resident set size (RSS) of that subprocess and of every
process below it, such as the ffmpeg encoders. It sums them and keeps the
maximum, so Python and ffmpeg are counted together, the same way for both
pipelines. Reading /proc makes the script Linux-only.

The naive pipeline is the usual way to save such an animation. A FuncAnimation
over the same figure, without blitting, redraws the whole figure for every frame.
It is saved once with FFMpegWriter for the MP4 and again with PillowWriter for a
full-size GIF, and savefig writes the PNG. The project's pipeline is
``render.py --format all``. Sizes and units are decimal: 1 MB is 10**6 bytes.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import imageio_ffmpeg
import matplotlib
import numpy as np
import PIL

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from animator.animation import frame_steps  # noqa: E402
from animator.scenario import default_scenario  # noqa: E402

SAMPLE_INTERVAL = 0.025  # seconds between two reads of the process tree
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
MB = 1_000_000

# The project's defaults, which the naive pipeline reproduces.
FPS = 30.0
DPI = 100
PNG_DPI = 150
HOLD_SECONDS = 1.0

# Targets the results are checked against.
MIN_SPEEDUP = 10.0
MAX_MEMORY_GROWTH = 0.10  # peak at 600 frames over peak at 150 frames, minus 1
MAX_TOTAL_RSS = 1_000 * MB
MAX_GIF_BYTES = 1 * MB

# Frames before the hold, and the optimizer steps simulated for them: 150 frames
# skip every other step of the default 300, 600 frames show one step each.
SCALING_RUNS = {150: 300, 600: 600}


@dataclasses.dataclass
class Measurement:
    """Wall time, peak memory and output sizes of one pipeline run.

    Attributes
    ----------
    label : str
        Name of the run in the report.
    frames : int
        Video frames drawn, including the hold at the end.
    wall_seconds : float
        Time from starting the subprocess to its exit. With several repeats, the
        shortest, and the CPU time and load average are from that repeat.
    cpu_seconds : float
        User and system CPU time of the process tree, from ``wait4``. Other load
        on the machine changes it much less than the wall time.
    load_average : float
        The machine's one-minute load average when the run started.
    peak_rss : int
        Maximum over the samples of the summed RSS of the process tree, in bytes.
    peak_by_command : dict of str to int
        RSS per command name in the sample with the maximum sum, in bytes.
    max_single_rss : int
        The kernel's maximum RSS of the largest single process in the tree, in
        bytes, from ``wait4``. It checks the sampling, which can miss short peaks.
    file_sizes : dict of str to int
        Size in bytes of each output file, by extension.
    phases : dict of str to float
        Seconds spent in each phase, where the run reports them.
    all_wall_seconds : list of float
        Wall time of every repeat, in the order run.
    """

    label: str
    frames: int
    wall_seconds: float
    cpu_seconds: float
    load_average: float
    peak_rss: int
    peak_by_command: dict[str, int]
    max_single_rss: int
    file_sizes: dict[str, int]
    phases: dict[str, float] = dataclasses.field(default_factory=dict)
    all_wall_seconds: list[float] = dataclasses.field(default_factory=list)


def _read_process_table() -> dict[int, tuple[int, str]]:
    """Return the parent pid and command name of every process, by pid."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # the process exited while the table was read
        # The command name is in parentheses and may itself contain spaces or ")".
        name_end = stat.rindex(")")
        name = stat[stat.index("(") + 1 : name_end]
        parent = int(stat[name_end + 2 :].split()[1])
        table[int(entry)] = (parent, name)
    return table


def _process_tree(root: int, table: dict[int, tuple[int, str]]) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in table.items():
        children.setdefault(parent, []).append(pid)
    tree = [root]
    for pid in tree:
        tree.extend(children.get(pid, []))
    return tree


def _resident_bytes(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
    except OSError:
        return 0
    return int(fields[1]) * PAGE_SIZE


def _command_group(name: str) -> str:
    # The bundled binary is called ffmpeg-linux-x86_64-v<version>, which /proc
    # cuts to 15 characters, so every version is reported as "ffmpeg".
    return "ffmpeg" if name.startswith("ffmpeg") else name


class TreeMemorySampler:
    """Sample the summed RSS of a process and all its descendants in a thread.

    Parameters
    ----------
    root : int
        Pid of the process at the top of the tree.
    interval : float
        Seconds between samples.
    """

    def __init__(self, root: int, interval: float = SAMPLE_INTERVAL) -> None:
        self.root = root
        self.interval = interval
        self.peak = 0
        self.peak_by_command: dict[str, int] = {}
        self.n_samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def sample(self) -> None:
        """Read the tree's RSS once and keep it if it is the largest so far."""
        table = _read_process_table()
        by_command: dict[str, int] = {}
        for pid in _process_tree(self.root, table):
            group = _command_group(table.get(pid, (0, "?"))[1])
            by_command[group] = by_command.get(group, 0) + _resident_bytes(pid)
        total = sum(by_command.values())
        self.n_samples += 1
        if total > self.peak:
            self.peak = total
            self.peak_by_command = by_command

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)


def measure_command(command: list[str], label: str, frames: int) -> Measurement:
    """Run ``command`` from the repository root and measure it.

    The first line of standard output that starts with ``{`` is read as JSON,
    and its ``"phases"`` object, if any, fills ``Measurement.phases``.

    Raises
    ------
    subprocess.CalledProcessError
        If the command exits with a non-zero status.
    """
    with tempfile.TemporaryDirectory(prefix="render-bench-") as out_dir:
        full_command = [*command, "--out", out_dir]
        with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
            load_average = os.getloadavg()[0]
            start = time.perf_counter()
            process = subprocess.Popen(
                full_command, cwd=REPO_ROOT, stdout=stdout, stderr=stderr
            )
            with TreeMemorySampler(process.pid) as sampler:
                _, status, usage = os.wait4(process.pid, 0)
            wall_seconds = time.perf_counter() - start
            process.returncode = os.waitstatus_to_exitcode(status)
            stdout.seek(0)
            stderr.seek(0)
            output, errors = stdout.read().decode(), stderr.read().decode()
        if process.returncode != 0:
            raise subprocess.CalledProcessError(
                process.returncode, full_command, output, errors
            )
        file_sizes = {
            path.suffix.lstrip("."): path.stat().st_size
            for path in sorted(Path(out_dir).iterdir())
            if not path.name.startswith(".")
        }
    return Measurement(
        label=label,
        frames=frames,
        wall_seconds=wall_seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        load_average=load_average,
        peak_rss=sampler.peak,
        peak_by_command=sampler.peak_by_command,
        max_single_rss=usage.ru_maxrss * 1024,  # ru_maxrss is in KiB on Linux
        file_sizes=file_sizes,
        phases=_parse_phases(output),
        all_wall_seconds=[wall_seconds],
    )


def combine_repeats(repeats: list[Measurement]) -> Measurement:
    """Combine repeats of one run: the fastest repeat, with the largest memory peak.

    Other processes on the machine only ever slow a run down, so the shortest wall
    time is the best estimate of the run's own cost. Memory takes the maximum, so
    that the targets are checked against the worst case.
    """
    fastest = min(repeats, key=lambda run: run.wall_seconds)
    largest = max(repeats, key=lambda run: run.peak_rss)
    return dataclasses.replace(
        fastest,
        peak_rss=largest.peak_rss,
        peak_by_command=largest.peak_by_command,
        max_single_rss=max(run.max_single_rss for run in repeats),
        all_wall_seconds=[run.wall_seconds for run in repeats],
    )


def _parse_phases(output: str) -> dict[str, float]:
    for line in output.splitlines():
        if line.startswith("{"):
            return json.loads(line).get("phases", {})
    return {}


def render_naive(out_dir: Path) -> dict[str, float]:
    """Render the MP4, GIF and PNG the naive way and return each phase's seconds.

    One non-blitted FuncAnimation redraws the whole figure for every frame.
    ``Animation.save`` runs twice, with FFMpegWriter (libx264, yuv420p) and with
    PillowWriter (a full-size GIF), and savefig writes the 150-dpi PNG.
    """
    from matplotlib.animation import FFMpegWriter, FuncAnimation, PillowWriter

    from animator.figure import build_figure, default_style, show_step
    from animator.simulation import simulate

    scenario = default_scenario()
    results = simulate(scenario)
    steps = frame_steps(scenario.n_steps, None, round(HOLD_SECONDS * FPS))
    phases = {}
    with default_style():
        # default_style() resets every rcParam, so the ffmpeg path is set inside.
        matplotlib.rcParams["animation.ffmpeg_path"] = imageio_ffmpeg.get_ffmpeg_exe()
        parts = build_figure(scenario, results, dpi=DPI, animated=False)
        animation = FuncAnimation(
            parts.figure,
            lambda step: show_step(parts, results, step),
            frames=steps,
            interval=1000.0 / FPS,
            blit=False,
            repeat=False,
            cache_frame_data=False,
        )
        start = time.perf_counter()
        mp4_writer = FFMpegWriter(
            fps=FPS, codec="libx264", extra_args=["-pix_fmt", "yuv420p"]
        )
        animation.save(out_dir / "naive.mp4", writer=mp4_writer, dpi=DPI)
        phases["mp4"] = time.perf_counter() - start

        start = time.perf_counter()
        animation.save(out_dir / "naive.gif", writer=PillowWriter(fps=FPS), dpi=DPI)
        phases["gif"] = time.perf_counter() - start

        start = time.perf_counter()
        show_step(parts, results, scenario.n_steps)
        parts.figure.savefig(out_dir / "naive.png", dpi=PNG_DPI)
        phases["png"] = time.perf_counter() - start
    return phases


def _frames_with_hold(n_steps: int, n_frames: int | None) -> int:
    return len(frame_steps(n_steps, n_frames, round(HOLD_SECONDS * FPS)))


def _project_command(extra: list[str]) -> list[str]:
    return [sys.executable, "render.py", "--format", "all", *extra]


def run_benchmarks(skip_naive: bool, n_repeats: int, report) -> dict[str, Measurement]:
    """Measure every run ``n_repeats`` times and return the results by key.

    The keys are ``"naive"`` (unless skipped), ``"project"``, ``"project-150"``
    and ``"project-600"``, the last two named by frames before the hold. Each
    round runs every command once, so a busy spell on the machine slows all of
    them rather than the repeats of one. ``report`` is called with a line of text
    before each run starts.
    """
    n_steps = default_scenario().n_steps
    runs = []
    if not skip_naive:
        naive = [sys.executable, str(Path(__file__).resolve()), "--naive-child"]
        runs.append(("naive", "naive matplotlib", naive, n_steps, None))
    runs.append(("project", "render.py", _project_command([]), n_steps, None))
    for n_frames, steps in SCALING_RUNS.items():
        extra = ["--steps", str(steps), "--frames", str(n_frames)]
        label = f"render.py {' '.join(extra)}"
        runs.append(
            (f"project-{n_frames}", label, _project_command(extra), steps, n_frames)
        )

    repeats: dict[str, list[Measurement]] = {key: [] for key, *_ in runs}
    for round_number in range(1, n_repeats + 1):
        for key, label, command, steps, n_frames in runs:
            frames = _frames_with_hold(steps, n_frames)
            report(f"[{round_number}/{n_repeats}] running {label} ({frames} frames)")
            repeats[key].append(measure_command(command, label, frames))
    return {key: combine_repeats(runs) for key, runs in repeats.items()}


def _megabytes(n_bytes: int) -> str:
    return f"{n_bytes / MB:,.1f}"


def _kilobytes(n_bytes: int) -> str:
    return f"{n_bytes / 1000:,.0f}"


def _breakdown(by_command: dict[str, int]) -> str:
    parts = sorted(by_command.items(), key=lambda item: -item[1])
    return ", ".join(f"{name} {_megabytes(size)}" for name, size in parts)


def format_results_table(measurements: dict[str, Measurement]) -> list[str]:
    """Return the Markdown table of time and memory of every run."""
    lines = [
        "| run | frames | wall time (s) | every repeat (s) | CPU time (s) "
        "| load at start | peak RSS, all processes (MB) | at the peak (MB) "
        "| largest process (MB) |",
        "|---|--:|--:|--:|--:|--:|--:|---|--:|",
    ]
    for run in measurements.values():
        every = ", ".join(f"{seconds:.1f}" for seconds in run.all_wall_seconds)
        lines.append(
            f"| `{run.label}` | {run.frames} | {run.wall_seconds:.1f} | {every} "
            f"| {run.cpu_seconds:.1f} | {run.load_average:.1f} "
            f"| {_megabytes(run.peak_rss)} | {_breakdown(run.peak_by_command)} "
            f"| {_megabytes(run.max_single_rss)} |"
        )
    return lines


def format_sizes_table(measurements: dict[str, Measurement]) -> list[str]:
    """Return the Markdown table of output file sizes of every run."""
    lines = ["| run | MP4 (kB) | GIF (kB) | PNG (kB) |", "|---|--:|--:|--:|"]
    for run in measurements.values():
        sizes = []
        for extension in ("mp4", "gif", "png"):
            size = run.file_sizes.get(extension)
            sizes.append("–" if size is None else _kilobytes(size))
        lines.append(f"| `{run.label}` | {' | '.join(sizes)} |")
    return lines


def format_scaling(small: Measurement, large: Measurement) -> list[str]:
    """Return how time and peak memory grow from the smaller run to the larger."""
    extra_frames = large.frames - small.frames
    per_frame = (large.wall_seconds - small.wall_seconds) / extra_frames
    cpu_per_frame = (large.cpu_seconds - small.cpu_seconds) / extra_frames
    return [
        f"From {small.frames} to {large.frames} frames "
        f"({large.frames / small.frames:.2f}× as many):",
        "",
        f"- wall time {small.wall_seconds:.1f} s → {large.wall_seconds:.1f} s "
        f"({large.wall_seconds / small.wall_seconds:.2f}×), "
        f"{per_frame * 1000:.0f} ms per extra frame",
        f"- CPU time {small.cpu_seconds:.1f} s → {large.cpu_seconds:.1f} s "
        f"({large.cpu_seconds / small.cpu_seconds:.2f}×), "
        f"{cpu_per_frame * 1000:.0f} ms per extra frame",
        f"- peak RSS {_megabytes(small.peak_rss)} MB → {_megabytes(large.peak_rss)} MB "
        f"({large.peak_rss / small.peak_rss:.3f}×)",
    ]


def check_targets(measurements: dict[str, Measurement]) -> list[tuple[str, str, bool]]:
    """Return each target with the measured value and whether it is met."""
    project = measurements["project"]
    checks = []
    if "naive" in measurements:
        speedup = measurements["naive"].wall_seconds / project.wall_seconds
        target = f"project ≥ {MIN_SPEEDUP:g}× faster than naive"
        checks.append((target, f"{speedup:.1f}×", speedup >= MIN_SPEEDUP))

    small, large = measurements["project-150"], measurements["project-600"]
    growth = large.peak_rss / small.peak_rss - 1
    target = f"peak RSS at 600 frames within {MAX_MEMORY_GROWTH:.0%} of 150 frames"
    checks.append((target, f"{growth:+.1%}", abs(growth) <= MAX_MEMORY_GROWTH))

    largest = max(m.peak_rss for key, m in measurements.items() if key != "naive")
    target = f"all processes under {MAX_TOTAL_RSS / 1e9:g} GB (every project run)"
    checks.append((target, f"{_megabytes(largest)} MB", largest < MAX_TOTAL_RSS))

    gif = project.file_sizes.get("gif", 0)
    target = f"default GIF ≤ {MAX_GIF_BYTES / MB:g} MB"
    checks.append((target, f"{_kilobytes(gif)} kB", 0 < gif <= MAX_GIF_BYTES))
    return checks


def _ffmpeg_version() -> str:
    completed = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-version"],
        capture_output=True,
        text=True,
        check=False,
    )
    first_line = completed.stdout.splitlines()[0] if completed.stdout else "unknown"
    return first_line.split(" Copyright")[0]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def describe_machine() -> list[str]:
    """Return the date, hardware and software versions as Markdown list items."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return [
        f"- date: {now}",
        f"- CPU: {_cpu_model()}, {len(os.sched_getaffinity(0))} cores usable",
        f"- OS: {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}, numpy {np.__version__}, "
        f"matplotlib {matplotlib.__version__}, Pillow {PIL.__version__}, "
        f"imageio-ffmpeg {imageio_ffmpeg.__version__}",
        f"- {_ffmpeg_version()}",
    ]


def format_report(measurements: dict[str, Measurement]) -> str:
    """Return the full Markdown report: machine, runs, scaling and targets."""
    n_repeats = len(next(iter(measurements.values())).all_wall_seconds)
    lines = ["## Machine", "", *describe_machine(), "", "## Runs", ""]
    lines += [
        f"Each run was repeated {n_repeats} time(s). Wall time, CPU time and load "
        "are from the fastest repeat, and memory is the largest peak of all repeats.",
        "",
        *format_results_table(measurements),
    ]
    lines += ["", *format_sizes_table(measurements)]
    if "naive" in measurements:
        naive, project = measurements["naive"], measurements["project"]
        phases = ", ".join(f"{name} {sec:.1f} s" for name, sec in naive.phases.items())
        lines += [
            "",
            f"Naive phases: {phases}.",
            "",
            f"Speed-up of render.py over naive: "
            f"{naive.wall_seconds / project.wall_seconds:.1f}× in wall time, "
            f"{naive.cpu_seconds / project.cpu_seconds:.1f}× in CPU time.",
        ]
    small, large = measurements["project-150"], measurements["project-600"]
    lines += ["", "## Scaling", "", *format_scaling(small, large)]
    lines += ["", "## Targets", "", "| target | measured | met |", "|---|--:|---|"]
    for target, value, met in check_targets(measurements):
        lines.append(f"| {target} | {value} | {'yes' if met else 'NO'} |")
    return "\n".join(lines) + "\n"


def _positive_integer(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"invalid count {text!r}: expected a whole number of at least 1"
        )
    return value


def build_parser() -> argparse.ArgumentParser:
    """Build the command-line parser."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--skip-naive",
        action="store_true",
        help="measure only render.py, which takes about a minute instead of several",
    )
    parser.add_argument(
        "--repeat",
        type=_positive_integer,
        default=1,
        metavar="N",
        help="run every measurement N times and keep the fastest wall time and the "
        "largest memory peak (default: 1)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="also write the report as Markdown to FILE",
    )
    # Internal: render the naive pipeline into the folder given by --out, in this
    # process. measure_command runs it so as to measure it in a subprocess.
    parser.add_argument("--naive-child", action="store_true", help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; return the exit status."""
    args = build_parser().parse_args(argv)
    if args.naive_child:
        phases = render_naive(args.out)
        print(json.dumps({"phases": phases}))
        return 0

    def report(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        measurements = run_benchmarks(args.skip_naive, args.repeat, report)
    except subprocess.CalledProcessError as err:
        tail = err.stderr.strip().splitlines()[-5:]
        report(f"error: {err.cmd[1]} exited with status {err.returncode}:")
        report("\n".join(tail))
        return 1
    text = format_report(measurements)
    print(text, end="")
    if args.out is not None:
        args.out.write_text(f"# Render benchmark\n\n{text}")
        report(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
