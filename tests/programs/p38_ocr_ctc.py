"""OCR of short "captchas" with a CTC loss (keras.io, OCR model for reading captchas): a
convolutional feature extractor read column by column by a bidirectional LSTM, per-column class
probabilities trained with CTC through an endpoint layer that add_loss()es it (the model compiled
without a loss), and greedy CTC decoding of the predictions; the CTC loss and the decoder checked
on hand-made inputs."""

import math

import keras
import numpy as np
from keras import layers, ops

characters = ["a", "b", "c"]
char_to_num = {c: i + 1 for i, c in enumerate(characters)}  # 0 is the CTC blank
img_width, img_height, max_length = 16, 8, 2

# Toy captchas: two characters, each drawn as a stripe pattern in one half of the image.
rng = np.random.default_rng(0)
n = 48
labels = rng.integers(1, 4, (n, max_length))
images = rng.normal(0, 0.1, (n, img_width, img_height, 1)).astype("float32")  # width first, as keras.io
for i in range(n):
    for j in range(max_length):
        images[i, j * 8 : j * 8 + 8, (labels[i, j] - 1) * 2 : (labels[i, j] - 1) * 2 + 3, 0] += 1.0


class CTCLayer(layers.Layer):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = keras.losses.CTC()

    def call(self, y_true, y_pred):
        # Compute the training-time loss value and add it to the layer using `self.add_loss()`.
        loss = self.loss_fn(y_true, y_pred)
        self.add_loss(loss)
        # At test time, just return the computed predictions
        return y_pred


def build_model():
    input_img = layers.Input(shape=(img_width, img_height, 1), name="image", dtype="float32")
    labels_in = layers.Input(name="label", shape=(None,), dtype="float32")
    x = layers.Conv2D(8, (3, 3), activation="relu", kernel_initializer="he_normal", padding="same", name="Conv1")(input_img)
    x = layers.MaxPooling2D((2, 2), name="pool1")(x)
    new_shape = ((img_width // 2), (img_height // 2) * 8)
    x = layers.Reshape(target_shape=new_shape, name="reshape")(x)
    x = layers.Dense(16, activation="relu", name="dense1")(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Bidirectional(layers.LSTM(8, return_sequences=True, dropout=0.25))(x)
    x = layers.Dense(len(characters) + 1, activation="softmax", name="dense2")(x)
    output = CTCLayer(name="ctc_loss")(labels_in, x)
    model = keras.models.Model(inputs=[input_img, labels_in], outputs=output, name="ocr_model_v1")
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    return model


model = build_model()
history = model.fit({"image": images, "label": labels.astype("float32")}, batch_size=16, epochs=3, verbose=0)
assert list(history.history) == ["loss"]
assert history.history["loss"][-1] < history.history["loss"][0]

prediction_model = keras.models.Model(model.input[0], model.get_layer(name="dense2").output)
preds = prediction_model.predict(images[:4], verbose=0)
assert preds.shape == (4, img_width // 2, len(characters) + 1)


def decode_batch_predictions(pred):
    input_len = np.ones(pred.shape[0]) * pred.shape[1]
    results = ops.ctc_decode(pred, sequence_lengths=input_len, strategy="greedy")[0][0][:, :max_length]
    return ops.convert_to_numpy(results)


decoded = decode_batch_predictions(preds)
assert decoded.shape[0] == 4 and decoded.shape[1] <= max_length
assert set(decoded.ravel().tolist()) <= {-1, 1, 2, 3}

# Greedy decoding: best class per step, repeats merged, blanks (0) dropped, padded with -1.
steps = np.eye(4, dtype="float32")[[1, 1, 0, 2, 2, 0]][None]  # a a _ b b _
decoded, scores = ops.ctc_decode(steps, sequence_lengths=[6], strategy="greedy")
assert ops.convert_to_numpy(decoded)[0, 0].tolist()[:2] == [1, 2]
assert (ops.convert_to_numpy(decoded)[0, 0][2:] == -1).all()

# The CTC loss by enumeration: with 2 steps, label [1] is read from the paths 1 1, _ 1 and 1 _.
p = np.array([[0.5, 0.3, 0.2], [0.4, 0.1, 0.5]], "float32")  # steps x (blank, 1, 2)
expected = -math.log(p[0, 1] * p[1, 1] + p[0, 0] * p[1, 1] + p[0, 1] * p[1, 0])
value = ops.ctc_loss(ops.convert_to_tensor([[1]]), ops.convert_to_tensor(np.log(p)[None]),
                     ops.convert_to_tensor([1]), ops.convert_to_tensor([2]), mask_index=0)  # fmt: skip
np.testing.assert_allclose(ops.convert_to_numpy(value), [expected], rtol=1e-5)
