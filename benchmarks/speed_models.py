"""The decks' four models built the same way in neuronio and in PyTorch, their data and their
floating-point work, for benchmarks/speed.py (which times them)."""

import numpy as np


# -- models in both engines -----------------------------------------------------------------------
def neuronio_model(name):
    from neuronio.applications.decks import DECK_MODELS

    builder, optimizer, flat = DECK_MODELS[name]
    model = builder()
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def torch_model(name):
    import torch
    from torch import nn

    if name == "mlp":
        net = nn.Sequential(
            nn.Linear(784, 512),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(512, 10),
        )
        optimizer = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    elif name == "cnn":
        net = nn.Sequential(
            nn.Conv2d(1, 32, 5),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(1024, 1000),
            nn.ReLU(),
            nn.Linear(1000, 10),
        )
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    elif name == "lenet":
        net = nn.Sequential(
            nn.Conv2d(1, 12, 5),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(12, 25, 5),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(400, 180),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(180, 100),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(100, 10),
        )
        optimizer = torch.optim.Adamax(net.parameters(), lr=1e-3, eps=1e-7)
    else:
        net = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(32, 32, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Dropout(0.25),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(64, 64, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Dropout(0.25),
            nn.Flatten(),
            nn.Linear(2304, 512),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(512, 10),
        )
        optimizer = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    return net, optimizer


def training_flops(name) -> tuple[int, int]:
    """(training FLOPs per sample, inference FLOPs per sample): 2 per multiply-add; training is the
    forward pass plus the backward GEMMs (weights always, inputs except for the first layer)."""
    from neuronio.applications.decks import DECK_MODELS
    from neuronio.layers import Conv2D, Dense

    model = DECK_MODELS[name][0]()
    forward = backward = 0
    for i, layer in enumerate(model.layers):
        if isinstance(layer, (Conv2D, Dense)):
            node = layer._inbound_nodes[-1]
            out = node.outputs[0].shape
            kernel = layer.kernel.shape
            fan_in = int(np.prod(kernel[:-1]))
            positions = int(np.prod(out[1:-1])) if len(out) > 2 else 1
            flops = 2 * positions * fan_in * kernel[-1]
            forward += flops
            backward += flops * (1 if i == 0 else 2)
    return forward + backward, forward


# -- data -----------------------------------------------------------------------------------------------
def data(name, samples):
    """Real MNIST when cached or reachable (random images of the right shape otherwise, and for
    CIFAR-10, which is not reachable here); labels one-hot."""
    rng = np.random.default_rng(0)
    source = "random"
    if name == "cifar-cnn":
        x = rng.random((samples, 32, 32, 3), dtype=np.float32)
        labels = rng.integers(0, 10, samples)
    else:
        try:
            from neuronio.datasets import mnist

            (x, labels), _ = mnist.load_data()
            x, labels = (x[:samples].astype(np.float32) / 255.0)[..., None], labels[:samples].astype(np.int64)
            source = "MNIST"
        except Exception:  # noqa: BLE001 - any failure means: time on random images instead
            x = rng.random((samples, 28, 28, 1), dtype=np.float32)
            labels = rng.integers(0, 10, samples)
        if name == "mlp":
            x = x.reshape(samples, 784)
    y = np.eye(10, dtype=np.float32)[labels]
    return x, y, labels, source


def to_torch(x):
    import torch

    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2) if x.ndim == 4 else x))
