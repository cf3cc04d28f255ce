"""The losses a `Distiller` adds to the student's own: `LogitsDistillation` (match the teacher's
temperature-softened outputs) and `FeatureDistillation` (match a layer's activations), with
Keras 3's arguments and arithmetic.

Outputs may be one tensor or a list of them (several outputs); `loss` is then one loss per
output, None skipping that output. Each term is the batch mean of the loss, and the terms add up.

LogitsDistillation divides both models' outputs by `temperature`. When the loss is a
`losses.KLDivergence` instance, the scaled outputs go through a softmax first and the result is
multiplied by temperature**2 (Hinton et al.); any other loss, the default "kl_divergence" name
included (it resolves to the function, as in Keras), compares the scaled outputs directly.
"""

from neuronio import losses, ops


def _resolve(loss):
    if isinstance(loss, (list, tuple)):
        return [_resolve(item) for item in loss]
    if loss is None:
        return None
    resolved = losses.get(loss)
    if resolved is None:
        raise ValueError(f"Unknown loss function: '{loss}'.")
    return resolved


def _flat(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _pairs(loss, teacher_outputs, student_outputs):
    """(loss, teacher output, student output) per output, the structures checked alike."""
    fns, teacher, student = _flat(loss), _flat(teacher_outputs), _flat(student_outputs)
    if not len(fns) == len(teacher) == len(student):
        raise ValueError(
            f"Loss structure mismatch: {len(fns)} loss(es) for {len(teacher)} teacher and {len(student)} student "
            "output(s); give one loss per output (None to skip one)."
        )
    return zip(fns, teacher, student)


class DistillationLoss:
    """Base class: subclass it and define `compute_loss(teacher_outputs, student_outputs)`
    returning a scalar; `validate_outputs` and `validate_model_compatibility` may check inputs."""

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement compute_loss(teacher_outputs, student_outputs).")

    def validate_outputs(self, teacher_outputs, student_outputs):
        if len(_flat(teacher_outputs)) != len(_flat(student_outputs)):
            raise ValueError(
                f"Teacher and student outputs must have the same structure: {len(_flat(teacher_outputs))} vs "
                f"{len(_flat(student_outputs))} output(s)."
            )

    def validate_model_compatibility(self, teacher, student):
        """Called by the Distiller before training; raise ValueError if the models do not fit."""

    def _check_losses(self, loss):
        self.loss = _resolve(loss)
        if all(item is None for item in _flat(self.loss)):
            raise ValueError("At least one loss must be non-`None`.")

    def _loss_config(self):
        def one(item):
            return None if item is None else losses.serialize(item)

        return [one(item) for item in self.loss] if isinstance(self.loss, list) else one(self.loss)

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        loss = config.get("loss")
        if isinstance(loss, list):
            config["loss"] = [None if item is None else losses.get(item) for item in loss]
        elif loss is not None:
            config["loss"] = losses.get(loss)
        return cls(**config)


class LogitsDistillation(DistillationLoss):
    """Match the teacher's final outputs, both divided by `temperature`.

    Args:
        temperature: a positive number; higher values soften the distributions.
        loss: a loss name, instance or function (or one per output, None to skip an output);
            default "kl_divergence".
    """

    def __init__(self, temperature=3.0, loss="kl_divergence"):
        self._check_losses(loss)
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
            raise ValueError(f"temperature must be a number, got {type(temperature)}")
        if temperature <= 0.0:
            raise ValueError(f"temperature must be positive; received temperature={temperature}.")
        self.temperature = temperature

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        total = None
        for fn, teacher, student in _pairs(self.loss, teacher_outputs, student_outputs):
            if fn is None:
                continue
            teacher, student = teacher / self.temperature, student / self.temperature
            if isinstance(fn, losses.KLDivergence):
                term = ops.mean(fn(ops.softmax(teacher, axis=-1), ops.softmax(student, axis=-1)))
                term = term * (self.temperature**2)
            else:
                term = ops.mean(fn(teacher, student))
            total = term if total is None else total + term
        return total

    def get_config(self):
        return {"temperature": self.temperature, "loss": self._loss_config()}


class FeatureDistillation(DistillationLoss):
    """Match a teacher layer's output with a student layer's (the final outputs when a name is None).

    Args:
        loss: a loss name, instance or function (or one per output); default "mse".
        teacher_layer_name, student_layer_name: the layers whose outputs are compared; both models
            must then be Sequential or functional, so that the layers' outputs can be reached.
    """

    def __init__(self, loss="mse", teacher_layer_name=None, student_layer_name=None):
        self._check_losses(loss)
        self.teacher_layer_name = teacher_layer_name
        self.student_layer_name = student_layer_name

    def validate_model_compatibility(self, teacher, student):
        for role, model, layer_name in (("teacher", teacher, self.teacher_layer_name),
                                        ("student", student, self.student_layer_name)):  # fmt: skip
            if layer_name is None:
                continue
            if not getattr(model, "inputs", None):
                raise ValueError(
                    f"FeatureDistillation with specific layer names requires Functional or Sequential models. The "
                    f"{role} model appears to be subclassed (no symbolic inputs/outputs). Use a Functional or "
                    "Sequential model, FeatureDistillation without layer names, or LogitsDistillation."
                )
            try:
                model.get_layer(name=layer_name)
            except ValueError as exc:
                raise ValueError(f"In {role} model: {exc}") from exc

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        total = None
        for fn, teacher, student in _pairs(self.loss, teacher_outputs, student_outputs):
            if fn is None:
                continue
            term = ops.mean(fn(teacher, student))
            total = term if total is None else total + term
        return total

    def get_config(self):
        return {
            "loss": self._loss_config(),
            "teacher_layer_name": self.teacher_layer_name,
            "student_layer_name": self.student_layer_name,
        }
