"""Image classification from a folder of files (keras.io, "image classification from scratch"):
PNGs written into one sub-directory per class, read with image_dataset_from_directory using
validation_split with subset="both", rescaled inside the model, trained, and a new image
classified from a file."""

import pathlib
import tempfile

import keras
import numpy as np
from keras import layers
from PIL import Image

root = pathlib.Path(tempfile.mkdtemp()) / "PetImages"
rng = np.random.default_rng(0)
for label, (low, high) in {"Cat": (0, 100), "Dog": (150, 256)}.items():
    (root / label).mkdir(parents=True)
    for i in range(10):
        pixels = rng.integers(low, high, (20, 24, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(root / label / f"{i}.png")

image_size = (12, 12)
batch_size = 4
train_ds, val_ds = keras.utils.image_dataset_from_directory(
    root,
    validation_split=0.2,
    subset="both",
    seed=1337,
    image_size=image_size,
    batch_size=batch_size,
    verbose=False,
    format="grain",  # Keras's TensorFlow-free pipeline (the default "tf" needs TensorFlow)
)
assert train_ds.class_names == ["Cat", "Dog"] and val_ds.class_names == ["Cat", "Dog"]

seen = 0
for images, labels in train_ds:
    images, labels = keras.ops.convert_to_numpy(images), keras.ops.convert_to_numpy(labels)
    assert images.shape[1:] == (12, 12, 3) and images.dtype == np.float32
    assert images.max() <= 255.0 and images.max() > 1.0  # pixel values, not yet rescaled
    assert set(labels.tolist()) <= {0, 1}
    seen += len(images)
val_seen = sum(len(keras.ops.convert_to_numpy(labels)) for _, labels in val_ds)
assert (seen, val_seen) == (16, 4), (seen, val_seen)  # 20 files, 20 % held out

inputs = keras.Input(shape=image_size + (3,))
x = layers.Rescaling(1.0 / 255)(inputs)
x = layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")(x)
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(1, activation=None)(x)
model = keras.Model(inputs, outputs)
model.compile(
    optimizer=keras.optimizers.Adam(3e-2),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy(name="acc")],
)
history = model.fit(train_ds, epochs=3, validation_data=val_ds, verbose=0)
assert set(history.history) == {"loss", "acc", "val_loss", "val_acc"}, history.history
assert history.history["loss"][-1] < history.history["loss"][0]

# Run inference on a new image file.
img = keras.utils.load_img(root / "Dog" / "0.png", target_size=image_size)
img_array = keras.ops.expand_dims(keras.utils.img_to_array(img), 0)  # Create batch axis
predictions = model.predict(img_array, verbose=0)
score = float(keras.ops.sigmoid(predictions[0][0]))
assert 0.0 <= score <= 1.0
