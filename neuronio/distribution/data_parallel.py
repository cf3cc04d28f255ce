"""DataParallel: `fit` over N processes that trains to the same bits as one process.

How a step is cut (the decomposition never depends on the number of processes):
  1. the global batch of n samples is cut into micro-batches of `micro_batch_size` samples
     (the last one may be smaller), numbered 0..m-1;
  2. rank r of N computes micro-batches [r*m//N, (r+1)*m//N): a contiguous block, in order;
  3. each micro-batch is a forward and backward of its own, from the weights and non-trainable
     state of the step's start, with the loss scaled by (its size / n), and random draws
     (Dropout, noise, augmentation) from streams seeded by (fit seed, step, micro-batch index);
  4. the micro-batches' gradients are added along a fixed binary tree over their indices,
     ((g0 + g1) + (g2 + g3)), each process adding the subtrees inside its block and the rest
     being added slice by slice after an alltoall (see `_reduce`); every process then gathers the
     summed gradient, and every micro-batch's new non-trainable state, scaled loss and outputs,
     so every rank applies the same update: the one a single process running this code computes.
The non-trainable state (BatchNormalization's moving statistics) after the step is the
size-weighted mean of what each micro-batch left, in micro-batch order: one moving-average
update per step with the statistics averaged over the micro-batches ("ghost batch norm": each
micro-batch is normalised with its own mean and variance in training).
"""

import copy
from contextlib import contextmanager

import numpy as np

from neuronio import config
from neuronio.autodiff.tape import GradientTape, no_grad
from neuronio.autodiff.tensor import Tensor, array_of
from neuronio.distribution.communicator import LocalCommunicator, MPICommunicator, launched_by_mpi, resolve_timeout
from neuronio.layers.layer import _flatten_layers

DEFAULT_MICRO_BATCH_SIZE = 32


