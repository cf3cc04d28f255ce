"""SpectralNormalization: divides a layer's kernel by its largest singular value, estimated by
power iteration (Miyato et al. 2018, "Spectral Normalization for GANs"), as Keras 3 does it.

In training, before the wrapped layer runs, with W the kernel as a matrix (-1, out) and u the
stored (1, out) estimate of W's top right-singular vector, `power_iterations` times:

    v = normalize(u @ W.T);   u = normalize(v @ W)          normalize(a) = a / max(|a|, epsilon)

then sigma = v @ W @ u.T, and the kernel *variable* becomes W / sigma and u is stored (both
assignments, outside the tape: the gradient reaches the kernel as the layer uses it, not through
sigma, as in Keras). An all-zero kernel is left as it is. In inference the layer runs unchanged.

Weights, in Keras's order: the wrapped layer's kernel (the wrapper tracks it as its own, so Keras
lists and saves it first), vector_u (1, out) (non-trainable), then the wrapped layer's others.
"""

import numpy as np

from neuronio import config, initializers
from neuronio.layers.input_spec import InputSpec
from neuronio.layers.layer import Layer, registry
from neuronio.layers.wrappers import nested_config, nested_layer


def _normalize(a: np.ndarray) -> np.ndarray:
    """a / max(||a||, epsilon), the whole array as one vector."""
    return a * np.minimum(1.0 / np.sqrt(np.sum(np.square(a))), 1.0 / config.epsilon()).astype(a.dtype)


@registry.register("SpectralNormalization")
class SpectralNormalization(Layer):
    """Keeps the spectral norm of `layer`'s kernel (a Dense's or Conv's `kernel`, an Embedding's
    `embeddings`) at 1, which bounds the layer's Lipschitz constant (GAN discriminators).

    Args:
        layer: the Layer to wrap; it must have a `kernel` or `embeddings` weight once built.
        power_iterations: positive int, power-iteration steps per training call (Keras's 1).

    Input and output shapes are the wrapped layer's.

    >>> from neuronio.layers import Dense
    >>> SpectralNormalization(Dense(3))(np.ones((2, 4), "float32")).shape
    (2, 3)
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(**kwargs)
        owner = f"SpectralNormalization '{self.name}'"
        self.layer = nested_layer(layer, owner)
        if isinstance(power_iterations, bool) or not isinstance(power_iterations, (int, np.integer)):
            raise ValueError(f"{owner}: `power_iterations` must be a positive int; received {power_iterations!r}.")
        if power_iterations <= 0:
            raise ValueError(
                f"{owner}: `power_iterations` should be greater than zero; received "
                f"power_iterations={power_iterations}."
            )
        self.power_iterations = int(power_iterations)

    def build(self, input_shape):
        self.layer._maybe_build(input_shape)
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "embeddings", None)
        if kernel is None:
            raise ValueError(
                f"SpectralNormalization '{self.name}': {type(self.layer).__name__} object has no attribute "
                f"'kernel' nor 'embeddings' to normalize. Wrap a layer with a kernel (Dense, Conv1D, Conv2D, ...) "
                f"or an Embedding."
            )
        self.kernel = kernel
        self._trainable_variables.append(kernel)  # tracked as the wrapper's own, first (Keras's order)
        self.vector_u = self.add_weight(
            shape=(1, kernel.shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False,
            name="vector_u",
            dtype=kernel.dtype,
        )
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})

    def normalized_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """(new u, kernel / sigma) from the current kernel and u, as NumPy arrays."""
        kernel = self.kernel.data
        w = kernel.reshape(-1, kernel.shape[-1])  # (M, out)
        u = self.vector_u.data
        for _ in range(self.power_iterations):
            v = _normalize(u @ w.T)  # (1, M)
            u = _normalize(v @ w)  # (1, out)
        sigma = (v @ w @ u.T).astype(kernel.dtype)  # (1, 1)
        return u.astype(self.vector_u.dtype), (kernel / sigma).astype(kernel.dtype)

    def call(self, inputs, training=False):
        if training and np.any(self.kernel.data != 0):
            u, kernel = self.normalized_weights()
            self.vector_u.assign(u)
            self.kernel.assign(kernel)
        return self.layer(inputs, training=training)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "layer": nested_config(self.layer), "power_iterations": self.power_iterations}
