"""Image segmentation with a U-Net-like architecture (keras.io, Oxford pets): an Xception-style
downsampling path of SeparableConv2D blocks with residual `layers.add`, an upsampling path of
Conv2DTranspose + UpSampling2D, a per-pixel softmax trained with sparse categorical crossentropy,
scored with MeanIoU / IoU; then the same net fine-tuned with a Dice loss on one-hot masks."""

import keras
import numpy as np
from keras import layers

IMG_SIZE = (16, 16)
NUM_CLASSES = 3


def get_model(img_size, num_classes):
    inputs = keras.Input(shape=img_size + (3,))

    # Entry block
    x = layers.Conv2D(8, 3, strides=2, padding="same")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    previous_block_activation = x  # the residual branch starts here

    # Down: two separable convolutions and a strided pooling per block, wider each time.
    for filters in [8, 16]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(filters, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])  # the shortcut, projected to the new shape
        previous_block_activation = x

    # Up: transposed convolutions, then doubling the resolution.
    for filters in [16, 8, 8]:
        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.UpSampling2D(2)(x)
        residual = layers.UpSampling2D(2)(previous_block_activation)
        residual = layers.Conv2D(filters, 1, padding="same")(residual)
        x = layers.add([x, residual])
        previous_block_activation = x

    # Per-pixel classification layer (logits: Keras 3.15 on torch cannot backpropagate a per-pixel
    # softmax into sparse categorical crossentropy, "grad_input must be contiguous")
    outputs = layers.Conv2D(num_classes, 3, padding="same")(x)
    return keras.Model(inputs, outputs)


# Toy "pets": a bright square (class 1) with a border (class 2) on a dark background (class 0).
rng = np.random.default_rng(0)
n = 24
images = rng.normal(0.0, 0.1, (n, 16, 16, 3)).astype("float32")
masks = np.zeros((n, 16, 16), "int32")
for i in range(n):
    r, c = rng.integers(1, 8, 2)
    masks[i, r - 1 : r + 7, c - 1 : c + 7] = 2
    masks[i, r : r + 6, c : c + 6] = 1
    images[i][masks[i] == 1] += 1.0
    images[i][masks[i] == 2] += 0.5

model = get_model(IMG_SIZE, NUM_CLASSES)
assert model.output_shape == (None, 16, 16, NUM_CLASSES)
kinds = {type(layer).__name__ for layer in model.layers}
assert {"SeparableConv2D", "Conv2DTranspose", "UpSampling2D", "Add"} <= kinds, kinds

model.compile(
    optimizer=keras.optimizers.Adam(1e-2),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=[
        keras.metrics.MeanIoU(num_classes=NUM_CLASSES, sparse_y_pred=False),
        keras.metrics.IoU(num_classes=NUM_CLASSES, target_class_ids=[1], sparse_y_pred=False, name="square_iou"),
    ],
)
history = model.fit(images, masks, batch_size=8, epochs=3, validation_split=0.25, verbose=0)
assert set(history.history) == {"loss", "mean_io_u", "square_iou", "val_loss", "val_mean_io_u", "val_square_iou"}, (
    history.history
)
assert history.history["loss"][-1] < history.history["loss"][0]
assert all(0.0 <= v <= 1.0 for v in history.history["mean_io_u"])

val_preds = keras.ops.convert_to_numpy(keras.ops.softmax(model.predict(images[:4], verbose=0), axis=-1))
assert val_preds.shape == (4, 16, 16, NUM_CLASSES)
np.testing.assert_allclose(val_preds.sum(axis=-1), 1.0, atol=1e-5)
mask = np.argmax(val_preds, axis=-1)
assert mask.shape == (4, 16, 16)

# MeanIoU on integer masks, by the definition: mean over classes of TP / (TP + FP + FN).
miou = keras.metrics.MeanIoU(num_classes=2)
miou.update_state([[0, 0], [1, 1]], [[0, 1], [1, 1]])
np.testing.assert_allclose(float(miou.result()), (1 / 2 + 2 / 3) / 2, rtol=1e-6)

# Fine-tuning with a Dice loss on one-hot masks, 1 - 2|A.B| / (|A| + |B|), behind a softmax head.
dice = keras.losses.Dice()
y_true = np.array([[[1.0, 0.0], [0.0, 1.0]]], "float32")
y_pred = np.array([[[0.5, 0.5], [0.0, 1.0]]], "float32")
np.testing.assert_allclose(float(dice(y_true, y_pred)), 1 - 2 * 1.5 / (2 + 2), rtol=1e-6)
probabilities = keras.Model(model.input, layers.Softmax()(model.output))
probabilities.compile(optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.Dice())
one_hot = keras.utils.to_categorical(masks, NUM_CLASSES)
dice_history = probabilities.fit(images, one_hot, batch_size=8, epochs=2, verbose=0)
assert all(0.0 <= v <= 1.0 for v in dice_history.history["loss"]), dice_history.history
