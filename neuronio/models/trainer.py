"""compile, fit, evaluate, predict and the *_on_batch methods: one loop, numbered steps.

The loop is the same for the three phases; what differs is the step run on each batch:
  train:   forward in training mode under a GradientTape, loss, gradients, optimizer update;
  test:    forward in inference mode, loss and metrics;
  predict: forward in inference mode only.
Each step receives its batch packed as Keras packs it (`x`, `(x, y)` or `(x, y, sample_weight)`)
and returns the logs, so a subclass customizes `fit` by overriding `train_step(self, data)` (or
just `compute_loss` / `compute_metrics`, which the default steps call), exactly as in Keras 3.
Callbacks are the loop's other hooks.
"""

import inspect
import warnings

import numpy as np

from neuronio import config, losses, metrics, ops, optimizers
from neuronio.autodiff.tape import GradientTape, no_grad
from neuronio.autodiff.tensor import Tensor, checked_inputs, mask_of
from neuronio.callbacks import CallbackList
from neuronio.callbacks.ranks import for_this_process
from neuronio.distribution import distribution as current_distribution
from neuronio.distribution import inference
from neuronio.models._arguments import (
    UNCHECKED,
    batch_size_arg,
    check_loop_arguments,
    count_samples,
    legacy_epochs,
    pythonify,
    to_numpy,
    unpack_validation,
    validation_due,
    verbosity,
)
from neuronio.models.compile_metrics import CompileMetrics, as_list, as_targets, data_of
from neuronio.models.data import ArrayData, make_data
from neuronio.models.streams import is_stream, unpack_x_y_sample_weight


