"""Adagrad: per-entry step sizes that shrink with the sum of all past squared gradients."""

import numpy as np

from neuronio.optimizers.optimizer import Optimizer, _check_number, registry


@registry.register("Adagrad", "adagrad")
class Adagrad(Optimizer):
    """Keras 3's Adagrad (epsilon inside the square root):

        a += g²                    (a starts at initial_accumulator_value)
        w -= lr * g / sqrt(a + eps)

    Args:
        learning_rate: step size (float or schedule).
        initial_accumulator_value: starting value of every accumulator entry, >= 0.
        epsilon: added to the accumulator before the root.
        **kwargs: the common arguments of `Optimizer`.
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.initial_accumulator_value = float(
            _check_number("Adagrad", "initial_accumulator_value", initial_accumulator_value, low=0.0)
        )
        self.epsilon = float(_check_number("Adagrad", "epsilon", epsilon, low=0.0))

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulators = self.add_optimizer_variables(
            var_list, "accumulator", initializer=self.initial_accumulator_value
        )

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        w, a, tmp = variable.data, self._accumulators[i].data, self._scratch[i]
        np.multiply(gradient, gradient, out=tmp)
        a += tmp  # a += g²
        np.add(a, self.epsilon, out=tmp)
        np.sqrt(tmp, out=tmp)
        np.divide(gradient, tmp, out=tmp)
        tmp *= learning_rate
        w -= tmp  # w -= lr * g / sqrt(a + eps)

    def get_config(self):
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }
