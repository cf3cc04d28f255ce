"""neuronio.distillation: knowledge distillation as Keras 3's `keras.distillation` (Distiller,
DistillationLoss, LogitsDistillation, FeatureDistillation)."""

from neuronio.distillation.distillation_loss import DistillationLoss, FeatureDistillation, LogitsDistillation
from neuronio.distillation.distiller import Distiller
from neuronio.layers.layer import registry as _layers_registry

# A model is a layer to the registry: `.keras` files name it "Distiller" (module keras.distillation).
_layers_registry.add("Distiller", Distiller)

__all__ = ["DistillationLoss", "Distiller", "FeatureDistillation", "LogitsDistillation"]
