"""Colours of the figure, apart from the run colours, which each run sets."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LIGHT", "THEMES", "Theme"]


@dataclass(frozen=True)
class Theme:
    """Colour set for one look of the figure.

    Attributes
    ----------
    name : str
        Theme name used on the command line and in file names.
    figure_face, panel_face : str
        Background of the figure and of the plotting panels.
    spine, tick, label, suptitle, title, text : str
        Panel border, tick labels, axis labels, figure title, panel titles and
        body text.
    contour : str
        Contour lines of the loss surface.
    start, end, minimum : str
        Start marker, current or end position marker and the minimum's plus sign.
    threshold : str
        Dashed line of the convergence threshold.
    """

    name: str
    figure_face: str
    panel_face: str
    spine: str
    tick: str
    label: str
    suptitle: str
    title: str
    text: str
    contour: str
    start: str
    end: str
    minimum: str
    threshold: str


LIGHT = Theme(
    name="light",
    figure_face="#FAFAF8",
    panel_face="#F5F3EE",
    spine="#CCCCCC",
    tick="#888888",
    label="#666666",
    suptitle="#111111",
    title="#222222",
    text="#333333",
    contour="#D4C9B8",
    start="#444444",
    end="#2A9D5C",
    minimum="#2A9D5C",
    threshold="#999999",
)

THEMES = {"light": LIGHT}
