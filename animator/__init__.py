"""Render a teaching animation of gradient descent against momentum."""

from .cli import main
from .pipeline import FORMATS, RenderOptions, render
from .scenario import RunSpec, Scenario, default_scenario
from .simulation import RunResult, simulate

__all__ = [
    "FORMATS",
    "RenderOptions",
    "RunResult",
    "RunSpec",
    "Scenario",
    "default_scenario",
    "main",
    "render",
    "simulate",
]
