"""neuronio: a neural-network library written from first principles on NumPy, with Keras's API.

    import neuronio as keras

makes the Keras programs of the course decks run.
"""

__version__ = "0.1.0"

from neuronio import config, errors, initializers, ops
from neuronio.autodiff import GradientTape, Tensor, Variable, constant, no_grad

__all__ = [
    "GradientTape",
    "Tensor",
    "Variable",
    "__version__",
    "config",
    "constant",
    "errors",
    "initializers",
    "no_grad",
    "ops",
]
