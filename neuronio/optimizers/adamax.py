"""Adamax: Adam with the infinity norm (a running max of |g|) in place of the root mean square."""

import numpy as np

from neuronio.optimizers.optimizer import Optimizer, _check_number, registry


@registry.register("Adamax", "adamax")
class Adamax(Optimizer):
    """Keras 3's Adamax, t = iterations + 1:

        m = beta_1 * m + (1 - beta_1) * g
        u = max(beta_2 * u, |g|)
        w -= lr * m / ((1 - beta_1^t) * (u + eps))

    Args:
        learning_rate: step size (float or schedule).
        beta_1: decay of the mean gradient, in [0, 1).
        beta_2: decay of the infinity norm, in [0, 1).
        epsilon: added to u.
        **kwargs: the common arguments of `Optimizer`.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = float(_check_number("Adamax", "beta_1", beta_1, low=0.0, high=1.0, high_open=True))
        self.beta_2 = float(_check_number("Adamax", "beta_2", beta_2, low=0.0, high=1.0, high_open=True))
        self.epsilon = float(_check_number("Adamax", "epsilon", epsilon, low=0.0))

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._m, self._u = self.add_optimizer_variables(var_list, ["momentum", "norm"])

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        w, m, u, tmp = variable.data, self._m[i].data, self._u[i].data, self._scratch[i]
        real = variable.dtype.type  # Keras computes beta_1^t in the weight's dtype
        correction = 1 - real(self.beta_1) ** real(self._step() + 1)
        np.multiply(gradient, 1.0 - self.beta_1, out=tmp)
        m *= self.beta_1
        m += tmp  # m = b1 m + (1 - b1) g
        np.abs(gradient, out=tmp)
        u *= self.beta_2
        np.maximum(u, tmp, out=u)  # u = max(b2 u, |g|)
        np.add(u, self.epsilon, out=tmp)
        tmp *= correction
        np.divide(m, tmp, out=tmp)
        tmp *= learning_rate
        w -= tmp  # w -= lr m / ((1 - b1^t)(u + eps))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
