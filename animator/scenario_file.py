"""Read and validate a scenario from a TOML file.

A scenario file is data: it is parsed with ``tomllib`` and checked key by key,
never executed. Every error names the file, the key, the value and what is
expected, in one line.
"""

from __future__ import annotations

import functools
import math
import tomllib
from pathlib import Path
from typing import Any

from matplotlib import font_manager
from matplotlib.colors import is_color_like, to_rgba
from matplotlib.ft2font import FT2Font

from .optimizers import OPTIMIZERS, PARAMETERS
from .scenario import MAX_RUNS, Quadratic, RunSpec, Scenario

__all__ = ["MAX_STEPS", "ScenarioError", "load_scenario", "parse_scenario"]

MAX_STEPS = 100_000
MAX_LABEL_LENGTH = 40
MAX_CONTOUR_LEVELS = 100
# Largest magnitude accepted for coordinates, coefficients and rates. Larger
# values overflow float64 after a few steps instead of showing anything.
MAX_MAGNITUDE = 1e6
# Smaller coefficients and plot ranges leave contour levels that underflow.
MIN_COEFFICIENT = 1e-6
MIN_RANGE_WIDTH = 1e-3
# A scenario is a few hundred bytes; a larger file is not a scenario.
MAX_FILE_BYTES = 1_000_000

_TOP_KEYS = {
    "title",
    "learning_rate",
    "steps",
    "threshold",
    "start",
    "loss",
    "plot",
    "runs",
}
_REQUIRED_TOP_KEYS = ("learning_rate", "steps", "start", "loss", "runs")
_LOSS_KEYS = {"a", "b"}
_PLOT_KEYS = {"x_range", "y_range", "contour_levels"}
_LEVEL_KEYS = {"lowest", "highest", "count"}
_RUN_KEYS = {"optimizer", "label", "color", "learning_rate"}
# Parameters that are averaging factors must lie in [0, 1).
_FACTOR_PARAMETERS = {"beta", "beta1", "beta2"}


@functools.cache
def _font_charmaps() -> tuple[frozenset[int], ...]:
    # Titles and legends use DejaVu Sans and the explanation panel DejaVu Sans
    # Mono, matplotlib's bundled defaults; a label appears in both.
    charmaps = []
    for family in ("DejaVu Sans", "DejaVu Sans Mono"):
        path = font_manager.findfont(
            font_manager.FontProperties(family=family), fallback_to_default=False
        )
        charmaps.append(frozenset(FT2Font(path).get_charmap()))
    return tuple(charmaps)


def _missing_glyphs(text: str) -> str:
    """Return the characters of ``text`` that a figure font cannot draw."""
    missing = []
    for character in text:
        if any(ord(character) not in charmap for charmap in _font_charmaps()):
            if character not in missing:
                missing.append(character)
    return "".join(missing)


class ScenarioError(ValueError):
    """A scenario file is missing, unreadable or has an invalid value."""


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return repr(value)


