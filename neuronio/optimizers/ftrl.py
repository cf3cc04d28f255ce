"""FTRL-Proximal (McMahan et al., 2013, "Ad Click Prediction: a View from the Trenches"): each
weight is solved for in closed form from a running linear term, which gives exact zeros under L1."""

import numpy as np

from neuronio.optimizers.optimizer import Optimizer, _check_number, registry


@registry.register("Ftrl", "ftrl")
class Ftrl(Optimizer):
    """Keras 3's Ftrl, with p = -learning_rate_power (0.5 by default) and per entry:

        g' = g + 2 * l2_shrinkage * w                      (shrinkage-type L2, a penalty on the loss)
        n_new = n + g²
        z += g' - (n_new^p - n^p) / lr * w                 (`linear`)
        w  = (clip(z, -l1, l1) - z) / (n_new^p / lr + 2 * (l2 + beta / (2 lr)))
        n  = n_new                                         (`accumulator`)

    so |z| <= l1 gives w = 0 exactly. The new weight replaces the old one: FTRL does not step
    from w, it re-solves for it.

    Args:
        learning_rate: alpha of the paper (float or schedule).
        learning_rate_power: minus the power of n in the per-entry rate, <= 0; 0 keeps the rate fixed.
        initial_accumulator_value: the starting n, >= 0.
        l1_regularization_strength: lambda_1 of the paper, >= 0.
        l2_regularization_strength: lambda_2 of the paper (a stabilising L2), >= 0.
        l2_shrinkage_regularization_strength: an L2 penalty added to the gradient, >= 0.
        beta: beta of the paper, added to sqrt(n) (it enters as l2 + beta / (2 lr)).
        **kwargs: the common arguments of `Optimizer`.
    """

    def __init__(
        self,
        learning_rate=0.001,
        learning_rate_power=-0.5,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        l2_shrinkage_regularization_strength=0.0,
        beta=0.0,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.learning_rate_power = float(_check_number("Ftrl", "learning_rate_power", learning_rate_power, high=0.0))
        nonnegative = {
            "initial_accumulator_value": initial_accumulator_value,
            "l1_regularization_strength": l1_regularization_strength,
            "l2_regularization_strength": l2_regularization_strength,
            "l2_shrinkage_regularization_strength": l2_shrinkage_regularization_strength,
        }
        for key, value in nonnegative.items():
            setattr(self, key, float(_check_number("Ftrl", key, value, low=0.0)))
        self.beta = float(_check_number("Ftrl", "beta", beta))

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulators, self._linears = self.add_optimizer_variables(
            var_list, ["accumulator", "linear"], initializer=[self.initial_accumulator_value, 0.0]
        )

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        w, n, z = variable.data, self._accumulators[i].data, self._linears[i].data
        real = variable.dtype.type
        lr, power = real(learning_rate), -self.learning_rate_power
        l1, l2 = self.l1_regularization_strength, self.l2_regularization_strength + self.beta / (2.0 * lr)
        shrunk = gradient + (2 * self.l2_shrinkage_regularization_strength) * w
        n_new = n + gradient * gradient
        n_new_power = np.power(n_new, power)
        z += shrunk - (n_new_power - np.power(n, power)) / lr * w
        quadratic = n_new_power / lr + 2 * l2
        w[...] = (np.clip(z, -l1, l1) - z) / quadratic
        n[...] = n_new

    def get_config(self):
        return {
            **super().get_config(),
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        }
