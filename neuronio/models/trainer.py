"""compile, fit, evaluate, predict and the *_on_batch methods: one loop, numbered steps.

The loop is the same for the three phases; what differs is the step run on each batch:
  train:   forward in training mode under a GradientTape, loss, gradients, optimizer update;
  test:    forward in inference mode, loss and metrics;
  predict: forward in inference mode only.
Callbacks are the only hooks into the loop.
"""

import math

import numpy as np

from neuronio import config, losses, metrics, optimizers
from neuronio.autodiff.tape import GradientTape, no_grad
from neuronio.callbacks import CallbackList
from neuronio.models.data import ArrayData


class Trainer:
    """Mixin giving a Model its training API (Keras 3's signatures and log keys)."""

    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self.stop_training = False
        self.history = None
        self._compile_metrics_spec = None
        self._compiled_losses = None  # one Loss per output, resolved on the first batch
        self._compiled_metrics = None  # per output: list of Metric
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
                of lists gives them per output.
        """
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self.loss_weights = loss_weights
        self._compile_metrics_spec = metrics
        self._compiled_losses = None
        self._compiled_metrics = None
        self.compiled = True
        self.stop_training = False

    def _require_compiled(self, what: str):
        if not self.compiled:
            raise RuntimeError(f"You must call model.compile(optimizer, loss, metrics) before model.{what}().")
        if self.loss is None and what != "predict":
            raise ValueError(
                f"model.{what}() needs a loss: pass loss= to compile(), e.g. "
                f"compile(optimizer='adam', loss='categorical_crossentropy')."
            )

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
            what == "metrics"
            and n_outputs > 1
            and isinstance(spec, (list, tuple))
            and spec
            and all(isinstance(s, (list, tuple)) or s is None for s in spec)
        ):
            return list(spec)
        return [spec] * n_outputs

    def _resolve_compiled(self, ys: list, y_preds: list) -> None:
        """On the first batch: resolve losses and metrics from the data's shapes (Keras does this
        too, so that "accuracy" becomes binary, categorical or sparse accuracy)."""
        n = len(y_preds)
        if len(ys) != n:
            raise ValueError(f"The model has {n} output(s) but {len(ys)} target array(s) were given.")
        names = self._output_names()
        loss_specs = self._per_output(self.loss, n, "loss")
        self._compiled_losses = [
            None if spec is None else losses.resolve(spec, np.shape(y), yp.shape)
            for spec, y, yp in zip(loss_specs, ys, y_preds)
        ]
        weights = self.loss_weights
        if weights is None:
            self._loss_weights = [1.0] * n
        elif isinstance(weights, dict):
            self._loss_weights = [float(weights.get(name, 1.0)) for name in names]
        else:
            self._loss_weights = [float(w) for w in weights]
        metric_specs = self._per_output(self._compile_metrics_spec, n, "metrics")
        self._compiled_metrics = []
        for i, (spec, y, yp) in enumerate(zip(metric_specs, ys, y_preds)):
            specs = [] if spec is None else spec if isinstance(spec, (list, tuple)) else [spec]
            resolved = []
            for s in specs:
                metric = metrics.resolve(s, np.shape(y), yp.shape)
                if n > 1:
                    metric.name = f"{names[i]}_{metric.name}"
                resolved.append(metric)
            self._compiled_metrics.append(resolved)
        self._output_loss_trackers = [metrics.Mean(name=f"{name}_loss") for name in names] if n > 1 else []

    @property
    def metrics(self) -> list:
        """The metrics tracked during training: the loss first, then the compiled metrics."""
        tracked = [self._loss_tracker]
        for per_output in self._compiled_metrics or []:
            tracked += per_output
        return tracked + self._output_loss_trackers

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        for m in self.metrics:
            m.reset_state()

    def _logs(self) -> dict:
        # Keras 3 hands callbacks the logs with sorted keys (utils.python_utils.pythonify_logs).
        return {m.name: float(m.result()) for m in sorted(self.metrics, key=lambda m: m.name)}

    # -- one step each -----------------------------------------------------------------------------
    def _take_output_masks(self, n: int) -> list:
        """The masks of the outputs of the call just made (a padded sequence's timesteps), recorded
        by Sequential and functional models; Keras leaves masked entries out of loss and metrics."""
        return self.__dict__.pop("_output_masks", None) or [None] * n

    def _total_loss(self, ys, y_preds, sample_weight, masks=None):
        total, per_output = None, []
        masks = masks or [None] * len(y_preds)
        for loss_fn, weight, y, y_pred, mask in zip(self._compiled_losses, self._loss_weights, ys, y_preds, masks):
            if loss_fn is None:
                per_output.append(None)
                continue
            reduction = getattr(loss_fn, "reduction", "sum_over_batch_size")
            value = loss_fn(y, y_pred, sample_weight=losses.apply_mask(sample_weight, mask, reduction, y_pred.dtype))
            per_output.append(value)
            weighted = value if weight == 1.0 else value * weight
            total = weighted if total is None else total + weighted
        if total is None:
            raise ValueError("compile: every output's loss is None; nothing to train on.")
        return total, per_output

    def _update_metrics(self, ys, y_preds, loss_value, per_output, n, sample_weight, masks=None):
        self._loss_tracker.update_state(loss_value, sample_weight=n)
        for tracker, value in zip(self._output_loss_trackers, per_output):
            if value is not None:
                tracker.update_state(float(value.data), sample_weight=n)
        masks = masks or [None] * len(y_preds)
        for per_metric, y, y_pred, mask in zip(self._compiled_metrics, ys, y_preds, masks):
            weights = losses.apply_mask(sample_weight, mask, "sum", y_pred.dtype)
            for metric in per_metric:
                metric.update_state(y, y_pred.data, sample_weight=weights)

    def train_step(self, x, ys, sample_weight=None):
        """One optimizer update on one batch; returns the current logs."""
        with GradientTape() as tape:
            y_preds = _as_outputs(self(x, training=True))
            masks = self._take_output_masks(len(y_preds))
            if self._compiled_losses is None:
                self._resolve_compiled(ys, y_preds)
            loss, per_output = self._total_loss(ys, y_preds, sample_weight, masks)
        variables = self.trainable_weights
        grads = tape.gradient(loss, variables)
        self.optimizer.apply(grads, variables)
        self._update_metrics(ys, y_preds, float(loss.data), per_output, _batch_size(ys), sample_weight, masks)

    def test_step(self, x, ys, sample_weight=None):
        """Loss and metrics on one batch, in inference mode."""
        with no_grad():
            y_preds = _as_outputs(self(x, training=False))
            masks = self._take_output_masks(len(y_preds))
            if self._compiled_losses is None:
                self._resolve_compiled(ys, y_preds)
            loss, per_output = self._total_loss(ys, y_preds, sample_weight, masks)
        self._update_metrics(ys, y_preds, float(loss.data), per_output, _batch_size(ys), sample_weight, masks)

    def predict_step(self, x):
        with no_grad():
            outputs = self(x, training=False)
        return [o.data for o in outputs] if isinstance(outputs, list) else outputs.data

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
        """Train for `epochs` passes over (x, y); returns a History whose `.history` maps each log
        key ("loss", "accuracy", "val_loss", ...) to its per-epoch values."""
        # 1. Keras 1 spellings and argument checks.
        config.tune_allocator()
        epochs = _legacy_epochs(kwargs, epochs)
        self._require_compiled("fit")
        verbose = _verbosity(verbose)
        batch_size = _batch_size_arg(batch_size, "fit")
        if not 0 <= validation_split < 1:
            raise ValueError(f"fit: validation_split must be in [0, 1); received validation_split={validation_split}.")
        # 2. Data: arrays checked once (shapes, lengths, dtypes, NaN), validation taken from the end.
        data = ArrayData(x, y, sample_weight, self, "fit", class_weight=class_weight)
        if validation_split and validation_data is None:
            data, val_data = data.split(validation_split)
        elif validation_data is not None:
            val_data = ArrayData(*_unpack_validation(validation_data), self, "fit (validation_data)")
        else:
            val_data = None
        steps = steps_per_epoch or math.ceil(data.n / batch_size)
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
            # 4. One epoch: shuffled batches, an update each, running averages in the logs.
            self.reset_metrics()
            callback_list.on_epoch_begin(epoch)
            for step, (xb, yb, swb) in enumerate(data.batches(batch_size, shuffle, limit=steps)):
                callback_list.on_train_batch_begin(step)
                self.train_step(xb, yb, swb)
                callback_list.on_train_batch_end(step, self._logs())
                if self.stop_training:
                    break
            epoch_logs = self._logs()
            # 5. Validation at the end of the epoch, with val_ prefixes.
            if val_data is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_loop(
                    val_data, validation_batch_size or batch_size, callback_list, validation_steps
                )
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            epoch_logs = dict(sorted(epoch_logs.items()))
            callback_list.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        callback_list.on_train_end(epoch_logs)
        return self.history

    def _evaluate_loop(self, data, batch_size, callback_list, steps=None) -> dict:
        self.reset_metrics()
        callback_list.on_test_begin()
        for step, (xb, yb, swb) in enumerate(data.batches(batch_size, shuffle=False, limit=steps)):
            callback_list.on_test_batch_begin(step)
            self.test_step(xb, yb, swb)
            callback_list.on_test_batch_end(step, self._logs())
        logs = self._logs()
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
        verbose = _verbosity(verbose)
        batch_size = _batch_size_arg(batch_size, "evaluate")
        data = ArrayData(x, y, sample_weight, self, "evaluate")
        n_steps = steps or math.ceil(data.n / batch_size)
        callback_list = CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=n_steps
        )
        logs = self._evaluate_loop(data, batch_size, callback_list, steps)
        if return_dict:
            return logs
        ordered = [logs[m.name] for m in self.metrics]
        return ordered[0] if len(ordered) == 1 else ordered

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for x, computed in batches in inference mode (a NumPy array, or a
        list of arrays for several outputs)."""
        config.tune_allocator()
        verbose = _verbosity(verbose)
        batch_size = _batch_size_arg(batch_size, "predict")
        data = ArrayData(x, None, None, self, "predict")
        n_steps = steps or math.ceil(data.n / batch_size)
        callback_list = CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=n_steps
        )
        callback_list.on_predict_begin()
        chunks = []
        for step, (xb, _, _) in enumerate(data.batches(batch_size, shuffle=False, limit=steps)):
            callback_list.on_predict_batch_begin(step)
            out = self.predict_step(xb)
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
        data = ArrayData(x, y, sample_weight, self, "train_on_batch", class_weight=class_weight)
        self.reset_metrics()
        xb, yb, swb = data.all()
        self.train_step(xb, yb, swb)
        return self._batch_result(return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) on exactly this batch, without updating the weights."""
        self._require_compiled("test_on_batch")
        data = ArrayData(x, y, sample_weight, self, "test_on_batch")
        self.reset_metrics()
        xb, yb, swb = data.all()
        self.test_step(xb, yb, swb)
        return self._batch_result(return_dict)

    def predict_on_batch(self, x):
        """The outputs for exactly this batch."""
        data = ArrayData(x, None, None, self, "predict_on_batch")
        return self.predict_step(data.all()[0])

    def _batch_result(self, return_dict):
        logs = self._logs()
        if return_dict:
            return logs
        ordered = [logs[m.name] for m in self.metrics]
        return ordered[0] if len(ordered) == 1 else ordered


def _as_outputs(outputs) -> list:
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def _batch_size(ys) -> int:
    return len(ys[0])


def _verbosity(verbose) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto'; received verbose={verbose!r}.")
    return int(verbose)


def _batch_size_arg(batch_size, who: str) -> int:
    if batch_size is None:
        return 32
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(f"{who}: batch_size must be a positive int; received batch_size={batch_size!r}.")
    return int(batch_size)


def _legacy_epochs(kwargs: dict, epochs):
    if "nb_epoch" in kwargs:
        from neuronio._legacy import renamed

        epochs = renamed("fit", "nb_epoch", "epochs", kwargs.pop("nb_epoch"))
    if kwargs:
        raise TypeError(f"fit got unexpected keyword arguments: {sorted(kwargs)}.")
    return epochs


def _unpack_validation(validation_data):
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise ValueError(
            "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight); received "
            f"{type(validation_data).__name__} of length {len(validation_data) if hasattr(validation_data, '__len__') else '?'}."
        )
    x, y, *rest = validation_data
    return x, y, (rest[0] if rest else None)
