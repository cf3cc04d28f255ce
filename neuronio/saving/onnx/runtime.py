"""A neuronio model's inference through ONNX Runtime, for `neuronio read --onnx` and benchmarks."""

import numpy as np

from neuronio.errors import NeuronioError
from neuronio.saving.onnx.export import to_onnx


class OnnxRuntimeModel:
    """`predict` (and `logits`) of `model`, computed by ONNX Runtime on the model's ONNX export.

    Args:
        model: a built Sequential or functional neuronio model with one input.
        threads: ONNX Runtime's intra-op threads (None: its default, one per core).

    `logits(x)` runs the same graph without its final softmax (None when the model does not end
    in one): the reader's energy score needs the scores before normalisation.
    """

    def __init__(self, model, threads: int | None = None):
        try:
            import onnxruntime
        except ImportError as exc:
            raise NeuronioError("Inference with ONNX Runtime needs onnxruntime: pip install 'neuronio[onnx]'.") from exc
        options = onnxruntime.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = int(threads)
        proto = to_onnx(model)
        if len(proto.graph.input) != 1:
            raise NeuronioError(f"OnnxRuntimeModel runs one-input models; '{model.name}' has {len(proto.graph.input)}.")
        self.inputs = model.inputs
        self.name = model.name
        self._session = onnxruntime.InferenceSession(
            proto.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )
        head = _without_final_softmax(proto)
        self._logits_session = None
        if head is not None:
            self._logits_session = onnxruntime.InferenceSession(
                head.SerializeToString(), options, providers=["CPUExecutionProvider"]
            )

    def _run(self, session, x) -> np.ndarray:
        return session.run(None, {session.get_inputs()[0].name: np.asarray(x, dtype=np.float32)})[0]

    def predict(self, x, batch_size=None, verbose=0) -> np.ndarray:
        return self._run(self._session, x)

    def outputs(self, x) -> list[np.ndarray]:
        """Every output of the model, in order (a probe model's per-layer outputs, for the lab)."""
        session = self._session
        return session.run(None, {session.get_inputs()[0].name: np.asarray(x, dtype=np.float32)})

    def logits(self, x):
        return None if self._logits_session is None else self._run(self._logits_session, x)


def _without_final_softmax(proto):
    """A copy of the graph whose output is the input of its final Softmax, or None."""
    nodes = list(proto.graph.node)
    # The graph ends ... -> Softmax -> Identity(output); see export.to_onnx.
    if len(nodes) < 2 or nodes[-1].op_type != "Identity" or nodes[-2].op_type != "Softmax":
        return None
    if nodes[-1].input[0] != nodes[-2].output[0]:
        return None
    head = type(proto)()
    head.CopyFrom(proto)
    del head.graph.node[len(nodes) - 2]  # drop the Softmax; the Identity now reads the scores
    head.graph.node[-1].input[0] = nodes[-2].input[0]
    return head
