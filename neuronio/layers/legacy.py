"""Keras 1/2 argument spellings the decks use, mapped to today's, each with one warning.

    Dense(output_dim=500, input_dim=784, init="he_normal")   ->  Dense(500, input_shape=(784,), ...)
    Convolution2D(12, 5, 5, border_mode="same", subsample=(1, 1), init="he_normal")
                                                              ->  Conv2D(12, (5, 5), padding="same", ...)

Keras 3 rejects `output_dim=` and misreads `Convolution2D(12, 5, 5)` as a 5x5 kernel at stride 5;
neuronio reads them as Keras 1 meant and says what to write today.
"""

from neuronio._legacy import LegacyArgumentWarning, renamed, warn_legacy

__all__ = ["LegacyArgumentWarning", "dense_units", "renamed", "translate", "warn_legacy"]


# Keras 1 keyword -> today's keyword, shared by Dense and Conv2D.
_RENAMES = {"init": "kernel_initializer", "border_mode": "padding", "subsample": "strides", "bias": "use_bias"}


def translate(owner: str, kwargs: dict) -> dict:
    """Rename Keras 1 keywords in place (with a warning each) and return kwargs."""
    for old, new in _RENAMES.items():
        if old in kwargs:
            if new in kwargs:
                raise TypeError(f"{owner}: pass either `{old}=` (Keras 1) or `{new}=`, not both.")
            kwargs[new] = renamed(owner, old, new, kwargs.pop(old))
    if "dim_ordering" in kwargs:
        ordering = kwargs.pop("dim_ordering")
        if ordering not in ("tf", "default"):
            raise ValueError(
                f"{owner}: dim_ordering={ordering!r} (channels first) is not supported; neuronio is "
                f"channels-last. Transpose the images with x.transpose(0, 2, 3, 1)."
            )
    return kwargs


def dense_units(units, kwargs: dict):
    """Dense's `units` from Keras 1's `output_dim=` when given that way."""
    if "output_dim" in kwargs:
        value = kwargs.pop("output_dim")
        if units is not None:
            raise TypeError("Dense: pass either units (today) or output_dim= (Keras 1), not both.")
        return renamed("Dense", "output_dim", "units", value)
    if units is None:
        raise TypeError("Dense needs `units`, the number of outputs, e.g. Dense(10).")
    return units
