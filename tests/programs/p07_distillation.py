"""Knowledge distillation (keras.io): a Distiller whose compute_loss mixes the student's loss on
the labels with a KL divergence to the teacher's softened predictions."""

import keras
import numpy as np
from keras import layers, ops


class Distiller(keras.Model):
    def __init__(self, student, teacher):
        super().__init__()
        self.teacher = teacher
        self.student = student

    def compile(self, optimizer, metrics, student_loss_fn, distillation_loss_fn, alpha=0.1, temperature=3):
        super().compile(optimizer=optimizer, metrics=metrics)
        self.student_loss_fn = student_loss_fn
        self.distillation_loss_fn = distillation_loss_fn
        self.alpha = alpha
        self.temperature = temperature

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, allow_empty=False):
        teacher_pred = self.teacher(x, training=False)
        student_loss = self.student_loss_fn(y, y_pred)
        distillation_loss = self.distillation_loss_fn(
            ops.softmax(teacher_pred / self.temperature, axis=1),
            ops.softmax(y_pred / self.temperature, axis=1),
        ) * (self.temperature**2)
        self.distillation_calls = getattr(self, "distillation_calls", 0) + 1
        return self.alpha * student_loss + (1 - self.alpha) * distillation_loss

    def call(self, x):
        return self.student(x)


teacher = keras.Sequential(
    [
        keras.Input(shape=(12, 12, 1)),
        layers.Conv2D(8, 3, strides=2),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Flatten(),
        layers.Dense(10),
    ],
    name="teacher",
)
student = keras.Sequential(
    [
        keras.Input(shape=(12, 12, 1)),
        layers.Conv2D(4, 3, strides=2),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Flatten(),
        layers.Dense(10),
    ],
    name="student",
)

rng = np.random.default_rng(0)
x_train = rng.random((64, 12, 12, 1), dtype="float32")
y_train = rng.integers(0, 10, 64)
teacher.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=[keras.metrics.SparseCategoricalAccuracy()],
)
teacher.fit(x_train, y_train, epochs=1, verbose=0)

teacher.trainable = False  # the teacher is tracked by the distiller: freeze it
distiller = Distiller(student=student, teacher=teacher)
distiller.compile(
    optimizer=keras.optimizers.Adam(),
    metrics=[keras.metrics.SparseCategoricalAccuracy()],
    student_loss_fn=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    distillation_loss_fn=keras.losses.KLDivergence(),
    alpha=0.1,
    temperature=10,
)
teacher_before = [w.copy() for w in teacher.get_weights()]
history = distiller.fit(x_train, y_train, epochs=2, batch_size=32, verbose=0)
assert distiller.distillation_calls >= 4  # fit used the override
assert "sparse_categorical_accuracy" in history.history
for before, after in zip(teacher_before, teacher.get_weights()):
    np.testing.assert_array_equal(before, after)  # only the student learns
logs = distiller.evaluate(x_train, y_train, verbose=0, return_dict=True)
assert "sparse_categorical_accuracy" in logs
