"""neuronio.models: Sequential, the functional Model, and loading saved models."""

from neuronio.layers.layer import registry as layers_registry
from neuronio.models.cloning import clone_model
from neuronio.models.committee import Committee, committee
from neuronio.models.functional import Functional
from neuronio.models.model import Model
from neuronio.models.sequential import Sequential
from neuronio.saving import load_model, model_from_json, save_model

# Models are layers too: registered by their Keras names, so that configs (a Sequential nested in
# a functional model, a whole `.keras` file) resolve them through the registry like any layer.
layers_registry.add("Sequential", Sequential)
layers_registry.add("Functional", Functional)

__all__ = ["Committee", "Functional", "Model", "Sequential", "clone_model", "committee", "load_model", "model_from_json", "save_model"]
