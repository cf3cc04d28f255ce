"""Knowledge distillation twice: the classic keras.io Distiller (a Model subclass with its own
train_step / test_step mixing a student loss with a temperature-softened KL term), and Keras 3's
keras.distillation.Distiller with LogitsDistillation. Both train only the student."""

import engine_gradients
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

    def train_step(self, data):
        x, y = data
        teacher_predictions = self.teacher(x, training=False)

        seen = {}

        def forward():
            seen["student"] = student_predictions = self.student(x, training=True)
            student_loss = self.student_loss_fn(y, student_predictions)
            distillation_loss = self.distillation_loss_fn(
                ops.softmax(teacher_predictions / self.temperature, axis=1),
                ops.softmax(student_predictions / self.temperature, axis=1),
            ) * (self.temperature**2)
            return self.alpha * student_loss + (1 - self.alpha) * distillation_loss

        weights = self.student.trainable_variables
        loss, grads = engine_gradients.loss_and_gradients(forward, weights)
        engine_gradients.apply(self.optimizer, grads, weights)
        student_predictions = seen["student"]
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, student_predictions)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        y_prediction = self.student(x, training=False)
        student_loss = self.student_loss_fn(y, y_prediction)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(student_loss)
            else:
                metric.update_state(y, y_prediction)
        return {m.name: m.result() for m in self.metrics}

    def call(self, x):
        return self.student(x)


def make(name, width):
    return keras.Sequential([keras.Input((8,)), layers.Dense(width, activation="relu"), layers.Dense(4)], name=name)


rng = np.random.default_rng(0)
x = rng.normal(size=(96, 8)).astype("float32")
y = np.argmax(x[:, :4] + 0.5 * x[:, 4:], axis=1)

teacher = make("teacher", 32)
teacher.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
teacher.fit(x, y, epochs=3, batch_size=16, verbose=0)
teacher_weights = [w.copy() for w in teacher.get_weights()]

# 1. The classic subclass.
student = make("student", 8)
distiller = Distiller(student=student, teacher=teacher)
distiller.compile(
    optimizer=keras.optimizers.Adam(0.01),
    metrics=[keras.metrics.SparseCategoricalAccuracy()],
    student_loss_fn=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    distillation_loss_fn=keras.losses.KLDivergence(),
    alpha=0.1,
    temperature=10,
)
history = distiller.fit(x, y, epochs=3, batch_size=16, verbose=0)
assert "sparse_categorical_accuracy" in history.history, history.history
logs = distiller.evaluate(x, y, verbose=0, return_dict=True)
assert "sparse_categorical_accuracy" in logs

# 2. keras.distillation: the teacher frozen by the Distiller, the loss a weighted sum.
student2 = make("student2", 8)
kd = keras.distillation.Distiller(
    teacher=teacher,
    student=student2,
    distillation_losses=keras.distillation.LogitsDistillation(temperature=4.0),
    student_loss_weight=0.5,
)
assert teacher.trainable is False
kd.compile(optimizer=keras.optimizers.Adam(0.01), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
           metrics=["accuracy"])  # fmt: skip
before = [w.copy() for w in student2.get_weights()]
kd_history = kd.fit(x, y, epochs=3, batch_size=16, verbose=0)
# The Distiller logs its loss's parts beside the total and the compiled metrics.
assert set(kd_history.history) == {"loss", "total_loss", "student_loss", "distillation_loss", "accuracy"}, (
    kd_history.history
)
np.testing.assert_allclose(
    kd_history.history["total_loss"],
    0.5 * np.array(kd_history.history["student_loss"]) + 0.5 * np.array(kd_history.history["distillation_loss"]),
    rtol=1e-5,
)
assert kd_history.history["loss"][-1] < kd_history.history["loss"][0]
assert any(not np.array_equal(a, b) for a, b in zip(before, student2.get_weights()))
np.testing.assert_allclose(kd.predict(x[:4], verbose=0), student2.predict(x[:4], verbose=0), rtol=1e-5, atol=1e-6)

for was, now in zip(teacher_weights, teacher.get_weights()):
    np.testing.assert_array_equal(was, now)  # only the students learned
