"""Training over several processes (MPI), with Keras 3's `keras.distribution` names.

    import neuronio
    neuronio.distribution.set_distribution(neuronio.distribution.DataParallel())
    model.fit(...)              # launched as: mpiexec -n 4 python train.py

N processes train to the same weights, bit for bit, as the same script run as one process
(see data_parallel.py for how). mpi4py is imported only when the script runs under mpiexec;
`pip install 'neuronio[distributed]'` installs it with MPICH from PyPI wheels.
"""

from neuronio.distribution.communicator import launched_by_mpi
from neuronio.distribution.data_parallel import DEFAULT_MICRO_BATCH_SIZE, DataParallel

__all__ = [
    "DEFAULT_MICRO_BATCH_SIZE",
    "DataParallel",
    "distribution",
    "get_device_count",
    "inference",
    "initialize",
    "list_devices",
    "set_distribution",
]

_DISTRIBUTION = None


def set_distribution(value) -> None:
    """Make `value` (a DataParallel, or None to turn distribution off) the one fit/evaluate/predict use."""
    global _DISTRIBUTION
    if value is not None and not isinstance(value, DataParallel):
        raise TypeError(
            f"set_distribution expects a neuronio.distribution.DataParallel or None; received "
            f"{type(value).__name__}. ModelParallel layouts are not supported."
        )
    _DISTRIBUTION = value


def distribution():
    """The DataParallel set by set_distribution, or None."""
    return _DISTRIBUTION


def inference(model, x):
    """The model's outputs for x in inference mode; with a distribution set, each process computes
    its micro-batches and every process gets all the outputs (what evaluate and predict use)."""
    dist = _DISTRIBUTION
    return model(x, training=False) if dist is None else dist.predict(model, x)


def list_devices(device_type=None) -> list[str]:
    """One "cpu:<rank>" per process of the job (["cpu:0"] without mpiexec)."""
    if device_type is not None and str(device_type).lower() != "cpu":
        raise ValueError(f"list_devices: neuronio runs on CPUs only; received device_type={device_type!r}.")
    if not launched_by_mpi():
        return ["cpu:0"]
    from neuronio.distribution.communicator import import_mpi

    return [f"cpu:{rank}" for rank in range(import_mpi().COMM_WORLD.Get_size())]


def get_device_count(device_type=None) -> int:
    """How many devices of `device_type` the job has: its processes for "cpu" (and for None, since
    neuronio computes on CPUs only), 0 for "gpu" and "tpu". (Keras 3.15's torch backend has no
    implementation of this function; its JAX and TensorFlow ones count the same way.)"""
    kind = "cpu" if device_type is None else str(device_type).lower()
    if kind in ("gpu", "tpu"):
        return 0
    if kind != "cpu":
        raise ValueError(f"get_device_count: device_type must be 'cpu', 'gpu', 'tpu' or None; received {device_type!r}.")
    return len(list_devices("cpu"))


def initialize(job_addresses=None, num_processes=None, process_id=None) -> None:
    """Keras's multi-process set-up. Under MPI the launcher already did it: the arguments, when
    given, are checked against the job that mpiexec started."""
    del job_addresses  # mpiexec's host file says where the processes run
    devices = list_devices()
    if num_processes is not None and int(num_processes) != len(devices):
        raise ValueError(
            f"initialize: num_processes={num_processes} but mpiexec started {len(devices)} process(es); "
            f"start the script with `mpiexec -n {num_processes} python ...`."
        )
    if process_id is not None and launched_by_mpi():
        from neuronio.distribution.communicator import import_mpi

        rank = import_mpi().COMM_WORLD.Get_rank()
        if int(process_id) != rank:
            raise ValueError(f"initialize: process_id={process_id} but mpiexec made this process rank {rank}.")
