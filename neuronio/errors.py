"""neuronio's error types. Each subclasses the builtin type users already catch (STYLE C8)."""


class NeuronioError(Exception):
    """Base of every error neuronio raises on purpose."""


class ShapeError(NeuronioError, ValueError):
    """An array's shape does not fit what an op or layer expects."""


class DTypeError(NeuronioError, TypeError):
    """An array's dtype cannot be used where it was given (e.g. integers into a float op)."""


class NumericsError(NeuronioError, ValueError):
    """An input holds NaN or infinity."""


class UnknownNameError(NeuronioError, ValueError):
    """A string names no registered activation, loss, optimizer, layer, ..."""


class FileFormatError(NeuronioError, ValueError):
    """A file is truncated, corrupted, of the wrong kind, or asks for something unsafe."""


class DatasetError(NeuronioError, OSError):
    """A dataset could not be obtained from any of its sources."""
