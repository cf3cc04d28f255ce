"""Stochastic gradient descent, with optional (Nesterov) momentum."""

import numpy as np

from neuronio.optimizers.optimizer import Optimizer, _check_number, registry


@registry.register("SGD", "sgd")
class SGD(Optimizer):
    """Gradient descent with momentum, Keras 3's rule:

        plain:     w -= lr * g
        momentum:  m = momentum * m - lr * g;   w += m
        nesterov:  m = momentum * m - lr * g;   w += momentum * m - lr * g

    Args:
        learning_rate: step size (float or schedule).
        momentum: float in [0, 1]; 0 keeps no velocity slot.
        nesterov: use Nesterov momentum.
        **kwargs: the common arguments of `Optimizer` (weight_decay, clipnorm, name, ...).

    >>> from neuronio import Variable
    >>> w = Variable(np.array([1.0, 2.0], "float32"))
    >>> SGD(learning_rate=0.1).apply([np.array([1.0, -1.0], "float32")], [w])
    >>> w.numpy()
    array([0.9, 2.1], dtype=float32)
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = float(_check_number("SGD", "momentum", momentum, low=0.0, high=1.0))
        self.nesterov = bool(nesterov)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self.momentums = self.add_optimizer_variables(var_list, "momentum") if self.momentum != 0 else []

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        w, step = variable.data, self._scratch[i]
        np.multiply(gradient, learning_rate, out=step)  # step = lr * g
        if self.momentum == 0:
            w -= step
            return
        m = self.momentums[i].data
        m *= self.momentum
        m -= step  # m = momentum * m - lr * g
        if self.nesterov:
            w -= step
            np.multiply(m, self.momentum, out=step)
            w += step  # w += momentum * m - lr * g
        else:
            w += m

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
