"""neuronio: a neural-network library written from first principles on NumPy, with Keras's API.

    import neuronio as keras

makes the Keras programs of the course decks run.
"""

__version__ = "0.1.0"

# isort: off
# config first: its thread-pool settings must reach the environment before NumPy loads OpenBLAS
# (config.process_settings).
from neuronio import config
# isort: on

from neuronio import (
    activations,
    applications,
    apps,
    backend,
    callbacks,
    constraints,
    datasets,
    distillation,
    distribution,
    errors,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    preprocessing,
    random,
    regularizers,
    utils,
    visualize,
    wrappers,
)
from neuronio.autodiff import GradientTape, Tensor, Variable, constant, no_grad
from neuronio.layers import Input, Layer
from neuronio.models import Model, Sequential

__all__ = [
    "GradientTape",
    "Input",
    "Layer",
    "Model",
    "Sequential",
    "Tensor",
    "Variable",
    "__version__",
    "activations",
    "applications",
    "apps",
    "backend",
    "callbacks",
    "config",
    "constant",
    "constraints",
    "datasets",
    "distillation",
    "distribution",
    "errors",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "no_grad",
    "ops",
    "optimizers",
    "preprocessing",
    "random",
    "regularizers",
    "utils",
    "visualize",
    "wrappers",
]
