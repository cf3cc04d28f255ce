"""Imbalanced binary classification (keras.io, "Imbalanced classification: credit card fraud"):
about one positive in ten, class weights, a binary focal crossentropy with class balancing, and
the metrics that matter on skewed data (Precision, Recall, AUC and PR-AUC, PrecisionAtRecall,
RecallAtPrecision, SensitivityAtSpecificity, false negatives/positives)."""

import keras
import numpy as np

rng = np.random.default_rng(0)
n = 400
targets = (rng.random(n) < 0.1).astype("float32")[:, None]
features = rng.normal(size=(n, 6)).astype("float32") + 1.5 * targets * np.array([1, 1, -1, 0, 0, 0], "float32")

counts = np.bincount(targets[:, 0].astype(int))
weight_for_0 = 1.0 / counts[0]
weight_for_1 = 1.0 / counts[1]

model = keras.Sequential(
    [
        keras.Input(shape=(6,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(1, activation="sigmoid"),
    ]
)
metrics = [
    keras.metrics.FalseNegatives(name="fn"),
    keras.metrics.FalsePositives(name="fp"),
    keras.metrics.Precision(name="precision"),
    keras.metrics.Recall(name="recall"),
    keras.metrics.AUC(name="auc"),
    keras.metrics.AUC(name="prc", curve="PR"),
    keras.metrics.PrecisionAtRecall(0.5, name="precision_at_recall"),
    keras.metrics.RecallAtPrecision(0.5, name="recall_at_precision"),
    keras.metrics.SensitivityAtSpecificity(0.9, name="sensitivity_at_specificity"),
]
model.compile(
    optimizer=keras.optimizers.Adam(1e-2),
    loss=keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.75, gamma=2.0),
    metrics=metrics,
)
history = model.fit(features, targets, batch_size=64, epochs=3, verbose=0, validation_split=0.25,
                    class_weight={0: weight_for_0, 1: weight_for_1})  # fmt: skip
names = {m.name for m in metrics} | {"loss"}
assert set(history.history) == names | {"val_" + name for name in names}, history.history
assert history.history["loss"][-1] < history.history["loss"][0]
assert history.history["auc"][-1] > 0.5
logs = model.evaluate(features, targets, verbose=0, return_dict=True)
assert logs["fn"] + logs["fp"] <= n and logs["fn"] == int(logs["fn"])

# The focal loss by its formula: -alpha_t (1 - p_t)^gamma log(p_t), averaged.
focal = keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.75, gamma=2.0)
y_true = np.array([[1.0], [0.0], [1.0]], "float32")
y_pred = np.array([[0.9], [0.2], [0.4]], "float32")
p_t = np.where(y_true == 1, y_pred, 1 - y_pred)
alpha_t = np.where(y_true == 1, 0.75, 0.25)
expected = np.mean(-alpha_t * (1 - p_t) ** 2 * np.log(p_t))
np.testing.assert_allclose(float(keras.ops.convert_to_numpy(focal(y_true, y_pred))), expected, rtol=1e-5)

# gamma = 0 without balancing is plain binary crossentropy.
plain = keras.losses.BinaryFocalCrossentropy(gamma=0.0)(y_true, y_pred)
bce = keras.losses.BinaryCrossentropy()(y_true, y_pred)
np.testing.assert_allclose(keras.ops.convert_to_numpy(plain), keras.ops.convert_to_numpy(bce), rtol=1e-6)

# PrecisionAtRecall on a ranking where it is exact: the best precision with recall >= 0.5.
at_recall = keras.metrics.PrecisionAtRecall(0.5)
at_recall.update_state([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.6, 0.9])
np.testing.assert_allclose(float(at_recall.result()), 1.0)
precision = keras.metrics.Precision(thresholds=0.5)
precision.update_state([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.6, 0.9])
np.testing.assert_allclose(float(precision.result()), 2 / 3, rtol=1e-6)
