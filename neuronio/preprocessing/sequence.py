"""`keras.preprocessing.sequence.pad_sequences`, the same function as `neuronio.utils.pad_sequences`."""

from neuronio.utils.sequence_utils import pad_sequences

__all__ = ["pad_sequences"]
