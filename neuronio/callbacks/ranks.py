"""Which callbacks run on which process of a data-parallel run (neuronio.distribution).

Every process sees the same logs (the gathered ones), so callbacks that change the training
(EarlyStopping, ReduceLROnPlateau, LearningRateScheduler, TerminateOnNaN, History, the user's
own) run on every process and decide alike. Those that print or write files run on rank 0
only: the progress bar, ModelCheckpoint and CSVLogger are left out elsewhere, and the other
ranks' BackupAndRestore restores the backup (every process reads it) but never writes or deletes it.
"""

import copy

from neuronio.callbacks.backup_and_restore import BackupAndRestore
from neuronio.callbacks.callback_list import _flatten
from neuronio.callbacks.csv_logger import CSVLogger
from neuronio.callbacks.model_checkpoint import ModelCheckpoint
from neuronio.callbacks.progbar import ProgbarLogger
from neuronio.distribution import distribution

CHIEF_ONLY = (ProgbarLogger, ModelCheckpoint, CSVLogger)


def for_this_process(verbose: int, callbacks):
    """(verbose, callbacks) as this process runs them: unchanged without a distribution or on rank 0;
    elsewhere silent and without the writers."""
    dist = distribution()
    if dist is None or dist.is_chief:
        return verbose, callbacks
    return 0, without_writers(callbacks)


def without_writers(callbacks) -> list:
    """The callbacks a process other than rank 0 runs."""
    if callbacks is None:
        return []
    kept = []
    for callback in _flatten(callbacks):
        if isinstance(callback, CHIEF_ONLY):
            continue
        if isinstance(callback, BackupAndRestore):
            callback = _reader(callback)
        kept.append(callback)
    return kept


def _reader(backup: BackupAndRestore) -> BackupAndRestore:
    """A copy of `backup` that restores and keeps its bookkeeping but writes and deletes nothing."""
    reader = copy.copy(backup)
    reader._save = lambda: None
    reader.delete_checkpoint = False
    return reader
