"""The processes of a data-parallel run and the two collectives it needs, with a deadline.

`LocalCommunicator` is the world of one process (no MPI needed). `MPICommunicator` wraps
mpi4py's COMM_WORLD: every collective is non-blocking (`Iallgather(v)`, `Ialltoall(v)`, `Ibcast`)
and polled against a deadline, so a rank that died or hangs ends the whole job with a clear
message and `MPI.COMM_WORLD.Abort` instead of leaving the others waiting forever.

Objects travel pickled (NumPy arrays keep every bit), as one byte buffer per rank (pair): first
the lengths are exchanged, then the bytes. The communicator counts the bytes it sent and the seconds
it received and the seconds it spent waiting, for the benchmark (benchmarks/mpi_scaling.py).
"""

import os
import pickle
import sys
import time

import numpy as np

TIMEOUT_ENV = "NEURONIO_DISTRIBUTION_TIMEOUT"
DEFAULT_TIMEOUT = 300.0  # seconds a collective may wait for the slowest rank

# Variables the MPI launchers (MPICH's Hydra, Open MPI, PMIx, Slurm) set in the processes they start.
_LAUNCHER_VARIABLES = ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "MPI_LOCALRANKID")


SPIN_SECONDS = 0.5  # how long a collective polls without sleeping (see _wait)
ABORT_GRACE_SECONDS = 0.5  # for mpiexec to forward the output before MPI_Abort ends every process


def launched_by_mpi() -> bool:
    """Whether this process was started by mpiexec/mpirun (so it has siblings to talk to)."""
    return any(name in os.environ for name in _LAUNCHER_VARIABLES)


def import_mpi():
    """mpi4py's MPI module, or an ImportError saying which extra installs it."""
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise ImportError(
            "neuronio.distribution needs mpi4py and an MPI library to run over several processes. "
            "Install them from PyPI wheels with `pip install 'neuronio[distributed]'` (mpi4py and the "
            "mpich wheel: no system packages, no compiler)."
        ) from exc
    return MPI


def resolve_timeout(timeout) -> float:
    """The collectives' deadline in seconds: the argument, else $NEURONIO_DISTRIBUTION_TIMEOUT, else 300."""
    source = "timeout"
    if timeout is None:
        timeout, source = os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT), TIMEOUT_ENV
    try:
        value = float(timeout)
    except (TypeError, ValueError):
        value = float("nan")
    if not value > 0:
        raise ValueError(
            f"DataParallel: {source} must be a positive number of seconds (how long a collective waits "
            f"for the slowest process); received {timeout!r}."
        )
    return value


class LocalCommunicator:
    """The world of one process: every collective returns this process's own value."""

    rank = 0
    size = 1

    def __init__(self):
        self.bytes_sent = 0
        self.bytes_received = 0
        self.seconds = 0.0
        self.collectives = 0

    def allgather(self, obj) -> list:
        return [obj]

    def alltoall(self, objs: list) -> list:
        return list(objs)

    def broadcast(self, obj, root: int = 0):
        return obj

    def barrier(self) -> None:
        """Nothing to wait for."""


