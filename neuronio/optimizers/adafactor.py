"""Adafactor (Shazeer & Stern, 2018, "Adaptive Learning Rates with Sublinear Memory Cost"): the
second moment of a matrix is kept as its row and column means, and steps are relative to the
weight's own scale."""

import numpy as np

from neuronio.optimizers.optimizer import Optimizer, _check_number, registry


def _rms(x: np.ndarray):
    return np.sqrt(np.mean(x * x))


@registry.register("Adafactor", "adafactor")
class Adafactor(Optimizer):
    """Keras 3's Adafactor, t = iterations + 1:

        rho = min(lr, 1 / sqrt(t))              (Keras applies this cap whatever relative_step says)
        alpha = max(epsilon_2, rms(w)) * rho    (a step relative to the weight's scale)
        beta = 1 - t^beta_2_decay               (0 at t = 1: the first step keeps g² whole)
        G = g² + epsilon_1
        rank >= 2, factored over the last two axes (rows i, columns j):
            r = beta * r + (1 - beta) * mean_j G           (shape w.shape[:-1])
            c = beta * c + (1 - beta) * mean_i G           (shape w.shape[:-2] + w.shape[-1:])
            v = r_i / mean_i(r) * c_j                      (the rank-1 estimate of E[G])
        rank < 2:
            v = beta * v + (1 - beta) * G
        u = g / sqrt(v);  u /= max(1, rms(u) / clip_threshold)
        w -= alpha * u

    Variables, as Keras saves them, per weight: for rank >= 2, r and c (named after the weight)
    and `velocity` (v, of the weight's shape); for rank < 2, two int32 scalar placeholders (named
    after the weight, unused) and `velocity`.

    Args:
        learning_rate: the cap on the relative step size (float or schedule).
        beta_2_decay: exponent of t in the decay of the second moment, <= 0.
        epsilon_1: added to g², keeping the denominator away from 0.
        epsilon_2: the least weight scale used for the step (so zero weights still move).
        clip_threshold: the largest rms of the update direction u, > 0. Independent of the
            `clipnorm`/`clipvalue`/`global_clipnorm` applied to gradients.
        relative_step: saved and restored as Keras does; as in Keras, the step is
            min(lr, 1/sqrt(t)) either way.
        **kwargs: the common arguments of `Optimizer`.
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_2_decay=-0.8,
        epsilon_1=1e-30,
        epsilon_2=1e-3,
        clip_threshold=1.0,
        relative_step=True,
        **kwargs,
    ):
        who = "Adafactor"
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_2_decay = float(_check_number(who, "beta_2_decay", beta_2_decay, high=0.0))
        self.epsilon_1 = float(_check_number(who, "epsilon_1", epsilon_1, low=0.0))
        self.epsilon_2 = float(_check_number(who, "epsilon_2", epsilon_2, low=0.0))
        self.clip_threshold = float(_check_number(who, "clip_threshold", clip_threshold, low=0.0))
        if self.clip_threshold == 0:
            raise ValueError(f"{who}: `clip_threshold` must be > 0; received clip_threshold=0. The default is 1.0.")
        self.relative_step = bool(relative_step)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._r, self._c, self._v = [], [], []
        for variable in var_list:
            shape = variable.shape
            if len(shape) < 2:
                for factors in (self._r, self._c):
                    placeholder = self.add_variable((), initializer=0, dtype="int32", name=variable.name)
                    placeholder.path = variable.name  # Keras makes these outside the optimizer's scope
                    factors.append(placeholder)
            else:
                self._r.append(self.add_variable(shape[:-1], dtype=variable.dtype, name=variable.name))
                self._c.append(self.add_variable(shape[:-2] + shape[-1:], dtype=variable.dtype, name=variable.name))
            self._v.append(self.add_variable_from_reference(variable, "velocity"))

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        w, v = variable.data, self._v[i].data
        real = variable.dtype.type  # Keras computes the step's scalars in the weight's dtype
        t = real(self._step() + 1)
        rho = min(real(learning_rate), real(1) / np.sqrt(t))
        alpha = max(real(self.epsilon_2), _rms(w)) * rho
        beta = real(1) - t ** real(self.beta_2_decay)
        squared = gradient * gradient + real(self.epsilon_1)
        if w.ndim >= 2:
            r, c = self._r[i].data, self._c[i].data
            r[...] = beta * r + (1 - beta) * np.mean(squared, axis=-1)
            c[...] = beta * c + (1 - beta) * np.mean(squared, axis=-2)
            v[...] = (r / np.mean(r, axis=-1, keepdims=True))[..., None] * c[..., None, :]
        else:
            v[...] = beta * v + (1 - beta) * squared
        u = gradient / np.sqrt(v)
        u /= max(real(1), _rms(u) / real(self.clip_threshold))
        w -= alpha * u

    def get_config(self):
        return {
            **super().get_config(),
            "beta_2_decay": self.beta_2_decay,
            "epsilon_1": self.epsilon_1,
            "epsilon_2": self.epsilon_2,
            "clip_threshold": self.clip_threshold,
            "relative_step": self.relative_step,
        }
