"""neuronio.apps: applications built on trained models.

`read_digits` reads a handwritten digit string (a ZIP code) from an image, as the deck's
motivating problem asks; `mnist_normalize` is MNIST's own normalisation of one digit, shared with
the lab's drawing pad.
"""

from neuronio.apps.normalize import mnist_normalize
from neuronio.apps.reader import Reading, load_reader_model, read_digits
from neuronio.apps.segment import ReadError

__all__ = ["Reading", "ReadError", "load_reader_model", "mnist_normalize", "read_digits"]
