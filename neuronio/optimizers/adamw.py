"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as Keras 3 defines it."""

from neuronio.optimizers.adam import Adam
from neuronio.optimizers.optimizer import registry


@registry.register("AdamW", "adamw")
class AdamW(Adam):
    """Keras 3's AdamW: Adam's update, after every weight shrinks by the decoupled weight decay

        w *= 1 - weight_decay * lr                        (Optimizer.apply, step 5)
        w -= lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + eps)   (Adam)

    The only difference from `Adam(weight_decay=...)` is the default: weight_decay=0.004, and it
    may not be None. Exempt biases and normalization parameters with
    `optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])` if you wish.

    Args:
        learning_rate: step size (float or schedule).
        weight_decay: the decay rate per unit of learning rate.
        beta_1, beta_2, epsilon, amsgrad: as Adam.
        **kwargs: the common arguments of `Optimizer`.

    >>> AdamW().get_config()["weight_decay"]
    0.004
    """

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=0.004,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        **kwargs,
    ):
        if weight_decay is None:
            raise ValueError("AdamW: `weight_decay` must be a float (default 0.004); received weight_decay=None.")
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            weight_decay=weight_decay,
            **kwargs,
        )
