"""clone_model (fresh weights, same architecture), get_weights/set_weights between clones, and
trainable flags on nested models as the transfer-learning guide inspects them."""

import keras
import numpy as np
from keras import layers

base = keras.Sequential(
    [
        keras.Input((5,)),
        layers.Dense(4, activation="relu", name="hidden"),
        layers.BatchNormalization(),
        layers.Dense(2, name="out"),
    ]
)
clone = keras.models.clone_model(base)
assert [type(lyr).__name__ for lyr in clone.layers] == [type(lyr).__name__ for lyr in base.layers]
assert all(not np.array_equal(a, b) for a, b in zip(base.get_weights()[:1], clone.get_weights()[:1]))
clone.set_weights(base.get_weights())
data = np.random.default_rng(0).random((3, 5)).astype("float32")
np.testing.assert_allclose(clone.predict(data, verbose=0), base.predict(data, verbose=0), rtol=1e-6)

outer_input = keras.Input((5,))
outer = keras.Model(outer_input, layers.Dense(1)(base(outer_input)))
base.trainable = False
assert [lyr.trainable for lyr in base.layers] == [False, False, False]
assert len(outer.trainable_weights) == 2 and len(outer.non_trainable_weights) == 8
base.layers[0].trainable = True
assert base.trainable is False and base.layers[0].trainable is True
base.trainable = True
assert len(outer.trainable_weights) == 2 + 2 + 2 + 2
outer.compile(optimizer="sgd", loss="mse")
outer.fit(data, np.ones((3, 1), "float32"), epochs=1, verbose=0)
