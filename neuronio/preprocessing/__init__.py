"""neuronio.preprocessing: the paths Keras 3 still keeps, `preprocessing.sequence.pad_sequences` and
`preprocessing.timeseries_dataset_from_array` (the same functions as in neuronio.utils)."""

from neuronio.preprocessing import sequence
from neuronio.utils.timeseries import timeseries_dataset_from_array

__all__ = ["sequence", "timeseries_dataset_from_array"]
