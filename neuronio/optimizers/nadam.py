"""Nadam: Adam with Nesterov momentum and Dozat's momentum schedule."""

import numpy as np

from neuronio import config
from neuronio.optimizers.optimizer import Optimizer, _check_number, registry


@registry.register("Nadam", "nadam")
class Nadam(Optimizer):
    """Keras 3's Nadam, t = iterations + 1, with the momentum schedule mu_t = beta_1 (1 - 0.5 * 0.96^t):

        prod_t = mu_1 * mu_2 * ... * mu_t       (the variable "variable", updated once per step)
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g²
        m_hat = mu_{t+1} m / (1 - prod_t mu_{t+1}) + (1 - mu_t) g / (1 - prod_t)
        v_hat = v / (1 - beta_2^t)
        w -= lr * m_hat / (sqrt(v_hat) + eps)

    Args:
        learning_rate: step size (float or schedule).
        beta_1: decay of the mean gradient, in [0, 1).
        beta_2: decay of the mean squared gradient, in [0, 1).
        epsilon: added to sqrt(v_hat).
        **kwargs: the common arguments of `Optimizer`.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = float(_check_number("Nadam", "beta_1", beta_1, low=0.0, high=1.0, high_open=True))
        self.beta_2 = float(_check_number("Nadam", "beta_2", beta_2, low=0.0, high=1.0, high_open=True))
        self.epsilon = float(_check_number("Nadam", "epsilon", epsilon, low=0.0))

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(var_list, ["momentum", "velocity"])
        # Keras creates the product last and unnamed ("variable"), so it is the last saved variable.
        dtype = var_list[0].dtype if var_list else config.floatx()
        self._u_product = self.add_variable((), initializer=1.0, dtype=dtype, name="variable")

    def _mu(self, step, real):
        """The momentum schedule mu_step = beta_1 (1 - 0.5 * 0.96^step), in the weight's dtype as Keras."""
        return real(self.beta_1) * (1 - real(0.5) * real(0.96) ** real(step))

    def _update_steps(self, grads, variables, learning_rate):
        real = self._u_product.dtype.type
        self._u_product.data *= self._mu(self._step() + 1, real)  # once per step, not per weight
        super()._update_steps(grads, variables, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        w, m, v, tmp = variable.data, self._momentums[i].data, self._velocities[i].data, self._scratch[i]
        real = variable.dtype.type
        t = self._step() + 1
        mu_t, mu_next = self._mu(t, real), self._mu(t + 1, real)
        prod_t = real(self._u_product.data)
        prod_next = prod_t * mu_next
        np.multiply(gradient, 1.0 - self.beta_1, out=tmp)
        m *= self.beta_1
        m += tmp  # m = b1 m + (1 - b1) g
        np.multiply(gradient, gradient, out=tmp)
        tmp *= 1.0 - self.beta_2
        v *= self.beta_2
        v += tmp  # v = b2 v + (1 - b2) g²
        m_hat = m * mu_next
        m_hat /= 1 - prod_next
        m_hat += gradient * (1 - mu_t) / (1 - prod_t)
        np.divide(v, 1 - real(self.beta_2) ** real(t), out=tmp)
        np.sqrt(tmp, out=tmp)
        tmp += self.epsilon  # sqrt(v_hat) + eps
        m_hat *= learning_rate
        m_hat /= tmp
        w -= m_hat

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
