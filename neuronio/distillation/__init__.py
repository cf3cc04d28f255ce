"""neuronio.distillation: knowledge distillation as Keras 3's `keras.distillation` (Distiller,
DistillationLoss, LogitsDistillation, FeatureDistillation)."""

from neuronio.distillation.distillation_loss import DistillationLoss, FeatureDistillation, LogitsDistillation
from neuronio.distillation.distiller import Distiller

__all__ = ["DistillationLoss", "Distiller", "FeatureDistillation", "LogitsDistillation"]
