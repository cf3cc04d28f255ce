"""neuronio.callbacks: hooks into `fit`, `evaluate` and `predict` (Keras 3's names and behaviour).

Floor 4: callbacks reach the model only through `self.model` and never import neuronio.models.
"""

from neuronio.callbacks.backup_and_restore import BackupAndRestore
from neuronio.callbacks.callback import Callback
from neuronio.callbacks.callback_list import CallbackList
from neuronio.callbacks.csv_logger import CSVLogger
from neuronio.callbacks.early_stopping import EarlyStopping
from neuronio.callbacks.history import History
from neuronio.callbacks.lambda_callback import LambdaCallback
from neuronio.callbacks.lr_scheduler import LearningRateScheduler
from neuronio.callbacks.model_checkpoint import ModelCheckpoint
from neuronio.callbacks.progbar import Progbar, ProgbarLogger
from neuronio.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from neuronio.callbacks.remote_monitor import RemoteMonitor
from neuronio.callbacks.swap_ema_weights import SwapEMAWeights
from neuronio.callbacks.tensorboard import TensorBoard
from neuronio.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "Progbar",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "RemoteMonitor",
    "SwapEMAWeights",
    "TensorBoard",
    "TerminateOnNaN",
]
