"""Render a teaching animation of gradient descent against momentum."""

from .cli import main
from .pipeline import FORMATS, RenderOptions, RenderReport, render
from .scenario import RunSpec, Scenario, default_scenario
from .scenario_file import ScenarioError, load_scenario
from .simulation import RunResult, simulate

__all__ = [
    "FORMATS",
    "RenderOptions",
    "RenderReport",
    "RunResult",
    "RunSpec",
    "Scenario",
    "ScenarioError",
    "default_scenario",
    "load_scenario",
    "main",
    "render",
    "simulate",
]
