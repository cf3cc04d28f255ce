"""TensorBoard: event files the real `tensorboard` program reads, laid out as Keras 3 writes them.

    log_dir/train/events.out.tfevents.*        epoch_<metric>, epoch_learning_rate, batch_<metric>,
                                               <weight path>/histogram, <weight path>/image, keras
    log_dir/validation/events.out.tfevents.*   epoch_<metric> (val_ prefix removed),
                                               evaluation_<metric>_vs_iterations

Epoch scalars use the 0-based epoch as step; batch scalars the 1-based count of training batches
since `fit` began, written when that count is a multiple of `update_freq`; the evaluation scalars
the optimizer's `iterations`. The writer is tensorboardX (the `tensorboard` extra), imported when
the first file is opened, so the callback can be built without it.

What Keras on the torch backend cannot do either is refused here as it is there: `profile_batch`
other than 0 raises ValueError (no profiler). `embeddings_freq` other than 0 also raises:
Keras's torch backend writes a projector config pointing at a `.weights.h5` file that TensorBoard's
projector cannot read, and neuronio does not pretend to.
"""

import json
import os
import time

import numpy as np

from neuronio.callbacks.callback import Callback


class TensorBoard(Callback):
    """Log training to TensorBoard (`tensorboard --logdir logs`).

    Args:
        log_dir: the run's directory; `train/` and `validation/` are written below it.
        histogram_freq: every how many epochs to write a histogram of every weight (0: never).
        write_graph: write the model's config as the "keras" summary TensorBoard's graph tab
            draws (Sequential and functional models).
        write_images: with histograms, also write each kernel as an image.
        write_steps_per_second: add `steps_per_second` to the scalars.
        update_freq: "epoch", "batch", or an integer N: write `batch_<metric>` every N batches.
        profile_batch: must be 0 (no profiler on a NumPy engine).
        embeddings_freq, embeddings_metadata: must be 0 / None (no projector checkpoints).
    """

    def __init__(
        self,
        log_dir="logs",
        histogram_freq=0,
        write_graph=True,
        write_images=False,
        write_steps_per_second=False,
        update_freq="epoch",
        profile_batch=0,
        embeddings_freq=0,
        embeddings_metadata=None,
    ):
        super().__init__()
        self.log_dir = str(os.fspath(log_dir))
        self.histogram_freq = _non_negative_int("histogram_freq", histogram_freq)
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (
            isinstance(update_freq, bool) or not isinstance(update_freq, int) or update_freq < 1
        ):
            raise ValueError(
                f"TensorBoard: update_freq must be 'epoch', 'batch' or a positive integer; received {update_freq!r}."
            )
        self.update_freq = update_freq
        if profile_batch not in (0, None, "0", (0, 0), [0, 0]):
            raise ValueError(
                f"TensorBoard: profiling is not available in neuronio (as in Keras on the torch "
                f"backend). Received: profile_batch={profile_batch!r} (must be 0)."
            )
        self.embeddings_freq = _non_negative_int("embeddings_freq", embeddings_freq)
        self.embeddings_metadata = embeddings_metadata
        if self.embeddings_freq or embeddings_metadata is not None:
            raise ValueError(
                f"TensorBoard: embeddings_freq={embeddings_freq!r}, embeddings_metadata="
                f"{embeddings_metadata!r}: neuronio does not write projector embeddings. Leave "
                f"embeddings_freq=0 and embeddings_metadata=None, and log embedding weights with "
                f"histogram_freq instead."
            )
        self._writers = {}
        self._in_fit = False
        self._global_train_batch = 0
        self._batch_start_time = 0.0
        self._epoch_start_time = 0.0
        self._epoch_start_iterations = 0

    # -- writers ---------------------------------------------------------------------------------
    def _writer(self, which: str):
        writer = self._writers.get(which)
        if writer is None:
            try:
                from tensorboardX import SummaryWriter
            except ImportError:
                raise ImportError(
                    "The TensorBoard callback writes its event files with tensorboardX. Install it "
                    "with `pip install neuronio[tensorboard]` (or `pip install tensorboardX`)."
                ) from None
            writer = SummaryWriter(os.path.join(self.log_dir, which), flush_secs=5)
            self._writers[which] = writer
        return writer

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def _scalar(self, which: str, tag: str, value, step: int) -> None:
        self._writer(which).add_scalar(tag, float(np.asarray(value)), int(step))

    # -- hooks -----------------------------------------------------------------------------------
    def set_model(self, model):
        super().set_model(model)
        self._close_writers()
        if self.write_graph:
            self._write_model_config()

    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._in_fit = False
        self._close_writers()

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and logs:
            step = int(
                np.asarray(optimizer.iterations.data if hasattr(optimizer.iterations, "data") else optimizer.iterations)
            )
            for name, value in logs.items():
                self._scalar("validation", f"evaluation_{name}_vs_iterations", value, step)
        if not self._in_fit:  # a standalone evaluate(): nothing else will close the files
            self._close_writers()

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq != 0:
            return
        step = self._global_train_batch
        if self.write_steps_per_second:
            elapsed = max(time.perf_counter() - self._batch_start_time, 1e-12)
            self._scalar("train", "batch_steps_per_second", 1.0 / elapsed, step)
        if isinstance(logs, dict):
            for name, value in logs.items():
                self._scalar("train", f"batch_{name}", value, step)

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            self._epoch_start_iterations = self._iterations()
            self._epoch_start_time = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs:
            self._log_epoch_metrics(epoch, logs)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        for writer in self._writers.values():
            writer.flush()

    # -- what gets written -----------------------------------------------------------------------
    def _log_epoch_metrics(self, epoch, logs) -> None:
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        rate = self._learning_rate()
        if rate is not None:
            train_logs["learning_rate"] = rate
        if self.write_steps_per_second:
            elapsed = max(time.perf_counter() - self._epoch_start_time, 1e-12)
            train_logs["steps_per_second"] = (self._iterations() - self._epoch_start_iterations) / elapsed
        for name, value in train_logs.items():
            self._scalar("train", f"epoch_{name}", value, epoch)
        for name, value in val_logs.items():
            self._scalar("validation", f"epoch_{name}", value, epoch)

    def _learning_rate(self):
        optimizer = getattr(self.model, "optimizer", None)
        rate = getattr(optimizer, "learning_rate", None)
        if rate is None:
            return None
        return float(np.asarray(rate.data if hasattr(rate, "data") else rate))

    def _iterations(self) -> int:
        optimizer = getattr(self.model, "optimizer", None)
        iterations = getattr(optimizer, "iterations", 0)
        return int(np.asarray(iterations.data if hasattr(iterations, "data") else iterations))

    def _log_weights(self, epoch) -> None:
        writer = self._writer("train")
        for layer in self.model.layers:
            for weight in layer.weights:
                name = weight.path.replace(":", "_")
                values = np.asarray(weight.data, dtype=np.float64)
                writer.add_histogram(f"{name}/histogram", values, epoch)
                if self.write_images:
                    image = _weight_image(values)
                    if image is not None:
                        writer.add_images(f"{name}/image", image, epoch, dataformats="NHWC")

    def _write_model_config(self) -> None:
        """The model's Keras config under the tag "keras" (plugin graph_keras_model), which
        TensorBoard's graph tab draws as a conceptual graph; as in Keras, only for Sequential
        and functional models, and a model that cannot be serialized is skipped with a warning."""
        if type(self.model).__name__ not in ("Sequential", "Functional"):
            return
        writer = self._writer("train")  # first: without tensorboardX, its ImportError names the extra
        from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
        from tensorboardX.proto.tensor_pb2 import TensorProto

        from neuronio.saving.serialization import serialize_layer, to_keras_envelope

        try:
            config_json = json.dumps(to_keras_envelope(serialize_layer(self.model)))
        except (TypeError, ValueError) as error:
            import warnings

            warnings.warn(
                f"TensorBoard: the model's config could not be written as JSON ({error}); no graph.", stacklevel=2
            )
            return
        metadata = SummaryMetadata(
            plugin_data=SummaryMetadata.PluginData(plugin_name="graph_keras_model", content=b"1")
        )
        tensor = TensorProto(dtype="DT_STRING", string_val=[config_json.encode("utf-8")])
        summary = Summary(value=[Summary.Value(tag="keras", tensor=tensor, metadata=metadata)])
        writer._get_file_writer().add_summary(summary, 0)
        writer.flush()


def _weight_image(values: np.ndarray):
    """Keras's picture of a weight: a bias as a 1-pixel-high strip, a dense kernel with its long
    side across, a conv kernel as one image per input channel; None for what it cannot show."""
    image = np.squeeze(values)
    if image.ndim == 1:
        image = image.reshape(1, image.shape[0], 1, 1)
    elif image.ndim == 2:
        if image.shape[0] > image.shape[1]:
            image = image.T
        image = image.reshape(1, image.shape[0], image.shape[1], 1)
    elif image.ndim == 3:
        image = np.transpose(image, (2, 0, 1))[..., None]
    if image.ndim != 4 or image.shape[-1] not in (1, 3, 4):
        return None
    return np.clip(image, 0.0, 1.0).astype(np.float32)


def _non_negative_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"TensorBoard: {name} must be a non-negative integer; received {value!r}.")
    return int(value)
