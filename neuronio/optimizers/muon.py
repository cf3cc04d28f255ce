"""Muon (Jordan et al., 2024; Liu et al., 2025, "Muon is Scalable for LLM Training"): momentum on
2-D weights, orthogonalised by a Newton-Schulz iteration; every other weight takes AdamW's step."""

import re

import numpy as np

from neuronio.optimizers.optimizer import Optimizer, _check_number, registry


def newton_schulz5(x: np.ndarray, steps: int, a: float, b: float, c: float) -> np.ndarray:
    """An approximation of U V^T for x = U S V^T: x / (||x||_F + 1e-7), then `steps` times
    x = a x + (b A + c A²) x with A = x x^T (on the wide orientation, transposing tall matrices)."""
    tall = x.shape[-2] > x.shape[-1]
    if tall:
        x = np.swapaxes(x, -1, -2)
    x = x / (np.sqrt(np.sum(x * x, axis=(-2, -1), keepdims=True)) + x.dtype.type(1e-7))
    for _ in range(steps):
        gram = x @ np.swapaxes(x, -1, -2)
        x = a * x + (b * gram + c * gram @ gram) @ x
    return np.swapaxes(x, -1, -2) if tall else x


@registry.register("Muon", "muon")
class Muon(Optimizer):
    """Keras 3's Muon. Each weight takes one of two rules, chosen once when the optimizer is built:

    AdamW, for weights that are not 2-D, whose path contains "embedding" (with
    exclude_embeddings) or matches a regular expression of `exclude_layers` (re.search):
        lr_a = learning_rate * adam_lr_ratio; t = iterations + 1
        m = adam_beta_1 * m + (1 - adam_beta_1) * g;  v = adam_beta_2 * v + (1 - adam_beta_2) * g²
        w -= lr_a * sqrt(1 - adam_beta_2^t) / (1 - adam_beta_1^t) * m / (sqrt(v) + epsilon)
    Muon, for the other (2-D) weights, of shape (n, k):
        m = momentum * m + g
        d = g + momentum * m  (nesterov)  or  m
        w -= learning_rate * newton_schulz5(d) * sqrt(max(n, k)) * rms_rate   (no last factors if rms_rate is None)

    Weight decay, before the step: w -= w * wd * learning_rate, wd = adam_weight_decay for the AdamW
    weights and weight_decay for the Muon ones (None skips it); exclude_from_weight_decay applies.
    Variables, per weight in order: `momentum`, then `velocity` for the AdamW weights.

    Typically pass the output layer's name in `exclude_layers`: the paper optimises embeddings and
    the classifier with AdamW.

    Args:
        learning_rate: step size (float or schedule).
        adam_beta_1, adam_beta_2: AdamW's decays, in [0, 1).
        adam_weight_decay: AdamW's decoupled weight decay, or None.
        epsilon: AdamW's epsilon, added to sqrt(v).
        weight_decay: the Muon weights' decoupled weight decay, or None.
        exclude_layers: regular expressions; a weight whose path matches one takes AdamW's rule.
        exclude_embeddings: give weights whose path contains "embedding" AdamW's rule.
        muon_a, muon_b, muon_c: the coefficients of the quintic Newton-Schulz iteration.
        adam_lr_ratio: AdamW's learning rate as a multiple of `learning_rate`.
        momentum: Muon's momentum, in [0, 1).
        ns_steps: number of Newton-Schulz iterations, >= 0.
        nesterov: Nesterov-style momentum for the Muon weights.
        rms_rate: scale of the update (Moonlight's sqrt(max(n, k)) * rms_rate), so that Muon can
            share AdamW's learning rate and weight decay; None leaves the orthogonalised step as is.
        **kwargs: the other common arguments of `Optimizer` (clipnorm, name, ...).
    """

    def __init__(
        self,
        learning_rate=0.001,
        adam_beta_1=0.9,
        adam_beta_2=0.999,
        adam_weight_decay=0.004,
        epsilon=1e-7,
        weight_decay=0.004,
        exclude_layers=None,
        exclude_embeddings=True,
        muon_a=3.4445,
        muon_b=-4.7750,
        muon_c=2.0315,
        adam_lr_ratio=1,
        momentum=0.95,
        ns_steps=5,
        nesterov=True,
        rms_rate=0.2,
        **kwargs,
    ):
        who = "Muon"
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, **kwargs)
        self.adam_beta_1 = float(_check_number(who, "adam_beta_1", adam_beta_1, low=0.0, high=1.0, high_open=True))
        self.adam_beta_2 = float(_check_number(who, "adam_beta_2", adam_beta_2, low=0.0, high=1.0, high_open=True))
        self.adam_weight_decay = (
            None
            if adam_weight_decay is None
            else float(_check_number(who, "adam_weight_decay", adam_weight_decay, low=0.0))
        )
        self.epsilon = float(_check_number(who, "epsilon", epsilon, low=0.0))
        if isinstance(exclude_layers, str) or not all(isinstance(k, str) for k in exclude_layers or ()):
            raise TypeError(
                f"{who}: `exclude_layers` must be a list of strings (regular expressions matched against "
                f"variable paths); received exclude_layers={exclude_layers!r}. Example: exclude_layers=['output']."
            )
        self.exclude_layers = list(exclude_layers or [])
        self.exclude_embeddings = bool(exclude_embeddings)
        self.muon_a = float(_check_number(who, "muon_a", muon_a))
        self.muon_b = float(_check_number(who, "muon_b", muon_b))
        self.muon_c = float(_check_number(who, "muon_c", muon_c))
        self.adam_lr_ratio = _check_number(who, "adam_lr_ratio", adam_lr_ratio, low=0.0)
        self.momentum = float(_check_number(who, "momentum", momentum, low=0.0, high=1.0, high_open=True))
        if isinstance(ns_steps, bool) or not isinstance(ns_steps, (int, np.integer)) or ns_steps < 0:
            raise ValueError(f"{who}: `ns_steps` must be an integer >= 0; received ns_steps={ns_steps!r}.")
        self.ns_steps = int(ns_steps)
        self.nesterov = bool(nesterov)
        self.rms_rate = None if rms_rate is None else float(_check_number(who, "rms_rate", rms_rate, low=0.0))

    def _uses_adamw(self, variable) -> bool:
        """AdamW's rule for weights not 2-D, embeddings (if excluded) and paths in exclude_layers."""
        if len(variable.shape) != 2:
            return True
        if self.exclude_embeddings and "embedding" in variable.path.lower():
            return True
        return any(re.search(pattern, variable.path) for pattern in self.exclude_layers)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = [], []
        for variable in var_list:
            self._momentums.append(self.add_variable_from_reference(variable, "momentum"))
            adamw = self._uses_adamw(variable)
            self._velocities.append(self.add_variable_from_reference(variable, "velocity") if adamw else None)

    def _apply_weight_decay(self, variables, learning_rate: float) -> None:
        for variable in variables:
            adamw = self._velocities[self._get_variable_index(variable)] is not None
            decay = self.adam_weight_decay if adamw else self.weight_decay
            if decay is not None and self._decays(variable):
                real = variable.dtype.type
                variable.data -= variable.data * real(decay) * real(learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        if self._velocities[i] is not None:
            self._adamw_step(gradient, variable, learning_rate * self.adam_lr_ratio, i)
        else:
            self._muon_step(gradient, variable, learning_rate, i)

    def _muon_step(self, gradient, variable, learning_rate, i):
        m = self._momentums[i].data
        m += gradient + m * (self.momentum - 1)  # m = momentum m + g
        direction = gradient + self.momentum * m if self.nesterov else m
        update = newton_schulz5(direction, self.ns_steps, self.muon_a, self.muon_b, self.muon_c)
        update = variable.dtype.type(learning_rate) * update
        if self.rms_rate is not None:
            update = update * np.sqrt(variable.dtype.type(max(update.shape))) * self.rms_rate
        variable.data -= update

    def _adamw_step(self, gradient, variable, learning_rate, i):
        w, m, v = variable.data, self._momentums[i].data, self._velocities[i].data
        real = variable.dtype.type  # Keras takes the powers of beta in the weight's dtype
        t = real(self._step() + 1)
        alpha = real(learning_rate) * np.sqrt(1 - real(self.adam_beta_2) ** t) / (1 - real(self.adam_beta_1) ** t)
        m += (gradient - m) * (1 - self.adam_beta_1)  # m = b1 m + (1 - b1) g
        v += (gradient * gradient - v) * (1 - self.adam_beta_2)  # v = b2 v + (1 - b2) g²
        w -= (m * alpha) / (np.sqrt(v) + self.epsilon)

    def get_config(self):
        return {
            **super().get_config(),
            "adam_beta_1": self.adam_beta_1,
            "adam_beta_2": self.adam_beta_2,
            "epsilon": self.epsilon,
            "exclude_layers": list(self.exclude_layers),
            "muon_a": self.muon_a,
            "muon_b": self.muon_b,
            "muon_c": self.muon_c,
            "adam_lr_ratio": self.adam_lr_ratio,
            "momentum": self.momentum,
            "ns_steps": self.ns_steps,
            "nesterov": self.nesterov,
            "exclude_embeddings": self.exclude_embeddings,
            "adam_weight_decay": self.adam_weight_decay,
            "rms_rate": self.rms_rate,
        }
