"""Training & evaluation with the built-in methods: fit/evaluate/predict, validation data,
callbacks, class_weight and sample_weight."""

import keras
import numpy as np
from keras import layers


def get_uncompiled_model():
    inputs = keras.Input(shape=(20,), name="digits")
    x = layers.Dense(16, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(16, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def get_compiled_model():
    model = get_uncompiled_model()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    return model


rng = np.random.default_rng(1)
x_train = rng.normal(size=(200, 20)).astype("float32")
y_train = rng.integers(0, 10, 200)
x_val, y_val = x_train[-40:], y_train[-40:]

model = get_compiled_model()
history = model.fit(x_train, y_train, batch_size=32, epochs=2, validation_data=(x_val, y_val), verbose=0)
assert sorted(history.history) == ["loss", "sparse_categorical_accuracy", "val_loss", "val_sparse_categorical_accuracy"]
results = model.evaluate(x_val, y_val, batch_size=64, verbose=0)
predictions = model.predict(x_val[:3], verbose=0)
assert predictions.shape == (3, 10)
np.testing.assert_allclose(predictions.sum(axis=1), 1.0, rtol=1e-5)
named = model.evaluate(x_val, y_val, verbose=0, return_dict=True)
assert set(named) == {"loss", "sparse_categorical_accuracy"}

# class_weight: a huge weight on class 5 makes the model predict 5.
class_weight = {i: 1.0 for i in range(10)}
class_weight[5] = 100.0
model = get_compiled_model()
model.fit(x_train, y_train, class_weight=class_weight, batch_size=32, epochs=8, verbose=0)
share_of_fives = (model.predict(x_train, verbose=0).argmax(axis=1) == 5).mean()
assert share_of_fives > 0.3, share_of_fives  # 5 is 1 label in 10

# sample_weight: the same effect through per-sample weights.
sample_weight = np.ones(shape=(len(y_train),))
sample_weight[y_train == 5] = 100.0
model = get_compiled_model()
model.fit(x_train, y_train, sample_weight=sample_weight, batch_size=32, epochs=8, verbose=0)
share_of_fives = (model.predict(x_train, verbose=0).argmax(axis=1) == 5).mean()
assert share_of_fives > 0.3, share_of_fives

# Callbacks: early stopping on a metric that cannot improve stops after `patience` epochs.
model = get_compiled_model()
callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=10.0, patience=1, verbose=0)]
history = model.fit(x_train, y_train, epochs=20, batch_size=64, callbacks=callbacks, validation_split=0.2, verbose=0)
assert len(history.history["loss"]) == 2
