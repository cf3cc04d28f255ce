"""Model: a Layer that can be trained. `Model(inputs, outputs)` builds a functional model;
subclasses write `call` themselves (Keras's subclassing style)."""

import os
import warnings

import numpy as np

from neuronio import saving
from neuronio.autodiff.tape import no_grad
from neuronio.layers.layer import Layer, registry
from neuronio.models.trainer import Trainer
from neuronio.saving import serialization


class Model(Trainer, Layer):
    """A trainable stack or graph of layers with `compile`, `fit`, `evaluate` and `predict`.

    `Model(inputs, outputs)` returns a functional model (see models/functional.py). Subclass
    `Model` and write `call(inputs, training=False)` for anything a graph cannot express.
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            functional = _functional()
            return functional.__new__(functional)
        return super().__new__(cls, *args, **kwargs)  # Layer.__new__ records a subclass's arguments

    def __init__(self, *args, **kwargs):
        if args or kwargs.keys() & {"inputs", "outputs"}:
            # Functional subclassing: `super().__init__(inputs, outputs)` in a Model subclass makes
            # the subclass functional (Keras swaps Model for Functional among its bases, as here).
            functional = _functional()
            if not isinstance(self, functional):
                _make_functional(type(self), functional)
            functional.__init__(self, *args, **kwargs)
            return
        trainable = kwargs.pop("trainable", True)
        name = kwargs.pop("name", None)
        Layer.__init__(self, name=name, trainable=trainable, **kwargs)
        Trainer.__init__(self)

    @property
    def layers(self) -> list:
        return list(self._layers)

    def get_layer(self, name=None, index=None):
        """A layer by name or by index in `layers` (exactly one of them)."""
        if (name is None) == (index is None):
            raise ValueError("get_layer takes exactly one of name= or index=.")
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"Model '{self.name}' has {len(self.layers)} layers; received index={index}.")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No layer named '{name}' in model '{self.name}'. Layers: {', '.join(layer.name for layer in self.layers)}."
        )

    def summary(
        self,
        line_length=None,
        positions=None,
        print_fn=None,
        expand_nested=False,
        show_trainable=False,
        layer_range=None,
    ):
        """Print the layers, their output shapes and parameter counts in Keras 3's table layout."""
        from neuronio.models.summary import print_summary

        print_summary(
            self,
            line_length=line_length,
            positions=positions,
            print_fn=print_fn,
            show_trainable=show_trainable,
            layer_range=layer_range,
        )

    # get_config is Layer's: a subclass that does not write one gets Keras 3's automatic config
    # (name, its constructor's arguments, trainable, dtype), so it saves to `.keras` when registered.

    @classmethod
    def from_config(cls, config_dict: dict, who: str = "config", custom_objects=None):
        """A functional config (with "input_layers") rebuilds a functional model; `custom_objects`
        maps the names of the user's own layers to their classes. A subclassed model is
        constructed from its config (its constructor's arguments), as in Keras."""
        if "input_layers" in config_dict:
            return _functional().from_config(config_dict, who, custom_objects=custom_objects)
        return cls(**config_dict)

    def build_from_config(self, config: dict) -> None:
        """Create the weights from a saved `build_config` ({"input_shape": shape or list of shapes}),
        as Keras does when loading: a subclassed model runs `call` once on zeros of that shape (an
        unknown batch size counts as 1), so that every sublayer builds its weights."""
        shape = (config or {}).get("input_shape")
        if self.built or not shape:
            return
        multi = isinstance(shape[0], (list, tuple))
        shapes = [tuple(s) for s in shape] if multi else [tuple(shape)]
        zeros = [np.zeros([1 if d is None else d for d in s], dtype=self.dtype) for s in shapes]
        with no_grad():
            self(zeros if multi else zeros[0], training=False)
        self._build_shapes = shapes if multi else shapes[0]

    # -- saving (the work is in neuronio/saving) ---------------------------------------------------
    def to_json(self, **kwargs) -> str:
        """The architecture (and compile state) as Keras 3's JSON; `models.model_from_json` reads it."""
        return saving.model_to_json(self, **kwargs)

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save the whole model (config, weights, compile state with the optimizer's slots) as a
        Keras 3 `.keras` archive that Keras can open. The write is atomic."""
        if kwargs:
            raise TypeError(f"save got unexpected keyword arguments: {sorted(kwargs)}.")
        saving.save_model(self, filepath, overwrite=overwrite, zipped=zipped)

    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None, **kwargs):
        """Export for inference, as Keras 3's `export`. neuronio writes `format="onnx"` (the `onnx`
        extra); Keras's default "tf_saved_model" and its other formats need their own engines."""
        if format != "onnx":
            raise ValueError(
                f"export(format={format!r}) is not available in neuronio: it writes ONNX only. Call "
                f"model.export({os.fspath(filepath)!r}, format='onnx'), or save a .keras file and export "
                f"it with Keras for {format!r}."
            )
        if input_signature is not None or kwargs:
            raise TypeError(
                "neuronio's ONNX export takes the input shapes from the model itself; it accepts no "
                f"input_signature or other options (received {sorted(kwargs) or 'input_signature'})."
            )
        from neuronio.saving.onnx import export_onnx  # the onnx package is imported only here

        export_onnx(self, filepath, verbose=True if verbose is None else bool(verbose))

    def save_weights(self, filepath, overwrite=True):
        """Save the weights (and the optimizer state) to a Keras `.weights.h5` file, atomically."""
        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False):
        """Load weights from a `.weights.h5` file or a `.keras` archive saved by neuronio or Keras."""
        saving.load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def get_compile_config(self):
        """The arguments of `compile` as Keras serializes them (None if not compiled)."""
        return serialization.get_compile_config(self)

    def compile_from_config(self, config):
        """Compile from `get_compile_config()`'s output and build the optimizer's slots. A class
        with its own `compile` is left uncompiled with a warning, as Keras does: its compile's
        arguments are its own, so only its `compile_from_config` can say how to rebuild them."""
        if type(self).compile is not Model.compile:
            warnings.warn(
                f"{type(self).__name__} '{self.name}': compile() was not called as part of model loading because "
                "the model's compile() method is custom. Override get_compile_config() and "
                "compile_from_config(config) as well, or call compile() yourself after loading.",
                stacklevel=2,
            )
            return
        serialization.compile_from_config(self, config)


def _functional() -> type:
    """Functional, the subclass `Model(inputs, outputs)` becomes: found through the layer registry
    (models/__init__ registers it under Keras's name), as saving finds it, so that model.py and
    functional.py, which subclasses Model, do not import each other."""
    return registry.lookup("Functional")


def _make_functional(cls, functional) -> None:
    """Put Functional in place of Model among the bases of `cls` (or of the Model subclass it
    derives from), so `isinstance(model, Functional)` holds and `cls`'s own methods still win."""
    if issubclass(cls, functional):
        return
    if Model in cls.__bases__:
        cls.__bases__ = tuple(functional if base is Model else base for base in cls.__bases__)
        return
    for base in cls.__bases__:
        if isinstance(base, type) and issubclass(base, Model):
            _make_functional(base, functional)
            return
