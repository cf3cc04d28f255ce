"""Adadelta: steps scaled by the ratio of running RMS of past steps to running RMS of gradients."""

import numpy as np

from neuronio.optimizers.optimizer import Optimizer, _check_number, registry


@registry.register("Adadelta", "adadelta")
class Adadelta(Optimizer):
    """Keras 3's Adadelta (epsilon inside each square root, and a learning rate, 0.001 by default):

        E[g²]  = rho * E[g²] + (1 - rho) * g²
        delta  = -sqrt(E[dw²] + eps) / sqrt(E[g²] + eps) * g
        E[dw²] = rho * E[dw²] + (1 - rho) * delta²
        w     += lr * delta

    Args:
        learning_rate: step size (float or schedule). Zeiler's paper has none (lr = 1).
        rho: decay of both running means, in [0, 1].
        epsilon: added inside the square roots.
        **kwargs: the common arguments of `Optimizer`.
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = float(_check_number("Adadelta", "rho", rho, low=0.0, high=1.0))
        self.epsilon = float(_check_number("Adadelta", "epsilon", epsilon, low=0.0))

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            var_list, ["accumulated_grad", "accumulated_delta_var"]
        )

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        w, tmp = variable.data, self._scratch[i]
        mean_g2, mean_dw2 = self._accumulated_grads[i].data, self._accumulated_delta_vars[i].data
        np.multiply(gradient, gradient, out=tmp)
        tmp *= 1.0 - self.rho
        mean_g2 *= self.rho
        mean_g2 += tmp  # E[g²] = rho E[g²] + (1 - rho) g²
        delta = np.sqrt(mean_dw2 + self.epsilon)
        delta *= gradient
        np.add(mean_g2, self.epsilon, out=tmp)
        np.sqrt(tmp, out=tmp)
        delta /= tmp
        np.negative(delta, out=delta)  # delta = -RMS[dw] * g / RMS[g]
        np.multiply(delta, delta, out=tmp)
        tmp *= 1.0 - self.rho
        mean_dw2 *= self.rho
        mean_dw2 += tmp  # E[dw²] = rho E[dw²] + (1 - rho) delta²
        delta *= learning_rate
        w += delta

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
