"""The class names of the datasets neuronio loads, for labelling pictures.

>>> resolve_class_names("fashion_mnist", 10)[:3]
['T-shirt/top', 'Trouser', 'Pullover']
>>> resolve_class_names(None, 3)
['0', '1', '2']
"""

# In label order, as the datasets' documentation lists them (Keras's datasets pages).
CLASS_NAMES = {
    "mnist": [str(digit) for digit in range(10)],
    "fashion_mnist": [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ],
    "cifar10": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
}


def _lookup(class_names, who: str) -> list[str]:
    if isinstance(class_names, str):
        if class_names not in CLASS_NAMES:
            raise ValueError(
                f"{who}: unknown dataset {class_names!r} for class names. Valid names: "
                f"{', '.join(sorted(CLASS_NAMES))}; or pass a list of names."
            )
        return list(CLASS_NAMES[class_names])
    return [str(name) for name in class_names]


def resolve_class_names(class_names, num_classes: int, who: str = "class_names") -> list[str]:
    """A list of exactly `num_classes` labels.

    Args:
        class_names: None (the class numbers "0", "1", ...), a dataset name ("mnist",
            "fashion_mnist", "cifar10") or a list of names, one per class.
        num_classes: how many classes the model predicts.
    """
    if class_names is None:
        return [str(k) for k in range(num_classes)]
    names = _lookup(class_names, who)
    if len(names) != num_classes:
        raise ValueError(f"{who}: the model predicts {num_classes} classes, but {len(names)} class names were given.")
    return names


def label_names(class_names, num_classes: int, who: str = "class_names") -> list[str]:
    """Names for labels 0 .. num_classes - 1 when the labels at hand may not show every class:
    the names may be more than needed, never fewer."""
    if class_names is None:
        return [str(k) for k in range(num_classes)]
    names = _lookup(class_names, who)
    if len(names) < num_classes:
        raise ValueError(f"{who}: the labels go up to {num_classes - 1}, but only {len(names)} class names were given.")
    return names
