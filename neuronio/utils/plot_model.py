"""`neuronio.utils.plot_model`, Keras's place for it: the diagram is drawn by neuronio.visualize
(visualize/plot_model.py), beside the other pictures; this is its Keras-named door."""

from neuronio.visualize.plot_model import plot_model

__all__ = ["plot_model"]
