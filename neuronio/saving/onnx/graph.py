"""The ONNX graph being written: named values, the nodes that make them, and the layout of each.

neuronio computes channels-last (N, H, W, C); ONNX's Conv, pooling and BatchNormalization read
channels-first (N, C, H, W). Each value therefore carries its layout: "logical" (the shape
neuronio's layer sees) or "nchw" (a rank-4 logical tensor stored channels-first). A converter asks
for the layout it needs and a Transpose is written only where the layout changes, so a stack of
convolutions and pools runs channels-first throughout and transposes back once, before Flatten.
"""

from dataclasses import dataclass

import numpy as np

from neuronio.errors import NeuronioError

TO_NCHW = (0, 3, 1, 2)  # (N, H, W, C) -> (N, C, H, W)
TO_NHWC = (0, 2, 3, 1)  # (N, C, H, W) -> (N, H, W, C)


class ExportError(NeuronioError, ValueError):
    """The model holds something ONNX cannot express (the message names the layers)."""


@dataclass(frozen=True)
class Value:
    """One tensor of the graph: its ONNX name, its logical shape (batch None) and its layout."""

    name: str
    shape: tuple
    layout: str = "logical"  # "logical" or "nchw"

    @property
    def ndim(self) -> int:
        return len(self.shape)


class GraphBuilder:
    """Collects nodes and initializers with unique names; `onnx` is imported by the caller."""

    def __init__(self, onnx_module):
        self.onnx = onnx_module
        self.nodes: list = []
        self.initializers: list = []
        self._used: set[str] = set()
        self._transposed: dict = {}  # (value name, layout) -> Value, so one value is transposed once

    def fresh(self, hint: str) -> str:
        name, k = hint, 1
        while name in self._used:
            k += 1
            name = f"{hint}_{k}"
        self._used.add(name)
        return name

    def constant(self, hint: str, array) -> str:
        """An initializer holding `array` (float arrays as float32, integer arrays as int64)."""
        array = np.asarray(array)
        array = array.astype(np.int64 if array.dtype.kind in "iub" else np.float32)
        name = self.fresh(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op: str, inputs: list, hint: str, **attributes) -> str:
        """Append one node with a single output and return the output's name."""
        out = self.fresh(hint)
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [out], name=out, **attributes))
        return out

    # -- layouts -----------------------------------------------------------------------------------
    def as_logical(self, value: Value) -> Value:
        if value.layout == "logical":
            return value
        return self._transpose(value, TO_NHWC, "logical")

    def as_nchw(self, value: Value) -> Value:
        if value.layout == "nchw":
            return value
        if value.ndim != 4:
            raise ExportError(f"expected a rank-4 (N, H, W, C) tensor for a channels-first op; got {value.shape}.")
        return self._transpose(value, TO_NCHW, "nchw")

    def _transpose(self, value: Value, perm, layout: str) -> Value:
        key = (value.name, layout)
        if key not in self._transposed:
            out = self.node("Transpose", [value.name], f"{value.name}_{layout}", perm=list(perm))
            self._transposed[key] = Value(out, value.shape, layout)
        return self._transposed[key]

    def same_layout(self, values: list) -> list:
        """Every value in one layout: channels-first when all are, else all logical."""
        if all(v.layout == "nchw" for v in values):
            return values
        return [self.as_logical(v) for v in values]


def nchw_axis(axis: int, ndim: int = 4) -> int:
    """Where logical axis `axis` of an (N, H, W, C) tensor sits in its (N, C, H, W) storage."""
    return (0, 2, 3, 1)[axis % ndim]
