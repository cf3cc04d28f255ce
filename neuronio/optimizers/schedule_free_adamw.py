"""Schedule-Free AdamW (Defazio et al., 2024, "The Road Less Scheduled"): no decay schedule; the
weights interpolate between an Adam-style sequence z and the running average x of z."""

import numpy as np

from neuronio.optimizers.optimizer import Optimizer, _check_number, registry


@registry.register("ScheduleFreeAdamW", "schedule_free_adamw")
class ScheduleFreeAdamW(Optimizer):
    """Keras 3's ScheduleFreeAdamW, t = iterations + 1. The model's weight is y; the optimizer
    keeps z (`momentum`, starting at the initial weight) and v (`velocity`); x is implied by y and z:

        lr_t = lr * min(t / warmup_steps, 1)               (lr if warmup_steps == 0)
        v = beta_2 * v + (1 - beta_2) * g²
        z_new = z - lr_t * g / (sqrt(v / (1 - beta_2^t)) + eps)
        x = (y - (1 - beta_1) * z) / beta_1                (x before this step, from y and the old z)
        x = (1 - 1/t) * x + (1/t) * z_new                  (the uniform average of the z's)
        y = (1 - beta_1) * z_new + beta_1 * x

    Evaluate with the weights as they are (y), as Keras does. Note: Keras 3.15 on the torch backend
    reads z *after* its update where the rule above reads the old z (its torch variables are
    updated in place); neuronio follows the rule, which agrees with Keras on the first step.

    Args:
        learning_rate: the peak step size (float or schedule).
        beta_1: interpolation weight of x in y, in (0, 1].
        beta_2: decay of the mean squared gradient, in [0, 1).
        epsilon: added to the root of the bias-corrected v.
        warmup_steps: steps over which the rate rises linearly from lr / warmup_steps to lr.
        **kwargs: the common arguments of `Optimizer`.
    """

    def __init__(self, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8, warmup_steps=0, **kwargs):
        who = "ScheduleFreeAdamW"
        super().__init__(learning_rate=learning_rate, **kwargs)
        beta_1 = _check_number(who, "beta_1", beta_1, low=0.0, high=1.0)
        if beta_1 == 0:
            raise ValueError(
                f"{who}: `beta_1` must be in (0, 1]: x is recovered as (y - (1 - beta_1) z) / beta_1. "
                f"Received beta_1=0; use the default 0.9."
            )
        self.beta_1 = float(beta_1)
        self.beta_2 = float(_check_number(who, "beta_2", beta_2, low=0.0, high=1.0, high_open=True))
        self.epsilon = float(_check_number(who, "epsilon", epsilon, low=0.0))
        if isinstance(warmup_steps, bool) or not isinstance(warmup_steps, (int, np.integer)) or warmup_steps < 0:
            raise ValueError(f"{who}: `warmup_steps` must be an integer >= 0; received warmup_steps={warmup_steps!r}.")
        self.warmup_steps = int(warmup_steps)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(var_list, ["momentum", "velocity"])
        for z, variable in zip(self._momentums, var_list, strict=True):
            z.assign(variable.data)  # z starts at the initial weight

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        y, z, v, tmp = variable.data, self._momentums[i].data, self._velocities[i].data, self._scratch[i]
        real = variable.dtype.type  # Keras computes the step's scalars in the weight's dtype
        t = real(self._step() + 1)
        b1, b2 = real(self.beta_1), real(self.beta_2)
        lr = real(learning_rate)
        if self.warmup_steps > 0:
            lr = lr * min(t / real(self.warmup_steps), real(1))
        x = (y - (1 - b1) * z) / b1  # the average before this step, from the old z
        v += (gradient * gradient - v) * (1 - b2)  # v = b2 v + (1 - b2) g²
        np.divide(v, 1 - b2**t, out=tmp)
        np.sqrt(tmp, out=tmp)
        tmp += real(self.epsilon)
        z -= (lr * gradient) / tmp
        weight = real(1) / t
        x *= 1 - weight
        x += weight * z
        y[...] = (1 - b1) * z + b1 * x

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "warmup_steps": self.warmup_steps,
        }