class _Checker:
    """Validate values of one file, naming the file and the key in each error."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, value: Any, expected: str) -> ScenarioError:
        return ScenarioError(
            f"{self.source}: invalid {key} = {_describe(value)}: expected {expected}"
        )

    def table(
        self, data: dict, key: str, allowed: set[str], required=(), *, prefix: str = ""
    ) -> dict:
        value = data.get(key) if key else data
        where = f"{prefix}{key}." if key else ""
        if not isinstance(value, dict):
            raise self.fail(key, value, "a table")
        for name in value:
            if name not in allowed:
                raise ScenarioError(
                    f"{self.source}: unknown key {where}{name}: "
                    f"expected one of {', '.join(sorted(allowed))}"
                )
        for name in required:
            if name not in value:
                raise ScenarioError(f"{self.source}: missing key {where}{name}")
        return value

    def number(
        self,
        key: str,
        value: Any,
        *,
        low: float = -MAX_MAGNITUDE,
        high: float = MAX_MAGNITUDE,
        low_open: bool = False,
        high_open: bool = False,
    ) -> float:
        lower = f"greater than {low:g}" if low_open else f"at least {low:g}"
        upper = f"less than {high:g}" if high_open else f"at most {high:g}"
        expected = f"a finite number {lower} and {upper}"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(key, value, expected)
        number = float(value)
        if not math.isfinite(number):
            raise self.fail(key, value, expected)
        too_low = number <= low if low_open else number < low
        too_high = number >= high if high_open else number > high
        if too_low or too_high:
            raise self.fail(key, value, expected)
        return number

    def integer(self, key: str, value: Any, low: int, high: int) -> int:
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not low <= value <= high
        ):
            raise self.fail(key, value, f"a whole number from {low} to {high}")
        return value

    def text(self, key: str, value: Any, max_length: int) -> str:
        if (
            not isinstance(value, str)
            or not value.strip()
            or len(value) > max_length
            or not value.isprintable()
        ):
            raise self.fail(
                key,
                value,
                f"a non-empty single-line string of at most {max_length} characters",
            )
        missing = _missing_glyphs(value)
        if missing:
            raise self.fail(
                key,
                value,
                f"characters the figure's fonts can draw; {missing!r} has no glyph "
                "in DejaVu Sans or DejaVu Sans Mono",
            )
        return value

    def pair(
        self, key: str, value: Any, *, increasing: bool = False
    ) -> tuple[float, float]:
        expected = "a list of two finite numbers" + (
            f", the second at least {MIN_RANGE_WIDTH:g} larger" if increasing else ""
        )
        if not isinstance(value, list) or len(value) != 2:
            raise self.fail(key, value, expected)
        first, second = (
            self.number(f"{key}[{i}]", item) for i, item in enumerate(value)
        )
        if increasing and not second - first >= MIN_RANGE_WIDTH:
            raise self.fail(key, value, expected)
        return first, second


def _parse_run(check: _Checker, index: int, data: Any) -> RunSpec:
    key = f"runs[{index}]"
    if not isinstance(data, dict):
        raise check.fail(key, data, "a table with optimizer, label and color")
    optimizer = data.get("optimizer")
    if optimizer not in OPTIMIZERS:
        raise check.fail(
            f"{key}.optimizer", optimizer, f"one of {', '.join(OPTIMIZERS)}"
        )
    allowed = _RUN_KEYS | set(PARAMETERS[optimizer])
    check.table({key: data}, key, allowed, required=("optimizer", "label", "color"))

    label = check.text(f"{key}.label", data["label"], MAX_LABEL_LENGTH)
    color = data["color"]
    # A transparent colour ("none", "#RRGGBB00") would hide the run.
    if not isinstance(color, str) or not is_color_like(color) or to_rgba(color)[3] < 1:
        raise check.fail(
            f"{key}.color", color, 'an opaque colour such as "#3A7CA5" or "tab:blue"'
        )

    learning_rate = None
    if "learning_rate" in data:
        learning_rate = check.number(
            f"{key}.learning_rate", data["learning_rate"], low=0, low_open=True
        )

    params = {}
    for name in PARAMETERS[optimizer]:
        if name not in data:
            continue
        if name in _FACTOR_PARAMETERS:
            params[name] = check.number(
                f"{key}.{name}", data[name], low=0, high=1, high_open=True
            )
        else:
            params[name] = check.number(
                f"{key}.{name}", data[name], low=0, low_open=True
            )
    return RunSpec(optimizer, label, color, params, learning_rate)


def _default_range(start: float) -> tuple[float, float]:
    half = max(1.25 * abs(start), 1.0)
    return -half, half


def _parse_plot(
    check: _Checker, data: dict, quadratic: Quadratic, start: tuple[float, float]
) -> dict:
    plot = check.table(data, "plot", _PLOT_KEYS) if "plot" in data else {}
    x_range = (
        check.pair("plot.x_range", plot["x_range"], increasing=True)
        if "x_range" in plot
        else _default_range(start[0])
    )
    y_range = (
        check.pair("plot.y_range", plot["y_range"], increasing=True)
        if "y_range" in plot
        else _default_range(start[1])
    )
    if "contour_levels" in plot:
        levels = check.table(
            plot,
            "contour_levels",
            _LEVEL_KEYS,
            required=tuple(sorted(_LEVEL_KEYS)),
            prefix="plot.",
        )
        lowest = check.number(
            "plot.contour_levels.lowest", levels["lowest"], low=0, low_open=True
        )
        highest = check.number(
            "plot.contour_levels.highest", levels["highest"], low=lowest, low_open=True
        )
        count = check.integer(
            "plot.contour_levels.count", levels["count"], 2, MAX_CONTOUR_LEVELS
        )
    else:
        # The largest ellipse inside the plot, and levels down to 1/700 of it, the
        # spread of the default scenario's levels.
        highest = min(
            quadratic.a * max(map(abs, x_range)) ** 2,
            quadratic.b * max(map(abs, y_range)) ** 2,
        )
        lowest, count = highest / 700.0, 28
    return {
        "x_range": x_range,
        "y_range": y_range,
        "contour_levels": (lowest, highest, count),
    }


def _default_title(data: dict) -> str:
    optimizers = []
    for run in data.get("runs", []):
        name = run.get("optimizer") if isinstance(run, dict) else None
        if name in _TITLE_NAMES and _TITLE_NAMES[name] not in optimizers:
            optimizers.append(_TITLE_NAMES[name])
    if optimizers == ["Gradient Descent", "Momentum"]:
        return Scenario.title
    return " vs. ".join(optimizers) or Scenario.title


_TITLE_NAMES = {
    "gd": "Gradient Descent",
    "momentum": "Momentum",
    "heavy_ball": "Heavy Ball",
    "nesterov": "Nesterov",
    "adam": "Adam",
}


def parse_scenario(data: dict, source: str = "scenario") -> Scenario:
    """Validate the parsed TOML ``data`` and build a Scenario.

    Raises
    ------
    ScenarioError
        On an unknown or missing key, a wrong type, or a value out of range. The
        message names ``source``, the key, the value and what is expected.
    """
    check = _Checker(source)
    check.table(data, "", _TOP_KEYS, required=_REQUIRED_TOP_KEYS)

    loss = check.table(data, "loss", _LOSS_KEYS, required=("a", "b"))
    quadratic = Quadratic(
        a=check.number("loss.a", loss["a"], low=MIN_COEFFICIENT),
        b=check.number("loss.b", loss["b"], low=MIN_COEFFICIENT),
    )
    start = check.pair("start", data["start"])
    learning_rate = check.number(
        "learning_rate", data["learning_rate"], low=0, low_open=True
    )
    n_steps = check.integer("steps", data["steps"], 1, MAX_STEPS)
    threshold = check.number(
        "threshold", data.get("threshold", 1e-3), low=0, low_open=True
    )
    title = check.text("title", data.get("title", _default_title(data)), 80)

    runs = data["runs"]
    if not isinstance(runs, list) or not 1 <= len(runs) <= MAX_RUNS:
        raise check.fail("runs", runs, f"a list of 1 to {MAX_RUNS} [[runs]] tables")
    specs = tuple(_parse_run(check, index, run) for index, run in enumerate(runs))

    return Scenario(
        quadratic=quadratic,
        start=start,
        learning_rate=learning_rate,
        n_steps=n_steps,
        threshold=threshold,
        runs=specs,
        title=title,
        **_parse_plot(check, data, quadratic, start),
    )


def load_scenario(path: Path) -> Scenario:
    """Read the scenario file at ``path``.

    Raises
    ------
    ScenarioError
        If the file cannot be read, is not valid TOML, or fails validation.
    """
    try:
        with open(path, "rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(f"scenario file {str(path)!r} not found") from None
    except IsADirectoryError:
        raise ScenarioError(
            f"scenario file {str(path)!r} is a folder; give a .toml file"
        ) from None
    except OSError as err:
        raise ScenarioError(
            f"cannot read scenario file {str(path)!r}: {err.strerror}"
        ) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(
            f"scenario file {str(path)!r} is larger than {MAX_FILE_BYTES} bytes; "
            "give a scenario .toml file"
        )
    try:
        # utf-8-sig also accepts the byte order mark some editors write.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ScenarioError(
            f"{path}: invalid text at byte {err.start}: not UTF-8; save the file "
            "as UTF-8"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{path}: invalid TOML: {err}") from None
    return parse_scenario(data, str(path))
