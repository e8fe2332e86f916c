"""Optimizer update rules, each a small stateful step function.

Every rule takes the gradient function, the position and the learning rate α, and
keeps its own state (velocity, moment estimates) between calls.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["OPTIMIZERS", "PARAMETERS", "make_optimizer"]

Gradient = Callable[[np.ndarray], np.ndarray]
Step = Callable[[np.ndarray], np.ndarray]

# Parameters each optimizer accepts, with their defaults.
PARAMETERS: dict[str, dict[str, float]] = {
    "gd": {},
    "momentum": {"beta": 0.9},
    "heavy_ball": {"beta": 0.9},
    "nesterov": {"beta": 0.9},
    "adam": {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
}
OPTIMIZERS = tuple(PARAMETERS)


def _gd(gradient: Gradient, learning_rate: float) -> Step:
    def step(theta):
        return theta - learning_rate * gradient(theta)

    return step


def _velocity_step(
    gradient: Gradient, learning_rate: float, beta: float, gradient_weight: float
) -> Step:
    # v ← βv + w·∇L, θ ← θ − αv, the shared form of both momentum rules below.
    velocity = np.zeros(2)

    def step(theta):
        nonlocal velocity
        velocity = beta * velocity + gradient_weight * gradient(theta)
        return theta - learning_rate * velocity

    return step


def _momentum(gradient: Gradient, learning_rate: float, beta: float) -> Step:
    # EMA form: v ← βv + (1−β)∇L. The velocity is an average of past gradients,
    # so β changes how far back it looks, not the step size.
    return _velocity_step(gradient, learning_rate, beta, 1.0 - beta)


def _heavy_ball(gradient: Gradient, learning_rate: float, beta: float) -> Step:
    # Polyak's form: v ← βv + ∇L. The velocity is a sum, so the effective step
    # grows towards α / (1 − β) on a constant gradient.
    return _velocity_step(gradient, learning_rate, beta, 1.0)


def _nesterov(gradient: Gradient, learning_rate: float, beta: float) -> Step:
    # The form PyTorch's SGD uses with nesterov=True: v ← βv + ∇L, then
    # θ ← θ − α(∇L + βv), which looks one velocity step ahead.
    velocity = np.zeros(2)

    def step(theta):
        nonlocal velocity
        grad = gradient(theta)
        velocity = beta * velocity + grad
        return theta - learning_rate * (grad + beta * velocity)

    return step


def _adam(
    gradient: Gradient,
    learning_rate: float,
    beta1: float,
    beta2: float,
    epsilon: float,
) -> Step:
    # Kingma and Ba (2015), Algorithm 1, with bias-corrected moment estimates.
    mean = np.zeros(2)
    second_moment = np.zeros(2)
    t = 0

    def step(theta):
        nonlocal mean, second_moment, t
        t += 1
        grad = gradient(theta)
        mean = beta1 * mean + (1.0 - beta1) * grad
        second_moment = beta2 * second_moment + (1.0 - beta2) * grad**2
        mean_hat = mean / (1.0 - beta1**t)
        second_moment_hat = second_moment / (1.0 - beta2**t)
        return theta - learning_rate * mean_hat / (np.sqrt(second_moment_hat) + epsilon)

    return step


_FACTORIES = {
    "gd": _gd,
    "momentum": _momentum,
    "heavy_ball": _heavy_ball,
    "nesterov": _nesterov,
    "adam": _adam,
}


def make_optimizer(
    name: str, gradient: Gradient, learning_rate: float, params: dict[str, float]
) -> Step:
    """Create a step function ``theta -> next theta`` for the optimizer ``name``.

    Parameters
    ----------
    name : str
        One of ``OPTIMIZERS``.
    gradient : callable
        Maps a position of shape ``(2,)`` to the gradient there.
    learning_rate : float
        Step size α.
    params : dict
        Optimizer parameters. Missing ones take the defaults in ``PARAMETERS``.

    Raises
    ------
    ValueError
        If ``name`` is not a known optimizer or ``params`` has an unknown key.
    """
    if name not in _FACTORIES:
        raise ValueError(
            f"invalid optimizer {name!r}: expected one of {', '.join(OPTIMIZERS)}"
        )
    unknown = set(params) - set(PARAMETERS[name])
    if unknown:
        allowed = ", ".join(PARAMETERS[name]) or "none"
        raise ValueError(
            f"invalid parameter {sorted(unknown)[0]!r} for optimizer {name!r}: "
            f"expected one of: {allowed}"
        )
    merged = {**PARAMETERS[name], **params}
    return _FACTORIES[name](gradient, learning_rate, **merged)
