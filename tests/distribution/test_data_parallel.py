"""neuronio.distribution in one process (no MPI needed): the API, its errors, the decomposition,
the rank-0 rule for callbacks, and exact results where the math gives them."""

import ast
import inspect
import pathlib
import sys

import numpy as np
import pytest

import neuronio
from neuronio import callbacks, layers
from neuronio.callbacks.ranks import for_this_process, without_writers
from neuronio.distribution import DataParallel, communicator, data_parallel
from tests.helpers import keras_on_torch

DISTRIBUTION_DIR = pathlib.Path(data_parallel.__file__).parent


@pytest.fixture(autouse=True)
def no_distribution_left_behind():
    yield
    neuronio.distribution.set_distribution(None)


def small_model(batch_norm=False):
    neuronio.utils.set_random_seed(3)
    middle = [layers.BatchNormalization()] if batch_norm else []
    model = neuronio.Sequential(
        [layers.Input(shape=(5,)), layers.Dense(6, activation="relu"), *middle, layers.Dense(3, activation="softmax")]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def data(n=40):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 5)).astype("float32"), neuronio.utils.to_categorical(rng.integers(0, 3, n), 3)


# -- the API and its errors -------------------------------------------------------------------------
def test_one_process_world_without_mpiexec():
    dist = DataParallel()
    assert (dist.num_processes, dist.process_id, dist.is_chief) == (1, 0, True)
    assert dist.devices == neuronio.distribution.list_devices() == ["cpu:0"]
    assert dist.micro_batch_size == neuronio.distribution.DEFAULT_MICRO_BATCH_SIZE == 32
    neuronio.distribution.set_distribution(dist)
    assert neuronio.distribution.distribution() is dist
    neuronio.distribution.initialize(num_processes=1, process_id=0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"device_mesh": object()}, "device_mesh is not supported"),
        ({"auto_shard_dataset": False}, "auto_shard_dataset=False is not supported"),
        ({"micro_batch_size": 0}, "micro_batch_size must be a positive int; received 0"),
        ({"micro_batch_size": 2.5}, "micro_batch_size must be a positive int; received 2.5"),
        ({"timeout": -1}, "timeout must be a positive number of seconds"),
        ({"devices": ["cpu:0", "cpu:1"]}, r"devices must be every process of the job, \['cpu:0'\]"),
    ],
)
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataParallel(**kwargs)


