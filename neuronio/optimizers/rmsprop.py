"""RMSprop: divide the step by a running root-mean-square of the gradients."""

import numpy as np

from neuronio.optimizers.optimizer import Optimizer, _check_number, registry


@registry.register("RMSprop", "rmsprop")
class RMSprop(Optimizer):
    """Keras 3's RMSprop (epsilon inside the square root):

        v = rho * v + (1 - rho) * g²
        centered:  a = rho * a + (1 - rho) * g;   denominator = sqrt(v - a² + eps)
        otherwise:                                denominator = sqrt(v + eps)
        step = lr * g / denominator
        momentum > 0:  s = momentum * s + step;   w -= s
        otherwise:     w -= step

    Args:
        learning_rate: step size (float or schedule).
        rho: decay of the running mean of squared gradients, in [0, 1].
        momentum: float in [0, 1]; 0 keeps no momentum slot.
        epsilon: added to the mean square before the root.
        centered: also track the mean gradient and divide by the estimated variance instead.
        **kwargs: the common arguments of `Optimizer`.
    """

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.9,
        momentum=0.0,
        epsilon=1e-7,
        centered=False,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = float(_check_number("RMSprop", "rho", rho, low=0.0, high=1.0))
        self.momentum = float(_check_number("RMSprop", "momentum", momentum, low=0.0, high=1.0))
        self.epsilon = float(_check_number("RMSprop", "epsilon", epsilon, low=0.0))
        self.centered = bool(centered)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        # Three separate calls, hence three blocks in `variables` (Keras's order).
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        self._momentums = self.add_optimizer_variables(var_list, "momentum") if self.momentum > 0 else []
        self._average_gradients = self.add_optimizer_variables(var_list, "average_gradient") if self.centered else []

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        w, v, tmp = variable.data, self._velocities[i].data, self._scratch[i]
        np.multiply(gradient, gradient, out=tmp)
        tmp *= 1.0 - self.rho
        v *= self.rho
        v += tmp  # v = rho * v + (1 - rho) * g²
        np.add(v, self.epsilon, out=tmp)
        if self.centered:
            a = self._average_gradients[i].data
            a *= self.rho
            a += (1.0 - self.rho) * gradient  # a = rho * a + (1 - rho) * g
            tmp -= a * a  # v + eps - a²
        np.sqrt(tmp, out=tmp)
        np.divide(gradient, tmp, out=tmp)
        tmp *= learning_rate  # step = lr * g / sqrt(...)
        if self.momentum > 0:
            s = self._momentums[i].data
            s *= self.momentum
            s += tmp
            w -= s
        else:
            w -= tmp

    def get_config(self):
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }
