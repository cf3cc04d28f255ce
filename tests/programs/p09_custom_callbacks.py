"""Writing your own callbacks: every hook in order, logs contents, early stopping at the minimum
loss with get_weights/set_weights, and a learning-rate schedule set through the optimizer."""

import keras
import numpy as np
from keras import layers


def get_model():
    model = keras.Sequential([keras.Input((784,)), layers.Dense(1)])
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=0.1),
        loss="mean_squared_error",
        metrics=["mean_absolute_error"],
    )
    return model


rng = np.random.default_rng(0)
x_train = rng.random((64, 784), dtype="float32")
y_train = rng.random((64,), dtype="float32")


class CustomCallback(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_train_begin(self, logs=None):
        self.events.append("train_begin")

    def on_train_end(self, logs=None):
        self.events.append(("train_end", sorted(logs)))

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(("epoch_begin", epoch))

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(("epoch_end", epoch, sorted(logs)))

    def on_test_begin(self, logs=None):
        self.events.append("test_begin")

    def on_test_end(self, logs=None):
        self.events.append(("test_end", sorted(logs)))

    def on_predict_begin(self, logs=None):
        self.events.append("predict_begin")

    def on_predict_end(self, logs=None):
        self.events.append("predict_end")

    def on_train_batch_end(self, batch, logs=None):
        self.events.append(("train_batch", batch, sorted(logs)))


model = get_model()
callback = CustomCallback()
model.fit(x_train, y_train, batch_size=32, epochs=1, verbose=0, validation_split=0.5, callbacks=[callback])
assert callback.events == [
    "train_begin",
    ("epoch_begin", 0),
    ("train_batch", 0, ["loss", "mean_absolute_error"]),
    "test_begin",
    ("test_end", ["loss", "mean_absolute_error"]),
    ("epoch_end", 0, ["loss", "mean_absolute_error", "val_loss", "val_mean_absolute_error"]),
    ("train_end", ["loss", "mean_absolute_error", "val_loss", "val_mean_absolute_error"]),
], callback.events
callback.events.clear()
model.predict(x_train, batch_size=32, verbose=0, callbacks=[callback])
assert callback.events == ["predict_begin", "predict_end"]


class EarlyStoppingAtMinLoss(keras.callbacks.Callback):
    def __init__(self, patience=0):
        super().__init__()
        self.patience = patience
        self.best_weights = None

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = np.inf

    def on_epoch_end(self, epoch, logs=None):
        current = logs.get("loss")
        if np.less(current, self.best):
            self.best = current
            self.wait = 0
            self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                self.model.stop_training = True
                self.model.set_weights(self.best_weights)


model = get_model()
stopper = EarlyStoppingAtMinLoss(patience=1)
history = model.fit(x_train, y_train, batch_size=64, epochs=30, verbose=0, callbacks=[stopper])
assert len(history.history["loss"]) < 30 and stopper.stopped_epoch == len(history.history["loss"]) - 1


class CustomLearningRateScheduler(keras.callbacks.Callback):
    def __init__(self, schedule):
        super().__init__()
        self.schedule = schedule
        self.seen = []

    def on_epoch_begin(self, epoch, logs=None):
        lr = self.model.optimizer.learning_rate
        scheduled_lr = self.schedule(epoch, float(np.array(lr)))
        self.model.optimizer.learning_rate = scheduled_lr
        self.seen.append(round(float(np.array(self.model.optimizer.learning_rate)), 6))


scheduler = CustomLearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch > 0 else lr)
model = get_model()
model.fit(x_train, y_train, batch_size=64, epochs=3, verbose=0, callbacks=[scheduler])
assert scheduler.seen == [0.1, 0.05, 0.025], scheduler.seen
