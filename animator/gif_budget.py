"""Choose smaller GIF settings until the file fits a size budget.

The settings give way in a fixed order: first the frame rate, then the width,
then the number of colours. Each step jumps as far as the measured size shows is
needed. The estimate assumes that size grows with the frame rate and the pixel
count; fewer colours save less and less.
"""

from __future__ import annotations

import math
from dataclasses import replace

from .encoding import GifOptions

__all__ = [
    "GifBudgetError",
    "MIN_GIF_COLORS",
    "MIN_GIF_FPS",
    "MIN_GIF_WIDTH",
    "next_gif_options",
]

# Below these the animation stops reading as motion, or its text as text.
MIN_GIF_FPS = 5.0
MIN_GIF_WIDTH = 320
MIN_GIF_COLORS = 16
_FPS_LADDER = (25.0, 20.0, 15.0, 12.5, 10.0, 8.0, 6.25, 5.0)
# Aim a little under the estimate, because the estimates are rough.
_MARGIN = 0.9


class GifBudgetError(RuntimeError):
    """The GIF is over budget even at the smallest frame rate, width and palette."""


def next_gif_options(current: GifOptions, size: int, budget: int) -> GifOptions:
    """Return the next, smaller GIF settings to try.

    Parameters
    ----------
    current : GifOptions
        Settings that produced ``size``.
    size, budget : int
        Measured GIF size and largest size allowed, in bytes.

    Raises
    ------
    GifBudgetError
        If every setting is already at its minimum.
    """
    ratio = budget / size * _MARGIN
    if current.fps > MIN_GIF_FPS:
        target = current.fps * ratio
        lower = [fps for fps in _FPS_LADDER if fps < current.fps]
        fitting = [fps for fps in lower if fps <= target]
        return replace(current, fps=fitting[0] if fitting else MIN_GIF_FPS)
    if current.width > MIN_GIF_WIDTH:
        width = int(current.width * math.sqrt(ratio)) // 2 * 2
        return replace(current, width=max(MIN_GIF_WIDTH, min(width, current.width - 2)))
    if current.n_colors > MIN_GIF_COLORS:
        # LZW codes shrink with log2 of the palette size, so halving the colours
        # saves at most one bit in eight. A larger gap goes straight to 16.
        if ratio < 0.5:
            return replace(current, n_colors=MIN_GIF_COLORS)
        return replace(current, n_colors=max(MIN_GIF_COLORS, current.n_colors // 2))
    raise GifBudgetError(
        f"the GIF is {math.ceil(size / 1024)} KiB at {current.fps:g} fps, "
        f"{current.width} px and {current.n_colors} colours, still over "
        f"{math.ceil(budget / 1024)} KiB; raise --gif-max-kb or shorten the animation "
        "with --frames"
    )
