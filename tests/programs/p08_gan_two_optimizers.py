"""A GAN in the style of keras.io's "customizing fit" GAN: a Model holding a discriminator and a
generator, compiled with two optimizers, whose train_step updates each in turn and reports loss
trackers (keras.metrics.Mean) through `metrics`.

Gradients: a GradientTape where the engine has one (neuronio), else Keras's torch guide."""

import keras
import numpy as np
from engine_gradients import apply, loss_and_gradients  # the gradient lines, per engine
from keras import layers

latent_dim = 8
discriminator = keras.Sequential(
    [keras.Input(shape=(16,)), layers.Dense(16), layers.LeakyReLU(negative_slope=0.2), layers.Dense(1)],
    name="discriminator",
)
generator = keras.Sequential(
    [
        keras.Input(shape=(latent_dim,)),
        layers.Dense(16),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Dense(16, activation="sigmoid"),
    ],
    name="generator",
)


class GAN(keras.Model):
    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.rng = np.random.default_rng(0)

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def call(self, images):
        return self.discriminator(images)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def train_step(self, real_images):
        batch_size = real_images.shape[0]
        noise = self.rng.normal(size=(batch_size, self.latent_dim)).astype("float32")
        generated = self.generator(noise)
        combined = keras.ops.concatenate([generated, real_images], axis=0)
        labels = np.concatenate([np.ones((batch_size, 1)), np.zeros((batch_size, 1))]).astype("float32")
        d_weights = self.discriminator.trainable_weights
        d_loss, grads = loss_and_gradients(lambda: self.loss_fn(labels, self.discriminator(combined)), d_weights)
        apply(self.d_optimizer, grads, d_weights)

        noise = self.rng.normal(size=(batch_size, self.latent_dim)).astype("float32")
        misleading = np.zeros((batch_size, 1), dtype="float32")
        g_weights = self.generator.trainable_weights
        g_loss, grads = loss_and_gradients(
            lambda: self.loss_fn(misleading, self.discriminator(self.generator(noise))), g_weights
        )
        apply(self.g_optimizer, grads, g_weights)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


real = np.random.default_rng(1).random((64, 16)).astype("float32")
gan = GAN(discriminator=discriminator, generator=generator, latent_dim=latent_dim)
gan.compile(
    d_optimizer=keras.optimizers.Adam(learning_rate=0.0003),
    g_optimizer=keras.optimizers.Adam(learning_rate=0.0003),
    loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
)
g_before = [w.copy() for w in generator.get_weights()]
history = gan.fit(real, epochs=2, batch_size=16, verbose=0)
assert set(history.history) == {"d_loss", "g_loss"}, history.history
assert all(np.isfinite(v) for v in history.history["d_loss"] + history.history["g_loss"])
assert int(gan.d_optimizer.iterations) == 8 and int(gan.g_optimizer.iterations) == 8
assert any(not np.array_equal(b, a) for b, a in zip(g_before, generator.get_weights()))
