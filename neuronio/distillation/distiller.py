"""Distiller: train a student model from a frozen teacher's outputs and its own labels, as
Keras 3's `keras.distillation.Distiller`.

Per batch (x, y), with student outputs y_pred = student(x):

    student_loss      = the compiled loss of (y, y_pred), averaged over the batch
    distillation_loss = sum_i weight_i * loss_i.compute_loss(teacher features, student features)
    loss              = student_loss_weight * student_loss + (1 - student_loss_weight) * distillation_loss

The features are the final outputs, or the outputs of the layers a FeatureDistillation names
(read through a functional model over the same inputs). The teacher runs in inference mode and
is frozen; the optimizer updates the student only. The logs carry `loss`, `student_loss`,
`distillation_loss`, `total_loss` and the compiled metrics.
"""

from neuronio import losses, metrics, ops
from neuronio.autodiff.tensor import array_of
from neuronio.distillation.distillation_loss import DistillationLoss, FeatureDistillation, LogitsDistillation
from neuronio.models import Model, Sequential

_KINDS = {cls.__name__: cls for cls in (LogitsDistillation, FeatureDistillation)}


class Distiller(Model):
    """Knowledge distillation from `teacher` into `student`.

    Args:
        teacher: a trained Model; frozen here.
        student: the Model to train; `distiller.student` is it, trained, afterwards.
        distillation_losses: one DistillationLoss or a list of them.
        distillation_loss_weights: one weight per distillation loss (default all 1.0).
        student_loss_weight: in [0, 1], the share of the student's own loss (default 0.5).
        name: the model's name (default "distiller").
    """

    def __init__(self, teacher, student, distillation_losses, distillation_loss_weights=None,
                 student_loss_weight=0.5, name="distiller", **kwargs):  # fmt: skip
        super().__init__(name=name, **kwargs)
        for role, model in (("teacher", teacher), ("student", student)):
            if not isinstance(model, Model):
                raise ValueError(f"{role} must be a neuronio Model, got {type(model)}")
        if isinstance(student_loss_weight, bool) or not isinstance(student_loss_weight, (int, float)):
            raise ValueError(f"student_loss_weight must be a number, got {type(student_loss_weight)}")
        if not 0.0 <= student_loss_weight <= 1.0:
            raise ValueError(f"student_loss_weight must be between 0.0 and 1.0, got {student_loss_weight}")
        if distillation_losses is None:
            raise ValueError(
                "'distillation_losses' cannot be `None`. Provide a distillation loss (e.g., LogitsDistillation or "
                "FeatureDistillation) or a list of distillation losses."
            )
        if isinstance(distillation_losses, (list, tuple)):
            distillation_losses = list(distillation_losses)
            weights = (
                [1.0] * len(distillation_losses)
                if distillation_loss_weights is None
                else list(distillation_loss_weights)
            )
            if len(weights) != len(distillation_losses):
                raise ValueError(
                    f"Number of distillation_loss_weights ({len(weights)}) must match number of distillation_losses "
                    f"({len(distillation_losses)})"
                )
        else:
            distillation_losses, weights = [distillation_losses], [1.0]
        for item in distillation_losses:
            if not isinstance(item, DistillationLoss):
                raise ValueError(
                    f"Each distillation loss must be a keras.distillation.DistillationLoss (LogitsDistillation, "
                    f"FeatureDistillation or a subclass); received {type(item).__name__}."
                )
            item.validate_model_compatibility(teacher, student)
        self.teacher, self.student = teacher, student
        self.distillation_losses, self.distillation_loss_weights = distillation_losses, weights
        self.student_loss_weight = student_loss_weight
        self._teacher_features = _feature_model(
            teacher, [getattr(d, "teacher_layer_name", None) for d in distillation_losses]
        )
        self._student_features = _feature_model(
            student, [getattr(d, "student_layer_name", None) for d in distillation_losses]
        )
        self.teacher.trainable = False
        self.student_loss_tracker = metrics.Mean(name="student_loss")
        self.distillation_loss_tracker = metrics.Mean(name="distillation_loss")
        self.total_loss_tracker = metrics.Mean(name="total_loss")

    def compile(self, optimizer="adam", loss=None, metrics=None, **kwargs):
        """`loss` is the student's own loss (required); the distillation terms come from the
        constructor."""
        if loss is None:
            raise ValueError("'loss' cannot be `None`.")
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise ValueError(f"metrics must be a list or tuple, got {type(metrics)}")
        self._student_loss = (
            [losses.get(item) for item in loss] if isinstance(loss, (list, tuple)) else losses.get(loss)
        )
        self._student_loss_for_serialization = loss
        super().compile(optimizer=optimizer, loss=None, metrics=metrics, **kwargs)

    def call(self, inputs, training=None):
        return self.student(inputs, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        del sample_weight  # as in Keras: the distiller's terms are batch means
        if y_pred is None:
            y_pred = self(x, training=training)
        student_loss = 0.0
        if self.student_loss_weight > 0.0 and y is not None:
            fns = self._student_loss if isinstance(self._student_loss, list) else [self._student_loss]
            ys = list(y) if isinstance(y, (list, tuple)) and len(fns) > 1 else [y]
            preds = list(y_pred) if isinstance(y_pred, (list, tuple)) else [y_pred]
            for fn, target, prediction in zip(fns, ys, preds, strict=True):
                value = fn(target, prediction)
                value = ops.mean(value) if getattr(value, "ndim", 0) else value
                student_loss = value if isinstance(student_loss, float) else student_loss + value
        distillation_loss = 0.0
        if self.student_loss_weight < 1.0:
            teacher = self._features(self.teacher, self._teacher_features, x, False, None)
            student = self._features(self.student, self._student_features, x, True, y_pred)
            for item, weight in zip(self.distillation_losses, self.distillation_loss_weights):
                t_out = teacher[getattr(item, "teacher_layer_name", None) or "final_output"]
                s_out = student[getattr(item, "student_layer_name", None) or "final_output"]
                item.validate_outputs(t_out, s_out)
                value = item.compute_loss(t_out, s_out)
                if getattr(value, "ndim", 0):
                    raise ValueError(
                        f"Distillation loss {type(item).__name__} returned a non-scalar loss with shape {value.shape}. "
                        "The compute_loss method must return a scalar tensor."
                    )
                distillation_loss = distillation_loss + weight * value
        total = self.student_loss_weight * student_loss + (1.0 - self.student_loss_weight) * distillation_loss
        for tracker, value in ((self.student_loss_tracker, student_loss),
                               (self.distillation_loss_tracker, distillation_loss), (self.total_loss_tracker, total)):  # fmt: skip
            tracker.update_state(float(array_of(value)))
        return total if not isinstance(total, float) else ops.convert_to_tensor(total)

    @staticmethod
    def _features(model, extractor, x, training, final):
        """{"final_output": ..., layer name: ...}: the extractor's outputs, or just the final one."""
        if extractor is None:
            return {"final_output": model(x, training=training) if final is None else final}
        outputs = extractor(x, training=training)
        return dict(zip(extractor.feature_names, outputs if isinstance(outputs, (list, tuple)) else [outputs]))

    def get_config(self):
        from neuronio.saving import serialize_keras_object

        return {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": self.dtype,
            "teacher": serialize_keras_object(self.teacher),
            "student": serialize_keras_object(self.student),
            "distillation_losses": [_loss_envelope(item) for item in self.distillation_losses],
            "distillation_loss_weights": list(self.distillation_loss_weights),
            "student_loss_weight": self.student_loss_weight,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from neuronio.saving import deserialize_keras_object

        config = dict(config)
        config.pop("trainable", None)
        config.pop("dtype", None)  # float32 throughout, as the teacher's and student's own configs say
        for role in ("teacher", "student"):
            config[role] = deserialize_keras_object(config[role], custom_objects=custom_objects)
        from neuronio.saving import get_registered_object

        built = []
        for item in config["distillation_losses"]:
            name = item.get("registered_name") or item["class_name"]
            kind = _KINDS.get(item["class_name"]) if item.get("module") in (None, "keras.distillation") else None
            kind = kind or get_registered_object(name, custom_objects) or (custom_objects or {}).get(item["class_name"])
            if kind is None:
                raise ValueError(
                    f"Distiller.from_config: unknown distillation loss '{item['class_name']}' (registered as "
                    f"{item.get('registered_name')!r}); decorate its class with "
                    f"@neuronio.saving.register_keras_serializable() or pass it in custom_objects."
                )
            built.append(kind.from_config(item["config"]))
        config["distillation_losses"] = built
        return cls(**config)


def _loss_envelope(item) -> dict:
    """Keras's envelope of a distillation loss: its own classes under keras.distillation, a user's
    subclass under its module with the name it was registered by (if any)."""
    cls = type(item)
    if _KINDS.get(cls.__name__) is cls:
        return {"module": "keras.distillation", "class_name": cls.__name__, "config": item.get_config(),
                "registered_name": None}  # fmt: skip
    from neuronio.saving import object_registration

    return object_registration.custom_envelope(cls, item.get_config())


def _feature_model(model, layer_names):
    """A functional model from `model`'s inputs to its final output and the named layers' outputs,
    or None when no layer is named (the final output is then `model(x)` itself)."""
    names = list(dict.fromkeys(name for name in layer_names if name))
    if not names:
        return None
    final = model.layers[-1].output if isinstance(model, Sequential) else model.output
    outputs = [final] + [model.get_layer(name=name).output for name in names]
    extractor = Model(inputs=model.inputs, outputs=outputs, name=f"{model.name}_multi_feature_extractor")
    extractor.feature_names = ["final_output", *names]
    return extractor