class Trainer:
    """Mixin giving a Model its training API (Keras 3's signatures and log keys)."""

    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self.stop_training = False
        self.history = None
        self._compile_metrics_spec = None
        self._compile_weighted_metrics_spec = None
        self._compiled_losses = None  # one Loss per output, resolved on the first batch
        self._compile_metrics = None  # a CompileMetrics holding the compiled metrics of every output
        self._loss_tracker = metrics.Mean(name="loss")
        self._output_loss_trackers = []
        self._initial_epoch = None  # set by BackupAndRestore to resume a run (Keras's hook)

    # -- compile ------------------------------------------------------------------------------------
    def compile(
        self,
        optimizer="rmsprop",
        loss=None,
        loss_weights=None,
        metrics=None,
        weighted_metrics=None,
        run_eagerly=False,
        steps_per_execution=1,
        jit_compile="auto",
        auto_scale_loss=True,
    ):
        """Configure training: optimizer, loss (per output if several) and metrics.

        Args:
            optimizer: name ("adam", "rmsprop", "sgd", ...) or an Optimizer.
            loss: name, function or Loss; a list or dict gives one per output.
            loss_weights: weights of the per-output losses in the total.
            metrics: list of names/functions/Metrics ("accuracy", "acc", "mae", ...); a dict or list
                of lists gives them per output. Updated without sample weights, as Keras.
            weighted_metrics: the same, updated with the sample weights (logged as
                `weighted_<name>` where the name is already a metric's).
        """
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self.loss_weights = loss_weights
        self._compile_metrics_spec = metrics
        self._compile_weighted_metrics_spec = weighted_metrics
        self._compiled_losses = None
        self._output_loss_trackers = []
        self._compile_metrics = (
            None
            if metrics is None and weighted_metrics is None
            else CompileMetrics(metrics, self._per_output, self._output_names(), weighted_metrics)
        )
        self.compiled = True
        self.stop_training = False

    def _require_compiled(self, what: str):
        if not self.compiled:
            raise RuntimeError(f"You must call model.compile(optimizer, loss, metrics) before model.{what}().")

    def _output_names(self) -> list[str]:
        names = getattr(self, "output_names", None)
        return list(names) if names else [self.name]

    def _per_output(self, spec, n_outputs: int, what: str) -> list:
        """A compile argument spread over the outputs (one value for all, a list, or a dict)."""
        names = self._output_names()
        if isinstance(spec, dict):
            unknown = set(spec) - set(names)
            if unknown:
                raise ValueError(f"compile: {what} names unknown outputs {sorted(unknown)}; outputs are {names}.")
            return [spec.get(name) for name in names]
        if isinstance(spec, (list, tuple)) and what == "loss":
            if len(spec) != n_outputs:
                raise ValueError(f"compile: {len(spec)} losses given for a model with {n_outputs} outputs.")
            return list(spec)
        if (
            what in ("metrics", "weighted_metrics")
            and n_outputs > 1
            and isinstance(spec, (list, tuple))
            and spec
            and (len(spec) == n_outputs or all(isinstance(s, (list, tuple)) or s is None for s in spec))
        ):
            # Keras 3: one entry per output when the list is as long as the outputs. Any other flat
            # list (which Keras 3 refuses) goes to every output, as Keras 2 programs expect.
            if len(spec) != n_outputs:
                raise ValueError(
                    f"compile: {what} is a list of {len(spec)} lists for a model with {n_outputs} outputs; "
                    f"give one list per output ({names}), or a dict by output name."
                )
            return list(spec)
        return [spec] * n_outputs

    def _resolve_compiled_losses(self, ys: list, y_preds: list) -> None:
        """On the first batch: resolve the losses from the data's shapes (as Keras does)."""
        n = len(y_preds)
        if len(ys) != n:
            raise ValueError(f"The model has {n} output(s) but {len(ys)} target array(s) were given.")
        names = self._output_names()
        loss_specs = self._per_output(self.loss, n, "loss")
        self._compiled_losses = [
            None if spec is None else losses.resolve(spec, np.shape(y), np.shape(yp))
            for spec, y, yp in zip(loss_specs, ys, y_preds)
        ]
        weights = self.loss_weights
        if weights is None:
            self._loss_weights = [1.0] * n
        elif isinstance(weights, dict):
            self._loss_weights = [float(weights.get(name, 1.0)) for name in names]
        else:
            self._loss_weights = [float(w) for w in weights]
        self._output_loss_trackers = [metrics.Mean(name=f"{name}_loss") for name in names] if n > 1 else []

    # -- metrics ------------------------------------------------------------------------------------
    def __setattr__(self, name, value):
        # Metrics assigned as attributes (self.loss_tracker = Mean(name="loss")) join `metrics`, as in Keras.
        if isinstance(value, metrics.Metric) and not name.startswith("_"):
            tracked = self.__dict__.setdefault("_tracked_metrics", [])
            if value not in tracked:
                tracked.append(value)
        super().__setattr__(name, value)

    @property
    def metrics(self) -> list:
        """Keras 3's list: the loss tracker, "compile_metrics" (every compiled metric), each output's
        loss tracker, then the metrics assigned as attributes."""
        tracked = []
        if self.compiled:
            tracked.append(self._loss_tracker)
            if self._compile_metrics is not None:
                tracked.append(self._compile_metrics)
            tracked += self._output_loss_trackers
        return tracked + list(self.__dict__.get("_tracked_metrics", []))

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        for m in self.metrics:
            m.reset_state()

    def get_metrics_result(self) -> dict:
        """Every metric's current value by name (compile_metrics spread into its members)."""
        return pythonify({m.name: m.result() for m in self.metrics})

    def _get_metrics_result_or_logs(self, logs) -> dict:
        # A custom step may return logs of its own; they are kept when their keys differ (Keras).
        results = self.get_metrics_result()
        if isinstance(logs, dict) and set(logs) == set(results):
            return results
        return logs if isinstance(logs, dict) else results

    def _flatten_metrics_in_order(self, logs: dict):
        """evaluate's list: Keras's order (tracked names first, then the other keys sorted)."""
        names = []
        for m in self.metrics:
            if isinstance(m, CompileMetrics):
                names += m.keys() if len(self._output_names()) == 1 else []
            else:
                names.append(m.name)
        ordered = [logs[name] for name in names if name in logs]
        ordered += [logs[key] for key in sorted(logs) if key not in names]
        return ordered[0] if len(ordered) == 1 else ordered

    # -- the hooks a subclass overrides: compute_loss, compute_metrics and the three steps ----------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The training loss of a batch: the compiled loss of (y, y_pred) plus every loss in
        `self.losses` (add_loss values and regularization penalties). Override it to train on
        another objective; the default steps call it."""
        del x, training
        parts = []
        if self.loss is not None:
            parts.append(self._compiled_loss(y, y_pred, sample_weight))
        for extra in self.losses:
            extra = extra if isinstance(extra, Tensor) else Tensor(np.asarray(extra, dtype=config.floatx()))
            parts.append(ops.sum(extra) if extra.ndim else extra)
        if not parts:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        return total

    def _y_to_check(self, x, y, step: str):
        """`y` when a missing target is an error (arrays into the compiled loss by the default
        steps); None is fine for a data source, a custom step or compute_loss, or no compiled loss."""
        custom = getattr(type(self), step) is not getattr(Trainer, step) or (
            type(self).compute_loss is not Trainer.compute_loss
        )
        return y if self.loss is not None and not custom and not is_stream(x) else UNCHECKED

    def _compute_loss(self, x, y, y_pred, sample_weight, training):
        # An override written before Keras 3.3 has no `training` argument; Keras calls it without.
        if "training" in inspect.signature(self.compute_loss).parameters:
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def _compiled_loss(self, y, y_pred, sample_weight):
        y_preds = as_list(y_pred)
        ys = as_targets(y, len(y_preds))
        if self._compiled_losses is None:
            self._resolve_compiled_losses(ys, y_preds)
        total = None
        for i, (loss_fn, weight, target, prediction) in enumerate(
            zip(self._compiled_losses, self._loss_weights, ys, y_preds)
        ):
            if loss_fn is None:
                continue
            # Padded timesteps (a masked sequence output) count for nothing, as in Keras.
            reduction = getattr(loss_fn, "reduction", "sum_over_batch_size")
            weights = losses.apply_mask(sample_weight, mask_of(prediction), reduction, data_of(prediction).dtype)
            value = loss_fn(data_of(target), prediction, sample_weight=weights)
            if self._output_loss_trackers:
                self._output_loss_trackers[i].update_state(float(value.data), sample_weight=len(data_of(target)))
            weighted = value if weight == 1.0 else value * weight
            total = weighted if total is None else total + weighted
        if total is None:
            raise ValueError("compile: every output's loss is None; nothing to train on.")
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None) -> dict:
        """Update the compiled metrics with a batch; returns every metric's value (the step's logs)."""
        del x
        if self._compile_metrics is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def train_step(self, data):
        """One optimizer update on one batch, `data` packed as `x`, `(x, y)` or `(x, y, sample_weight)`;
        returns the logs. Override it (Keras 3's way) to customize what `fit` does."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        if current_distribution() is not None:
            return self._data_parallel_train_step(x, y, sample_weight)
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self._compute_loss(x, y, y_pred, sample_weight, training=True)
        self._loss_tracker.update_state(float(loss.data), sample_weight=count_samples(x))
        variables = self.trainable_weights
        if variables:
            grads = tape.gradient(loss, variables)
            self.optimizer.apply(grads, variables)
        else:
            warnings.warn("The model does not have any trainable weights.", stacklevel=2)
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def _data_parallel_train_step(self, x, y, sample_weight):
        # neuronio.distribution: this process computes its micro-batches, every process applies the
        # same summed gradients and sees the whole batch's loss and outputs (distribution/data_parallel.py).
        loss, y_pred = current_distribution().train_step(
            self, x, y, sample_weight, lambda *args: self._compute_loss(*args, training=True)
        )
        self._loss_tracker.update_state(loss, sample_weight=count_samples(x))
        if self._output_loss_trackers:
            with no_grad():
                self._compiled_loss(y, y_pred, sample_weight)
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def test_step(self, data):
        """Loss and metrics on one batch, in inference mode; returns the logs."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with no_grad():
            y_pred = inference(self, x)
            loss = self._compute_loss(x, y, y_pred, sample_weight, training=False)
        self._loss_tracker.update_state(float(loss.data), sample_weight=count_samples(x))
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def predict_step(self, data):
        """The model's outputs for one batch (its `x`), in inference mode."""
        x, _, _ = unpack_x_y_sample_weight(data)
        with no_grad():
            return inference(self, x)

    # -- the loops ----------------------------------------------------------------------------------
    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs=1,
        verbose="auto",
        callbacks=None,
        validation_split=0.0,
        validation_data=None,
        shuffle=True,
        class_weight=None,
        sample_weight=None,
        initial_epoch=0,
        steps_per_epoch=None,
        validation_steps=None,
        validation_batch_size=None,
        validation_freq=1,
        **kwargs,
    ):
        """Train for `epochs` passes over (x, y) (arrays, or a PyDataset or generator of batches);
        returns a History whose `.history` maps each log key ("loss", "accuracy", "val_loss", ...)
        to its per-epoch values."""
        # 1. Keras 1 spellings and argument checks.
        config.tune_allocator()
        epochs = legacy_epochs(kwargs, epochs)
        self._require_compiled("fit")
        verbose = verbosity(verbose)
        batch_size = batch_size_arg(batch_size, "fit")
        check_loop_arguments(
            "fit", y=self._y_to_check(x, y, "train_step"), epochs=epochs, initial_epoch=initial_epoch, steps=steps_per_epoch,
            validation_steps=validation_steps, validation_freq=validation_freq, class_weight=class_weight,
            sample_weight=sample_weight, validation_data=validation_data,
        )  # fmt: skip
        if not 0 <= validation_split < 1:
            raise ValueError(f"fit: validation_split must be in [0, 1); received validation_split={validation_split}.")
        # 2. Data: arrays checked once (shapes, lengths, dtypes, NaN), validation taken from the end;
        #    a PyDataset or a generator is read batch by batch.
        data = make_data(x, y, sample_weight, self, "fit", class_weight, steps_per_epoch, validation_split)
        if validation_split and validation_data is None:
            data, val_data = data.split(validation_split)
        elif validation_data is not None:
            val_data = make_data(*unpack_validation(validation_data), self, "fit (validation_data)")
        else:
            val_data = None
        steps = steps_per_epoch or data.steps_for(batch_size)
        verbose, callbacks = for_this_process(verbose, callbacks)
        if current_distribution() is not None:  # every process starts from rank 0's weights and seeds
            current_distribution().prepare(self)
        # 3. Callbacks: History and the progress bar join the user's.
        callback_list = CallbackList(
            callbacks,
            add_history=True,
            add_progbar=verbose != 0,
            model=self,
            verbose=verbose,
            epochs=epochs,
            steps=steps,
        )
        self.stop_training = False
        callback_list.on_train_begin()
        # A callback restoring a backup (BackupAndRestore) names the epoch to resume from, as in Keras.
        initial_epoch, self._initial_epoch = self._initial_epoch or initial_epoch, None
        epoch_logs = {}
        for epoch in range(initial_epoch, epochs):
            # 4. One epoch: shuffled batches, a train_step each, running averages in the logs.
            self.reset_metrics()
            callback_list.on_epoch_begin(epoch)
            data.on_epoch_begin()
            logs = None
            for step, batch in enumerate(data.batches(batch_size, shuffle, limit=steps)):
                callback_list.on_train_batch_begin(step)
                logs = pythonify(self.train_step(batch))
                callback_list.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            data.on_epoch_end()
            if logs is None:  # a generator that ran dry (StreamData warned)
                break
            epoch_logs = self._get_metrics_result_or_logs(logs)
            # 5. Validation at the end of the epoch, with val_ prefixes.
            if val_data is not None and validation_due(epoch, validation_freq):
                val_logs = self._evaluate_loop(
                    val_data, validation_batch_size or batch_size, callback_list, validation_steps
                )
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            epoch_logs = dict(sorted(epoch_logs.items()))
            callback_list.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        if isinstance(self.optimizer, optimizers.Optimizer) and self.optimizer.built:  # use_ema: take the averages
            self.optimizer.finalize_variable_values(self.trainable_weights)
        callback_list.on_train_end(epoch_logs)
        return self.history

    def _evaluate_loop(self, data, batch_size, callback_list, steps=None) -> dict:
        self.reset_metrics()
        callback_list.on_test_begin()
        logs = None
        for step, batch in enumerate(data.batches(batch_size, shuffle=False, limit=steps)):
            callback_list.on_test_batch_begin(step)
            logs = pythonify(self.test_step(batch))
            callback_list.on_test_batch_end(step, logs)
        logs = self._get_metrics_result_or_logs(logs)
        callback_list.on_test_end(logs)
        return logs

    def evaluate(
        self,
        x=None,
        y=None,
        batch_size=None,
        verbose="auto",
        sample_weight=None,
        steps=None,
        callbacks=None,
        return_dict=False,
        **kwargs,
    ):
        """The loss and metrics on (x, y), averaged per sample: a float when there are no metrics,
        else [loss, metric, ...] (or a dict with return_dict=True)."""
        self._require_compiled("evaluate")
        config.tune_allocator()
        verbose = verbosity(verbose)
        batch_size = batch_size_arg(batch_size, "evaluate")
        check_loop_arguments(
            "evaluate", y=self._y_to_check(x, y, "test_step"), steps=steps, sample_weight=sample_weight
        )
        data = make_data(x, y, sample_weight, self, "evaluate", steps_per_epoch=steps)
        verbose, callbacks = for_this_process(verbose, callbacks)
        n_steps = steps or data.steps_for(batch_size)
        callback_list = CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=n_steps
        )
        logs = self._evaluate_loop(data, batch_size, callback_list, steps)
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for x (arrays, or a PyDataset or generator of batches), computed in
        batches in inference mode (a NumPy array, or a list of arrays for several outputs)."""
        config.tune_allocator()
        verbose = verbosity(verbose)
        batch_size = batch_size_arg(batch_size, "predict")
        data = make_data(x, None, None, self, "predict", steps_per_epoch=steps)
        verbose, callbacks = for_this_process(verbose, callbacks)
        n_steps = steps or data.steps_for(batch_size)
        callback_list = CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=n_steps
        )
        callback_list.on_predict_begin()
        chunks = []
        for step, batch in enumerate(data.batches(batch_size, shuffle=False, limit=steps)):
            callback_list.on_predict_batch_begin(step)
            out = to_numpy(self.predict_step(batch))
            chunks.append(out)
            callback_list.on_predict_batch_end(step, {"outputs": out})
        callback_list.on_predict_end()
        if not chunks:
            raise ValueError("predict received no samples.")
        if isinstance(chunks[0], list):
            return [np.concatenate([c[i] for c in chunks]) for i in range(len(chunks[0]))]
        return np.concatenate(chunks)

    # -- single batches ----------------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One update on exactly this batch; returns loss (and metrics) after it."""
        self._require_compiled("train_on_batch")
        check_loop_arguments(
            "train_on_batch",
            y=self._y_to_check(x, y, "train_step"),
            class_weight=class_weight,
            sample_weight=sample_weight,
        )
        data = ArrayData(x, y, sample_weight, self, "train_on_batch", class_weight=class_weight)
        self.reset_metrics()
        with checked_inputs(data.checked()):  # scanned by ArrayData: converting them does not scan them again
            logs = self._get_metrics_result_or_logs(pythonify(self.train_step(data.packed())))
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) on exactly this batch, without updating the weights."""
        self._require_compiled("test_on_batch")
        check_loop_arguments("test_on_batch", y=self._y_to_check(x, y, "test_step"), sample_weight=sample_weight)
        data = ArrayData(x, y, sample_weight, self, "test_on_batch")
        self.reset_metrics()
        with checked_inputs(data.checked()):
            logs = self._get_metrics_result_or_logs(pythonify(self.test_step(data.packed())))
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    def predict_on_batch(self, x):
        """The outputs for exactly this batch."""
        data = ArrayData(x, None, None, self, "predict_on_batch")
        with checked_inputs(data.checked()):
            return to_numpy(self.predict_step(data.packed()))