class DataParallel:
    """Data parallelism over processes, with Keras 3's names: `set_distribution(DataParallel())`.

    Under `mpiexec -n N python train.py` each process is one device ("cpu:<rank>"); started
    without mpiexec the world is this one process and nothing needs MPI.

    Args:
        device_mesh: Keras's argument; not supported (the mesh is the list of processes).
        devices: the devices to use; None (all processes) or exactly `list_devices()`.
        auto_shard_dataset: must be True: every process reads the same global batches and
            computes its own micro-batches of each.
        micro_batch_size: samples per micro-batch (32). A global batch of n samples keeps
            ceil(n / micro_batch_size) processes busy; more processes than that wait.
        timeout: seconds a collective waits for the other processes before the job is ended
            with an error (default $NEURONIO_DISTRIBUTION_TIMEOUT, else 300).
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True, micro_batch_size=None, timeout=None):
        if device_mesh is not None:
            raise ValueError(
                "DataParallel: device_mesh is not supported; neuronio's devices are the MPI processes. "
                "Pass devices=None (every process) instead."
            )
        if auto_shard_dataset is not True:
            raise ValueError(
                f"DataParallel: auto_shard_dataset={auto_shard_dataset!r} is not supported: every process reads "
                f"the same global batches and computes its share of each (that keeps results independent of "
                f"the number of processes). Leave it at True."
            )
        if micro_batch_size is None:
            micro_batch_size = DEFAULT_MICRO_BATCH_SIZE
        if (
            isinstance(micro_batch_size, bool)
            or not isinstance(micro_batch_size, (int, np.integer))
            or micro_batch_size < 1
        ):
            raise ValueError(f"DataParallel: micro_batch_size must be a positive int; received {micro_batch_size!r}.")
        self.micro_batch_size = int(micro_batch_size)
        self.timeout = resolve_timeout(timeout)
        self.comm = MPICommunicator(self.timeout) if launched_by_mpi() else LocalCommunicator()
        all_devices = [f"cpu:{rank}" for rank in range(self.comm.size)]
        if devices is not None and [str(d) for d in devices] != all_devices:
            raise ValueError(
                f"DataParallel: devices must be every process of the job, {all_devices}; received {list(devices)}. "
                f"Choose the number of processes with `mpiexec -n N`."
            )
        self.devices = all_devices
        self.auto_shard_dataset = True
        self._prepared = None  # (model id, random-stream seeds) after prepare()

    # -- the world --------------------------------------------------------------------------------
    @property
    def num_processes(self) -> int:
        return self.comm.size

    @property
    def process_id(self) -> int:
        return self.comm.rank

    @property
    def is_chief(self) -> bool:
        """Rank 0: the one process that prints progress and writes files."""
        return self.comm.rank == 0

    def verbose(self, verbose: int) -> int:
        """The progress verbosity of this process: the user's on rank 0, silent elsewhere."""
        return verbose if self.is_chief else 0

    def __repr__(self):
        return (
            f"<DataParallel processes={self.num_processes} rank={self.process_id} "
            f"micro_batch_size={self.micro_batch_size} timeout={self.timeout:g}>"
        )

    # -- at the start of fit ----------------------------------------------------------------------
    def prepare(self, model) -> None:
        """Make every process start alike: rank 0's random generators and weights go to all (so an
        unseeded script still agrees), then the seeds of this fit's random streams are drawn."""
        generators = _generators(model)
        state = {"generators": [g.bit_generator.state for g in generators]}
        if model.built:
            state["weights"] = [w.data for w in model.weights]
            optimizer = getattr(model, "optimizer", None)
            state["optimizer"] = [v.data for v in getattr(optimizer, "variables", [])]
        state = self.comm.broadcast(state)
        for generator, generator_state in zip(generators, state["generators"], strict=True):
            generator.bit_generator.state = generator_state
        if "weights" in state:
            for variable, value in zip(model.weights, state["weights"], strict=True):
                np.copyto(variable.data, value)
            for variable, value in zip(getattr(model.optimizer, "variables", []), state["optimizer"], strict=True):
                np.copyto(variable.data, value)
        seeds = [int(g.integers(2**63)) for g in generators]
        self._prepared = (id(model), seeds)

    # -- the training step ------------------------------------------------------------------------
    def train_step(self, model, x, y, sample_weight, compute_loss):
        """One optimizer update of `model` on the global batch (x, y, sample_weight), computed as the
        module docstring says. `compute_loss(x, y, y_pred, sample_weight)` is the model's training
        loss. Returns (the batch's loss, the model's outputs for the whole batch)."""
        if self._prepared is None or self._prepared[0] != id(model):
            self.prepare(model)
        n = _num_samples(x)
        if not model.built:
            with no_grad():  # built with the global generator, alike on every process
                model(_rows(x, slice(0, 1)), training=False)
        variables = model.trainable_weights
        states = model.non_trainable_weights
        start = [s.data.copy() for s in states]
        optimizer = model.optimizer
        step = int(optimizer.iterations.data)
        saved_metrics = _snapshot_metrics(model.metrics)
        layout = _FlatLayout(variables)
        leaves, mine = {}, []
        for index, rows in self._my_micro_batches(n):
            for s, value in zip(states, start):
                np.copyto(s.data, value)
            x_i, y_i, w_i = _rows(x, rows), _rows(y, rows), _rows(sample_weight, rows)
            n_i = rows.stop - rows.start
            with self._random_streams(model, step, index), GradientTape() as tape:
                y_pred = model(x_i, training=True)
                loss = compute_loss(x_i, y_i, y_pred, w_i) * (n_i / n)
            grads = tape.gradient(loss, variables) if variables else []
            changed = {k: s.data.copy() for k, (s, v) in enumerate(zip(states, start)) if not _same(s.data, v)}
            leaves[(index, index + 1)] = layout.flatten(grads)
            missing = [g is None for g in grads]
            mine.append((n_i, missing, changed, float(np.asarray(loss.data)), _numpy(y_pred)))
        _restore_metrics(model.metrics, saved_metrics)
        total, parts = self._reduce(leaves, len(self.micro_batches(n)), layout, mine)
        for k, s in enumerate(states):
            np.copyto(s.data, _combined_state(k, start[k], parts, n))
        if variables:
            grads = layout.unflatten(total, [all(part[1][k] for part in parts) for k in range(len(variables))])
            optimizer.apply([None if g is None else Tensor(g) for g in grads], variables)
        total_loss = 0.0
        for part in parts:
            total_loss += part[3]
        return total_loss, _concatenate([part[4] for part in parts])

    def predict(self, model, x):
        """The model's outputs for x in inference mode, each process computing its micro-batches;
        a Tensor (a list for several outputs), the same on every process."""
        if not model.built:
            with no_grad():
                model(_rows(x, slice(0, 1)), training=False)
        mine = []
        with no_grad():
            for _, rows in self._my_micro_batches(_num_samples(x)):
                mine.append(_numpy(model(_rows(x, rows), training=False)))
        return _concatenate([out for rank_outs in self.comm.allgather(mine) for out in rank_outs])

    def _reduce(self, leaves: dict, m: int, layout, mine: list):
        """The sum of every micro-batch's flat gradient along the fixed tree of `_tree_sum`, and every
        micro-batch's other results in micro-batch order, on every process.

        Each process first adds the whole subtrees its block of micro-batches covers; then the flat
        vector is cut into one slice per process (the sums are elementwise, so a slice's arithmetic
        is the whole vector's): an alltoall brings each process every subtree's share of its slice,
        which it adds up the tree, and an allgather returns every slice (with the losses, outputs
        and states) to all. Each process sends and receives (k + 1) (N - 1) / N gradients' worth per
        step, k the subtrees in its block (1 to 3 in usual deals), whatever the number N of processes.
        """
        rank, processes = self.comm.rank, self.comm.size
        block = (rank * m // processes, (rank + 1) * m // processes)
        subtrees = {node: _tree_sum(node, leaves) for node in _cover((0, m), block)}
        bounds = [layout.size * j // processes for j in range(processes + 1)]
        shares = [{node: v[bounds[j] : bounds[j + 1]] for node, v in subtrees.items()} for j in range(processes)]
        known = {}
        for received in self.comm.alltoall(shares):
            known.update(received)
        my_slice = _tree_sum((0, m), known) if bounds[rank + 1] > bounds[rank] else np.zeros(0, layout.dtype)
        gathered = self.comm.allgather((my_slice, mine))
        total = np.concatenate([piece for piece, _ in gathered])
        return total, [part for _, rank_parts in gathered for part in rank_parts]

    # -- the decomposition ------------------------------------------------------------------------
    def micro_batches(self, n: int) -> list[slice]:
        """The rows of each micro-batch of a global batch of n samples (independent of N)."""
        size = self.micro_batch_size
        return [slice(start, min(start + size, n)) for start in range(0, n, size)]

    def _my_micro_batches(self, n: int) -> list[tuple[int, slice]]:
        rows = self.micro_batches(n)
        m, rank, size = len(rows), self.comm.rank, self.comm.size
        return [(i, rows[i]) for i in range(rank * m // size, (rank + 1) * m // size)]

    @contextmanager
    def _random_streams(self, model, step: int, index: int):
        """Every generator training draws from restarts at a state fixed by (fit seed, step,
        micro-batch), so a sample's Dropout mask does not depend on which process computes it."""
        generators = _generators(model)
        seeds = self._prepared[1]
        saved = [g.bit_generator.state for g in generators]
        for generator, seed in zip(generators, seeds):
            bit_generator = type(generator.bit_generator)(np.random.SeedSequence([seed, step, index]))
            generator.bit_generator.state = bit_generator.state
        try:
            yield
        finally:
            for generator, state in zip(generators, saved):
                generator.bit_generator.state = state


# -- helpers: the data, the generators, the metrics, the combination ---------------------------------
def _rows(value, rows: slice):
    """The same rows of every array in a (nested) x, y or sample_weight; None stays None."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {key: _rows(v, rows) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_rows(v, rows) for v in value)
    return value[rows]


def _num_samples(x) -> int:
    while isinstance(x, (list, tuple, dict)):
        x = next(iter(x.values())) if isinstance(x, dict) else x[0]
    return len(array_of(x))


def _numpy(outputs):
    if isinstance(outputs, (list, tuple)):
        return [np.asarray(array_of(o)) for o in outputs]
    return np.asarray(array_of(outputs))


def _concatenate(outputs: list):
    """The micro-batches' outputs joined in order, as Tensors (what the model's call returns)."""
    if not outputs:
        raise ValueError("DataParallel: the global batch was empty.")
    if isinstance(outputs[0], list):
        return [Tensor(np.concatenate([o[k] for o in outputs])) for k in range(len(outputs[0]))]
    return Tensor(np.concatenate(outputs))


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.tobytes() == b.tobytes()


def _generators(model) -> list[np.random.Generator]:
    """The global generator, then every generator a layer owns (Dropout(seed=...)), in layer order."""
    found = [config.rng()]
    for layer in [model, *_flatten_layers(model)]:
        for name in sorted(vars(layer)):
            value = vars(layer)[name]
            if isinstance(value, np.random.Generator) and all(value is not g for g in found):
                found.append(value)
    return found


def _cover(node: tuple, block: tuple) -> list[tuple]:
    """The largest subtrees of `node` (a range of micro-batch indices) that lie inside `block`."""
    (lo, hi), (a, b) = node, block
    if a <= lo and hi <= b:
        return [node]
    if hi <= a or b <= lo:
        return []
    mid = (lo + hi) // 2
    return _cover((lo, mid), block) + _cover((mid, hi), block)


def _tree_sum(node: tuple, known: dict) -> np.ndarray:
    """The sum over micro-batches lo..hi-1, always split at the middle: ((g0 + g1) + (g2 + g3)).
    The same additions happen whichever process does them, so the bits never depend on N."""
    if node in known:
        return known[node]
    lo, hi = node
    mid = (lo + hi) // 2
    return np.add(_tree_sum((lo, mid), known), _tree_sum((mid, hi), known))


class _FlatLayout:
    """The trainable variables' gradients as one flat vector of their common dtype, and back."""

    def __init__(self, variables):
        self.shapes = [v.data.shape for v in variables]
        self.sizes = [int(np.prod(shape)) for shape in self.shapes]
        self.size = sum(self.sizes)
        self.dtype = np.result_type(*[v.data.dtype for v in variables]) if variables else np.float32

    def flatten(self, grads) -> np.ndarray:
        flat = np.zeros(self.size, dtype=self.dtype)  # a missing gradient (None) adds zeros
        offset = 0
        for g, size in zip(grads, self.sizes, strict=True):
            if g is not None:
                flat[offset : offset + size] = np.asarray(g.data).ravel()
            offset += size
        return flat

    def unflatten(self, flat: np.ndarray, missing: list) -> list:
        out, offset = [], 0
        for shape, size, none in zip(self.shapes, self.sizes, missing, strict=True):
            out.append(None if none else flat[offset : offset + size].reshape(shape))
            offset += size
        return out


def _combined_state(k: int, start: np.ndarray, parts: list, n: int) -> np.ndarray:
    """A non-trainable variable after the step: the start value if no micro-batch changed it, else
    the size-weighted mean of the micro-batches' values (the last one's for integers)."""
    if all(k not in changed for _, _, changed, _, _ in parts):
        return start
    if start.dtype.kind != "f":
        return next(changed[k] for _, _, changed, _, _ in reversed(parts) if k in changed)
    total = np.zeros(start.shape, dtype=np.float64)
    for n_i, _, changed, _, _ in parts:
        total += (n_i / n) * changed.get(k, start).astype(np.float64)
    return total.astype(start.dtype)


def _metric_leaves(metrics) -> list:
    leaves = []
    for m in metrics:
        inner = getattr(m, "metrics", None)
        leaves += _metric_leaves(inner) if isinstance(inner, list) else [m]
    return leaves


def _snapshot_metrics(metrics) -> dict:
    return {id(m): copy.deepcopy(vars(m)) for m in _metric_leaves(metrics)}


def _restore_metrics(metrics, saved: dict) -> None:
    """Undo what computing the micro-batches' losses did to the metrics (per-output loss trackers):
    the step's metrics are updated once, from the whole batch, on every process alike."""
    for m in _metric_leaves(metrics):
        if id(m) in saved:
            vars(m).clear()
            vars(m).update(saved[id(m)])
        else:  # created while computing the first micro-batch's loss
            m.reset_state()
