"""Simple MNIST convnet (keras.io), on synthetic 28x28 digits: images of shape (N, 28, 28) get
their channel axis with np.expand_dims, labels one-hot with to_categorical."""

import keras
import numpy as np
from keras import layers

num_classes = 10
input_shape = (28, 28, 1)
rng = np.random.default_rng(0)
y_train = rng.integers(0, num_classes, 96)
x_train = rng.random((96, 28, 28), dtype="float32") * 0.1
for i, label in enumerate(y_train):  # a bright bar whose row encodes the class
    x_train[i, 2 + 2 * label, 4:24] = 1.0
x_train = x_train.astype("float32") / 1.0
x_train = np.expand_dims(x_train, -1)
assert x_train.shape == (96, 28, 28, 1)
y_train = keras.utils.to_categorical(y_train, num_classes)

model = keras.Sequential(
    [
        keras.Input(shape=input_shape),
        layers.Conv2D(8, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(8, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ]
)
assert model.count_params() == 80 + 584 + 200 * 10 + 10
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=32, epochs=3, validation_split=0.25, verbose=0)
assert history.history["loss"][-1] < history.history["loss"][0]
score = model.evaluate(x_train, y_train, verbose=0)
assert 0.0 <= score[1] <= 1.0
