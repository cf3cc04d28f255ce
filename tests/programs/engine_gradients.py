"""Gradients inside a custom train_step, for the two engines the corpus runs on.

Keras 3 has no engine-neutral gradient call: its "customizing fit" guide is written once per
backend. neuronio has a TensorFlow-style `keras.GradientTape`; Keras on torch zeroes the grads,
calls `backward()` and reads `.value.grad`, then applies them under `torch.no_grad()`.
"""

try:
    from keras import GradientTape
except ImportError:
    GradientTape = None


def loss_and_gradients(forward, weights):
    """(forward(), its gradients with respect to `weights`)."""
    if GradientTape is not None:
        with GradientTape() as tape:
            loss = forward()
        return loss, tape.gradient(loss, weights)
    for w in weights:
        w.value.grad = None
    loss = forward()
    loss.backward()
    return loss, [w.value.grad for w in weights]


def apply(optimizer, gradients, weights):
    """optimizer.apply(gradients, weights), outside autograd on torch."""
    if GradientTape is not None:
        optimizer.apply(gradients, weights)
        return
    import torch

    with torch.no_grad():
        optimizer.apply(gradients, weights)
