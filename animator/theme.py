"""Colours of the figure, apart from the run colours, which each run sets."""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.colors import to_rgb

__all__ = ["DARK", "LIGHT", "THEMES", "Theme"]


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
    gradient_arrow : str
        Arrow of the plain gradient step −α·∇L.
    run_lightening : float
        Share of white mixed into each run colour, 0 for the colours as given.
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
    gradient_arrow: str
    run_lightening: float = 0.0

    def run_color(self, color: str) -> tuple[float, float, float]:
        """Return the RGB colour to draw a run given in ``color`` with."""
        red, green, blue = to_rgb(color)
        mix = self.run_lightening
        return (
            red + (1 - red) * mix,
            green + (1 - green) * mix,
            blue + (1 - blue) * mix,
        )


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
    gradient_arrow="#555555",
)

# Run colours of the light theme are mid-tones; mixing in a quarter of white
# keeps their hue and lifts their contrast against the dark panels.
DARK = Theme(
    name="dark",
    figure_face="#16181D",
    panel_face="#1F232A",
    spine="#3C424D",
    tick="#9AA1AC",
    label="#AEB4BE",
    suptitle="#F2F2F2",
    title="#E8E8E8",
    text="#D4D8DE",
    contour="#474E5B",
    start="#C9CDD3",
    end="#3DDC84",
    minimum="#3DDC84",
    threshold="#8C939E",
    gradient_arrow="#C9CDD3",
    run_lightening=0.25,
)

THEMES = {"light": LIGHT, "dark": DARK}
