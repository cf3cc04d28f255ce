"""ONNX export (`model.export(path, format="onnx")`, `neuronio export`); needs the `onnx` extra."""

from neuronio.saving.onnx.export import export_onnx, to_onnx
from neuronio.saving.onnx.graph import ExportError

__all__ = ["ExportError", "export_onnx", "to_onnx"]
