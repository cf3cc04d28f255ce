"""Adam: momentum on the gradient, divided by the root of a running mean of its square."""

import numpy as np

from neuronio.ops import _kernels
from neuronio.optimizers.optimizer import Optimizer, _check_number, registry


def _compiled_update():
    """numba's Adam update (the `fast` extra): the reference's operations in the same order and
    dtype, in one pass over the weights instead of seven. Registered with the kernel seam as the
    replacement of the "adam" update; ImportError without numba."""
    from neuronio.ops import _compiled

    _compiled.compiled()  # numba is installed, and its process settings applied
    import numba

    def adam(w, g, m, v, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2, epsilon, alpha):
        for k in numba.prange(w.size):
            gk = g[k]
            mk = m[k] * beta_1 + gk * one_minus_beta_1
            vk = v[k] * beta_2 + (gk * gk) * one_minus_beta_2
            m[k] = mk
            v[k] = vk
            w[k] -= (mk / (np.sqrt(vk) + epsilon)) * alpha

    builds = _compiled.compile_both(numba, {"adam": adam})  # serial for small variables (a bias): see _compiled

    def update(optimizer, w, g, m, v, alpha):
        real = w.dtype.type
        b1, b2 = optimizer.beta_1, optimizer.beta_2
        # The elementwise kernel takes flat views (reshaping inside a parallel kernel silently
        # wrote to a copy in numba 0.68: Adam updated nothing).
        args = (real(b1), real(1.0 - b1), real(b2), real(1.0 - b2), real(optimizer.epsilon), alpha)
        kernels = builds.parallel if w.size >= _compiled.PARALLEL_FROM else builds.serial
        kernels.adam(w.reshape(-1), np.ascontiguousarray(g).reshape(-1), m.reshape(-1), v.reshape(-1), *args)

    return _kernels.Replacement(forward=update)


_kernels.register("adam", "numba", _compiled_update)


@registry.register("Adam", "adam")
class Adam(Optimizer):
    """Keras 3's Adam, t = iterations + 1:

        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g²
        amsgrad:  v_hat = max(v_hat, v), used in place of v below
        w -= lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + eps)

    The bias corrections are folded into the step size, so epsilon is not bias-corrected (the
    "epsilon hat" of Kingma & Ba, section 2), exactly as Keras computes it.

    Args:
        learning_rate: step size (float or schedule).
        beta_1: decay of the mean gradient, in [0, 1).
        beta_2: decay of the mean squared gradient, in [0, 1).
        epsilon: added to sqrt(v).
        amsgrad: divide by the largest v seen so far (Reddi et al., 2018).
        **kwargs: the common arguments of `Optimizer`.
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = float(_check_number("Adam", "beta_1", beta_1, low=0.0, high=1.0, high_open=True))
        self.beta_2 = float(_check_number("Adam", "beta_2", beta_2, low=0.0, high=1.0, high_open=True))
        self.epsilon = float(_check_number("Adam", "epsilon", epsilon, low=0.0))
        self.amsgrad = bool(amsgrad)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(var_list, ["momentum", "velocity"])
        self._velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat") if self.amsgrad else []

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        w, m, v, tmp = variable.data, self._momentums[i].data, self._velocities[i].data, self._scratch[i]
        # Keras casts beta and t to the weight's dtype before the powers. In float32, 1 - beta_2 at
        # t = 1 is 1.3e-5 (relative) away from 0.001, so matching Keras means rounding as it does.
        real = variable.dtype.type
        t = real(self._step() + 1)
        alpha = real(learning_rate) * np.sqrt(1 - real(self.beta_2) ** t) / (1 - real(self.beta_1) ** t)
        fast = None if self.amsgrad else _kernels.forward("adam", w.dtype)
        if fast is not None and gradient.dtype == w.dtype and w.flags.c_contiguous:
            fast(self, w, gradient, m, v, alpha)  # the seam's replacement (numba): the same update
            return
        np.multiply(gradient, 1.0 - self.beta_1, out=tmp)
        m *= self.beta_1
        m += tmp  # m = b1 m + (1 - b1) g
        np.multiply(gradient, gradient, out=tmp)
        tmp *= 1.0 - self.beta_2
        v *= self.beta_2
        v += tmp  # v = b2 v + (1 - b2) g²
        if self.amsgrad:
            v_hat = self._velocity_hats[i].data
            np.maximum(v_hat, v, out=v_hat)
            v = v_hat
        np.sqrt(v, out=tmp)
        tmp += self.epsilon
        np.divide(m, tmp, out=tmp)
        tmp *= alpha
        w -= tmp  # w -= alpha m / (sqrt(v) + eps)

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }
