"""Lion (Chen et al., 2023, "Symbolic Discovery of Optimization Algorithms"): the sign of an
interpolated momentum is the step, so every entry moves by exactly the learning rate."""

import numpy as np

from neuronio.optimizers.optimizer import Optimizer, _check_number, registry


@registry.register("Lion", "lion")
class Lion(Optimizer):
    """Keras 3's Lion:

        w -= lr * sign(beta_1 * m + (1 - beta_1) * g)
        m  = beta_2 * m + (1 - beta_2) * g

    The step uses the momentum *before* it takes in g (with beta_1), the momentum then keeps
    g with the slower beta_2. As the paper advises, take a learning rate 3-10x smaller than
    AdamW's and a weight decay 3-10x larger.

    Args:
        learning_rate: step size (float or schedule).
        beta_1: weight of the old momentum in the step, in (0, 1] (0 would make it signSGD).
        beta_2: decay of the momentum, in [0, 1].
        **kwargs: the common arguments of `Optimizer`.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        beta_1 = _check_number("Lion", "beta_1", beta_1, low=0.0, high=1.0)
        if beta_1 == 0:
            raise ValueError(
                "Lion: `beta_1` must be in (0, 1]: with beta_1=0 the step ignores the momentum and Lion "
                "becomes signSGD. Received beta_1=0; use the default 0.9."
            )
        self.beta_1 = float(beta_1)
        self.beta_2 = float(_check_number("Lion", "beta_2", beta_2, low=0.0, high=1.0))

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums = self.add_optimizer_variables(var_list, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        w, m, tmp = variable.data, self._momentums[i].data, self._scratch[i]
        np.multiply(gradient, 1.0 - self.beta_1, out=tmp)
        tmp += m * self.beta_1  # b1 m + (1 - b1) g, with the old m
        np.sign(tmp, out=tmp)
        tmp *= learning_rate
        w -= tmp
        np.multiply(gradient, 1.0 - self.beta_2, out=tmp)
        m *= self.beta_2
        m += tmp  # m = b2 m + (1 - b2) g

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
