"""Whole models in config.json: Sequential and functional models by their graph, and the user's
subclassed models as Keras 3 saves them (the envelope of the user's class with its get_config(),
the shape it was built for, and the compile state).

A subclassed model is rebuilt from its class, which must be known here (registered with
`register_keras_serializable` or passed in `custom_objects`), then built by running its `call`
once on zeros of the saved shape (Model.build_from_config), so that h5_store can load its
weights, which Keras keys by attribute path (`hidden/vars/0`, `layers/dense_1/vars/0`).
"""

from neuronio.errors import FileFormatError
from neuronio.layers.layer import registry as layers_registry
from neuronio.saving.serialization import (
    MODEL_CLASSES,
    class_name_of,
    compile_from_config,
    custom_layer_class,
    deserialize_layer,
    layer_class,
    serialize_layer,
    to_keras_envelope,
)


# -- whole models -----------------------------------------------------------------------------------
def serialize_model(model) -> dict:
    """The `config.json` of a `.keras` archive: the model's envelope plus its compile state.

    A subclassed model is saved as Keras saves one: the envelope of the user's class with its
    get_config() (by default its constructor's arguments) and the shape it was built for; its
    weights go by attribute path (h5_store). Loading it needs the class, registered or passed in
    custom_objects."""
    if layers_registry.name_of(model) not in MODEL_CLASSES and _graph_subclass(type(model)):
        raise TypeError(
            f"Cannot save model '{model.name}' of class {type(model).__name__} as a .keras file: it "
            f"subclasses {_graph_subclass(type(model))}, whose config neuronio does not write under a "
            f"user's class name. Save a plain Sequential/functional model built from its layers, or "
            f"keep the code and use save_weights()/load_weights()."
        )
    envelope = to_keras_envelope(serialize_layer(model))
    compile_config = model.get_compile_config() if getattr(model, "compiled", False) else None
    if compile_config is not None:
        envelope["compile_config"] = compile_config
    return envelope


def deserialize_model(envelope: dict, who: str = "config", compile: bool = True):
    """Rebuild a model from `config.json`, compiled from its `compile_config` when asked."""
    _check_user_class_found(envelope, who)
    class_name = class_name_of(envelope, who)
    cls = layer_class(envelope, who)
    if class_name not in MODEL_CLASSES and hasattr(cls, "compile"):
        if _graph_subclass(cls):
            raise FileFormatError(
                f"{who}: the model's class '{class_name}' subclasses {_graph_subclass(cls)}, which neuronio "
                f"does not load under a user's class name. Rebuild it in code and load its weights."
            )
    elif class_name not in MODEL_CLASSES:
        raise FileFormatError(
            f"{who}: the top-level object is a '{class_name}' layer, not a model (Sequential or "
            f"Functional); load it with neuronio.layers, or wrap it in a model before saving."
        )
    # Sequential/Functional from their graph; a subclassed model from its config, then built for
    # its saved shape (Model.build_from_config) so that its weights can be loaded.
    model = deserialize_layer(envelope, who)
    compile_config = envelope.get("compile_config")
    if compile and compile_config:
        if _own_compile_hooks(model):  # the class's own compile/compile_from_config decide (Keras)
            model.compile_from_config(compile_config)
        else:
            compile_from_config(model, compile_config, f"{who}: compile_config")
    return model


def _check_user_class_found(envelope, who: str) -> None:
    """A file whose top-level class is the user's own (a subclassed model: Keras writes its module
    as null or the user's module) needs that class here; say how to provide it."""
    if not isinstance(envelope, dict) or not isinstance(envelope.get("class_name"), str):
        return  # layer_class names the problem
    module = envelope.get("module")
    if isinstance(module, str) and (module == "keras" or module.startswith(("keras.", "neuronio."))):
        return
    if custom_layer_class(envelope, who) is not None or envelope["class_name"] in layers_registry:
        return
    name, registered = envelope["class_name"], envelope.get("registered_name")
    raise FileFormatError(
        f"{who}: the saved model is an instance of the user's class '{name}' (registered as "
        f"{registered!r}), which is not known here, so it cannot be rebuilt. Import the code that "
        f"defines it, decorated with @neuronio.saving.register_keras_serializable() (the same package "
        f"and name), or pass custom_objects={{{name!r}: {name}}} to load_model."
    )


def _own_compile_hooks(model) -> bool:
    """True when the model's class defines its own compile or compile_from_config (Sequential
    inherits Model's two, so it stands for them here)."""
    base = layers_registry.lookup("Sequential")
    return type(model).compile is not base.compile or type(model).compile_from_config is not base.compile_from_config


def _graph_subclass(cls) -> str | None:
    """The name of Sequential or Functional when `cls` is a user's subclass of one, else None."""
    for name in MODEL_CLASSES:
        if issubclass(cls, layers_registry.lookup(name)):
            return name
    return None
