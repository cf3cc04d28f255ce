"""LAMB (You et al., 2020, "Large Batch Optimization for Deep Learning"): Adam's direction,
rescaled per weight tensor so that the step is proportional to the weight's own norm."""

import numpy as np

from neuronio.optimizers.optimizer import Optimizer, _check_number, registry


@registry.register("Lamb", "lamb")
class Lamb(Optimizer):
    """Keras 3's Lamb, t = iterations + 1, per weight tensor w:

        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g²
        u = (m / (1 - beta_1^t)) / (sqrt(v / (1 - beta_2^t)) + eps)
        ratio = ||w|| / ||u||   (1 if either norm is 0)
        w -= lr * ratio * u

    Unlike the paper, the trust ratio is taken of Adam's direction alone: weight decay, if set, is
    the decoupled decay every optimizer applies before its step (as Keras does).

    Args:
        learning_rate: step size (float or schedule).
        beta_1: decay of the mean gradient, in [0, 1).
        beta_2: decay of the mean squared gradient, in [0, 1).
        epsilon: added to the root of the bias-corrected v.
        **kwargs: the common arguments of `Optimizer`.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = float(_check_number("Lamb", "beta_1", beta_1, low=0.0, high=1.0, high_open=True))
        self.beta_2 = float(_check_number("Lamb", "beta_2", beta_2, low=0.0, high=1.0, high_open=True))
        self.epsilon = float(_check_number("Lamb", "epsilon", epsilon, low=0.0))

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(var_list, ["momentum", "velocity"])

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        w, m, v, u = variable.data, self._momentums[i].data, self._velocities[i].data, self._scratch[i]
        real = variable.dtype.type  # Keras takes the powers of beta in the weight's dtype
        t = real(self._step() + 1)
        m += (gradient - m) * (1.0 - self.beta_1)  # m = b1 m + (1 - b1) g
        v += (gradient * gradient - v) * (1.0 - self.beta_2)  # v = b2 v + (1 - b2) g²
        np.divide(v, 1 - real(self.beta_2) ** t, out=u)
        np.sqrt(u, out=u)
        u += self.epsilon
        np.divide(m / (1 - real(self.beta_1) ** t), u, out=u)  # u = m_hat / (sqrt(v_hat) + eps)
        w_norm, u_norm = np.sqrt(np.sum(w * w)), np.sqrt(np.sum(u * u))
        ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else real(1)
        u *= real(learning_rate) * ratio
        w -= u

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