def test_timeout_from_the_environment(monkeypatch):
    monkeypatch.setenv("NEURONIO_DISTRIBUTION_TIMEOUT", "12.5")
    assert DataParallel().timeout == 12.5
    assert DataParallel(timeout=4).timeout == 4.0  # the argument wins
    monkeypatch.setenv("NEURONIO_DISTRIBUTION_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="NEURONIO_DISTRIBUTION_TIMEOUT must be a positive number.*'soon'"):
        DataParallel()


def test_without_mpi4py_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # `from mpi4py import MPI` now fails
    with pytest.raises(ImportError, match=r"pip install 'neuronio\[distributed\]'"):
        communicator.import_mpi()
    monkeypatch.setenv("PMI_SIZE", "2")  # as if started by mpiexec
    with pytest.raises(ImportError, match="needs mpi4py and an MPI library"):
        DataParallel()


def test_set_distribution_refuses_other_objects():
    with pytest.raises(TypeError, match="expects a neuronio.distribution.DataParallel or None; received str"):
        neuronio.distribution.set_distribution("data_parallel")
    with pytest.raises(ValueError, match="num_processes=4 but mpiexec started 1 process"):
        neuronio.distribution.initialize(num_processes=4)
    with pytest.raises(ValueError, match="neuronio runs on CPUs only"):
        neuronio.distribution.list_devices("gpu")


def test_the_decomposition_does_not_depend_on_the_number_of_processes():
    dist = DataParallel(micro_batch_size=16)
    assert dist.micro_batches(40) == [slice(0, 16), slice(16, 32), slice(32, 40)]
    assert dist._my_micro_batches(40) == list(enumerate(dist.micro_batches(40)))
    for size in (2, 3, 4, 5):  # contiguous blocks covering every micro-batch once, in order
        dealt = []
        for rank in range(size):
            dist.comm.rank, dist.comm.size = rank, size
            dealt += [i for i, _ in dist._my_micro_batches(64)]
        assert dealt == [0, 1, 2, 3]


def test_the_gradient_tree_adds_the_same_way_for_every_number_of_processes():
    # Each process adds the subtrees inside its block; the rest is added from the shares: the
    # additions, and so the bits, are those of one process, for every m and N.
    rng = np.random.default_rng(0)
    for m in range(1, 10):
        leaves = {(i, i + 1): rng.normal(size=7).astype(np.float32) * 10.0 ** rng.integers(-4, 4) for i in range(m)}
        alone = data_parallel._tree_sum((0, m), leaves)
        for size in range(2, 6):
            known = {}
            for rank in range(size):
                block = (rank * m // size, (rank + 1) * m // size)
                mine = {node: leaves[node] for node in leaves if block[0] <= node[0] < block[1]}
                known.update(
                    {node: data_parallel._tree_sum(node, mine) for node in data_parallel._cover((0, m), block)}
                )
            assert data_parallel._tree_sum((0, m), known).tobytes() == alone.tobytes()
    assert data_parallel._cover((0, 4), (0, 2)) == [(0, 2)]
    assert data_parallel._cover((0, 5), (1, 4)) == [(1, 2), (2, 3), (3, 4)]
    assert data_parallel._cover((0, 4), (2, 2)) == []


# -- exact results ----------------------------------------------------------------------------------
def test_one_micro_batch_per_step_trains_as_plain_fit_to_the_bit():
    x, y = data()
    plain = small_model()
    plain.fit(x, y, batch_size=20, epochs=2, shuffle=False, verbose=0)
    distributed = small_model()
    neuronio.distribution.set_distribution(DataParallel(micro_batch_size=20))
    history = distributed.fit(x, y, batch_size=20, epochs=2, shuffle=False, verbose=0)
    for ours, reference in zip(distributed.weights, plain.weights, strict=True):
        assert np.array_equal(ours.data, reference.data)
    assert history.history == plain.history.history
    assert np.array_equal(distributed.predict(x, verbose=0), plain.predict(x, verbose=0))


def test_batch_norm_moving_statistics_average_the_micro_batches():
    # One step of 40 samples in micro-batches of 16, 16 and 8: each micro-batch is normalised with
    # its own statistics and the moving mean moves once, by the size-weighted mean of their means.
    x, y = data()
    model = small_model(batch_norm=True)
    neuronio.distribution.set_distribution(DataParallel(micro_batch_size=16))
    hidden = neuronio.Sequential(model.layers[:1])
    h = np.asarray(hidden.predict(x, verbose=0), dtype=np.float64)
    model.fit(x, y, batch_size=40, epochs=1, shuffle=False, verbose=0)
    bn = model.layers[1]
    means = [h[rows].mean(axis=0) for rows in (slice(0, 16), slice(16, 32), slice(32, 40))]
    expected = (1 - bn.momentum) * (16 * means[0] + 16 * means[1] + 8 * means[2]) / 40
    np.testing.assert_allclose(bn.moving_mean.data, expected, rtol=1e-5, atol=1e-7)


# -- callbacks: rank 0 prints and writes ------------------------------------------------------------
def test_other_ranks_run_no_writer_and_never_write_a_backup(tmp_path):
    stopper = callbacks.EarlyStopping(monitor="loss", patience=1)
    backup = callbacks.BackupAndRestore(tmp_path / "backup")
    given = [
        callbacks.ProgbarLogger(),
        callbacks.ModelCheckpoint(str(tmp_path / "m.keras")),
        stopper,
        callbacks.CSVLogger(str(tmp_path / "log.csv")),
        backup,
    ]
    assert for_this_process(1, given) == (1, given)  # no distribution
    neuronio.distribution.set_distribution(DataParallel())
    assert for_this_process(1, given) == (1, given)  # rank 0
    kept = without_writers(given)
    assert [type(c).__name__ for c in kept] == ["EarlyStopping", "BackupAndRestore"]
    assert kept[0] is stopper and kept[1] is not backup
    neuronio.distribution.set_distribution(None)
    model = small_model()
    x, y = data()
    model.fit(x, y, epochs=2, callbacks=kept, verbose=0)
    assert not (tmp_path / "backup").exists() and not (tmp_path / "log.csv").exists()


# -- floors and Keras's names -------------------------------------------------------------------------
def test_distribution_imports_neither_models_nor_callbacks():
    for path in DISTRIBUTION_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not [n for n in names if n.startswith(("neuronio.models", "neuronio.callbacks"))], path


@pytest.mark.keras
def test_keras_names_and_arguments():
    keras = keras_on_torch()
    for name in ("DataParallel", "set_distribution", "distribution", "list_devices", "initialize"):
        theirs = list(inspect.signature(getattr(keras.distribution, name)).parameters)
        ours = list(inspect.signature(getattr(neuronio.distribution, name)).parameters)
        assert ours[: len(theirs)] == theirs, name


def test_get_device_count_counts_the_processes():
    from neuronio import distribution

    assert distribution.get_device_count() == distribution.get_device_count("CPU") == len(distribution.list_devices())
    assert distribution.get_device_count("gpu") == distribution.get_device_count("tpu") == 0
    with pytest.raises(ValueError, match="device_type must be 'cpu', 'gpu', 'tpu' or None; received 'xpu'"):
        distribution.get_device_count("xpu")