class MPICommunicator:
    """COMM_WORLD with deadlines: each collective either completes or aborts the whole job."""

    def __init__(self, timeout: float):
        self.MPI = import_mpi()
        self.comm = self.MPI.COMM_WORLD
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        self.timeout = timeout
        self.bytes_sent = 0
        self.bytes_received = 0
        self.seconds = 0.0
        self.collectives = 0
        if self.size > 1:
            self._abort_on_uncaught_errors()

    def _abort_on_uncaught_errors(self) -> None:
        """An error that ends this process ends the job at once (as `python -m mpi4py` does):
        otherwise its MPI_Finalize would wait for the others, and they for it, until the timeout."""
        previous = sys.excepthook

        def abort(kind, value, traceback):
            previous(kind, value, traceback)
            print(
                f"neuronio.distribution: rank {self.rank} of {self.size} stopped on the error above; "
                f"ending the whole job.",
                file=sys.stderr,
                flush=True,
            )
            self._abort_job()

        sys.excepthook = abort

    def _wait(self, request, what: str) -> None:
        # MPI moves a large message in pieces, each only when both sides call into MPI: a process
        # that slept between Test() calls stalled every piece (a 4 MB gradient exchange took ~300 ms
        # between two ranks of one machine instead of a few). So poll without pause while the others
        # are likely just finishing their share of the step, then back off to spare the CPU.
        started = time.perf_counter()
        deadline = started + self.timeout
        spin_until = started + SPIN_SECONDS
        pause = 1e-5
        while not request.Test():
            now = time.perf_counter()
            if now > deadline:
                self._abort(what)
            if now > spin_until:
                time.sleep(pause)
                pause = min(pause * 2, 1e-3)
        self.seconds += time.perf_counter() - started

    def _abort(self, what: str) -> None:
        message = (
            f"neuronio.distribution: rank {self.rank} of {self.size} waited more than {self.timeout:g} s "
            f"for the other processes in {what}. A process has died or hangs (look above for its own "
            f"error). Ending the whole job. Raise the limit with DataParallel(timeout=...) or "
            f"${TIMEOUT_ENV} if a step, a validation or a checkpoint legitimately takes longer."
        )
        print(message, file=sys.stderr, flush=True)
        self._abort_job()

    def _abort_job(self) -> None:
        # mpiexec forwards each process's output asynchronously and drops what it has not forwarded
        # when MPI_Abort tears the job down, which cut the error's traceback short now and then:
        # give it a moment to pass on what this process wrote.
        sys.stdout.flush()
        sys.stderr.flush()
        time.sleep(ABORT_GRACE_SECONDS)
        self.comm.Abort(1)

    def allgather(self, obj) -> list:
        """Every rank's `obj`, in rank order, on every rank."""
        payload = np.frombuffer(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL), dtype=np.uint8)
        lengths = np.zeros(self.size, dtype=np.int64)
        self._wait(
            self.comm.Iallgather(np.array([payload.size], dtype=np.int64), [lengths, self.MPI.INT64_T]),
            "allgather (sizes)",
        )
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        received = np.empty(int(lengths.sum()), dtype=np.uint8)
        self._wait(
            self.comm.Iallgatherv([payload, self.MPI.BYTE], [received, (lengths, offsets), self.MPI.BYTE]),
            "allgather (gradients, states and outputs)",
        )
        self.bytes_sent += 8 + payload.size
        self.bytes_received += 8 * (self.size - 1) + received.size - payload.size
        self.collectives += 1
        return [pickle.loads(received[o : o + n].tobytes()) for o, n in zip(offsets, lengths)]

    def alltoall(self, objs: list) -> list:
        """`objs[j]` goes to rank j; returns what every rank sent to this one, in rank order."""
        payloads = [np.frombuffer(pickle.dumps(o, protocol=pickle.HIGHEST_PROTOCOL), dtype=np.uint8) for o in objs]
        send_lengths = np.array([p.size for p in payloads], dtype=np.int64)
        receive_lengths = np.zeros(self.size, dtype=np.int64)
        self._wait(
            self.comm.Ialltoall([send_lengths, self.MPI.INT64_T], [receive_lengths, self.MPI.INT64_T]),
            "alltoall (sizes)",
        )
        send = np.concatenate(payloads)
        send_offsets = np.concatenate([[0], np.cumsum(send_lengths)[:-1]])
        receive_offsets = np.concatenate([[0], np.cumsum(receive_lengths)[:-1]])
        received = np.empty(int(receive_lengths.sum()), dtype=np.uint8)
        self._wait(
            self.comm.Ialltoallv(
                [send, (send_lengths, send_offsets), self.MPI.BYTE],
                [received, (receive_lengths, receive_offsets), self.MPI.BYTE],
            ),
            "alltoall (gradient slices)",
        )
        mine = self.rank
        self.bytes_sent += 8 * (self.size - 1) + int(send_lengths.sum() - send_lengths[mine])
        self.bytes_received += 8 * (self.size - 1) + int(receive_lengths.sum() - receive_lengths[mine])
        self.collectives += 1
        return [pickle.loads(received[o : o + n].tobytes()) for o, n in zip(receive_offsets, receive_lengths)]

    def broadcast(self, obj, root: int = 0):
        """Rank `root`'s `obj` on every rank."""
        payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL) if self.rank == root else b""
        length = np.array([len(payload)], dtype=np.int64)
        self._wait(self.comm.Ibcast([length, self.MPI.INT64_T], root=root), "broadcast (size)")
        buffer = np.frombuffer(payload, dtype=np.uint8).copy() if self.rank == root else np.empty(length[0], np.uint8)
        self._wait(self.comm.Ibcast([buffer, self.MPI.BYTE], root=root), "broadcast (weights and seeds)")
        if self.rank == root:
            self.bytes_sent += 8 + buffer.size
        self.collectives += 1
        return obj if self.rank == root else pickle.loads(buffer.tobytes())

    def barrier(self) -> None:
        self._wait(self.comm.Ibarrier(), "barrier")
