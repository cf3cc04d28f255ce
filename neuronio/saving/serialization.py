"""Objects <-> Keras's config envelope, resolved only through neuronio's registries.

    {"module": "keras.layers", "class_name": "Dense", "config": {...}, "registered_name": null}

Layers Keras lacks carry `"module": "neuronio.layers"` and `"registered_name": "neuronio>Maxout"`.
Nothing here imports a module named in a config or evaluates code: a class name that is not in
the registry is refused with FileFormatError. (The one exception is a stored Python lambda, loaded
only when the user opts out of safe mode, as in Keras: neuronio/_lambdas.py.)

Keras 3 writes a few keys neuronio's layers do not take (`synchronized: false`, a
`DTypePolicy` envelope for `dtype`, ...). Saving adds them, so that a file reads like one Keras
wrote; loading drops them when they hold Keras's default, and refuses a file that asks for a
feature neuronio lacks (quantization, LoRA, ...), naming layer and feature. Regularizers and
constraints are constructor arguments of the layers (see neuronio/regularizers.py).
"""

import inspect
import math

from neuronio import _lambdas, _registry, losses, metrics, optimizers
from neuronio.errors import FileFormatError, UnknownNameError
from neuronio.layers.call_args import named_build_parameters
from neuronio.layers.layer import Layer
from neuronio.layers.layer import registry as layers_registry
from neuronio.saving import object_registration

# Keras layers that run arbitrary code; never loaded, whatever the file says. (Lambda is loaded by its
# own from_config, which refuses a stored Python lambda unless the user opts out of safe mode.)
CODE_LAYERS = frozenset({"TFOpLambda", "SlicingOpLambda", "TorchModuleWrapper", "JaxLayer", "FlaxLayer"})

MODEL_CLASSES = ("Sequential", "Functional")

# Keys Keras 3 writes in a layer's config that neuronio's constructors do not take, with the value
# Keras writes by default. Saving writes the ones every Keras >= 3.8 reads (a newer key such as
# `quantization_config` would make Keras 3.8's constructors fail); loading accepts all of them.
_WRITTEN_DEFAULTS = {
    "BatchNormalization": {"synchronized": False},
    "InputLayer": {"ragged": False, "optional": False},
}

# Read only: Keras's default for every key it may write that neuronio has no argument for.
_READ_DEFAULTS = {
    "quantization_config": None,
    "lora_rank": None,
    "lora_alpha": None,
    "renorm": False,
    "renorm_clipping": None,
    "renorm_momentum": 0.99,
}

# What a user would call the feature behind a key, for the refusal message.
_FEATURES = (
    ("regularizer", "weight regularization"),
    ("constraint", "weight constraints"),
    ("quantization", "quantization"),
    ("lora", "LoRA adapters"),
    ("renorm", "batch renormalization"),
    ("synchronized", "synchronized batch normalization"),
    ("ragged", "ragged inputs"),
    ("optional", "optional inputs"),
    ("sparse", "sparse inputs"),
)

_FLOAT_POLICIES = ("float16", "float32", "float64")
# Layers whose config Keras writes with a plain dtype string rather than a DTypePolicy envelope.
_PLAIN_DTYPE = ("InputLayer", "SpatialDropout1D", "SpatialDropout2D")


# -- layers -----------------------------------------------------------------------------------------
def serialize_layer(layer) -> dict:
    """A layer's (or a nested model's) Keras envelope with its own `get_config()`, without graph
    links (the functional model adds `name` and `inbound_nodes`). Files get Keras's schema on top
    (`to_keras_envelope`); `from_config` reads both."""
    class_name = layers_registry.name_of(layer)
    if class_name is None:
        # The user's own layer (a subclass of a neuronio layer included): Keras's custom envelope.
        class_name = type(layer).__name__
        envelope = object_registration.custom_envelope(type(layer), layer.get_config())
    else:
        envelope = _registry.envelope("layers", class_name, layer.get_config(), _keras_module(class_name))
    if class_name in MODEL_CLASSES:
        envelope["config"].setdefault("dtype", layer.dtype)  # Keras writes one; the models ignore it on load
    build_config = _build_config(layer, class_name)
    if build_config is not None:
        envelope["build_config"] = build_config
    return envelope


def _keras_module(class_name: str) -> str:
    # Keras 3 writes these module strings; a Keras reader imports nothing from them for these classes.
    modules = {"Sequential": "keras", "Functional": "keras.src.models.functional", "Distiller": "keras.distillation"}
    return modules.get(class_name, "keras.layers")


def _build_config(layer, class_name: str):
    """Keras's `build_config`: the shape `build` was called with (Functional: always None)."""
    if class_name == "Functional":
        return {"input_shape": None}
    if class_name == "Sequential":
        shape = layer.input_shape
        return None if shape is None else {"input_shape": list(shape)}
    named = getattr(layer, "_build_shapes_dict", None)  # build(a_shape, b_shape): layers/call_args.py
    if named and layer.built:
        return {"shapes_dict": {key: _jsonable_shape(shape) for key, shape in named.items()}}
    if class_name == "InputLayer" or not layer.built or layer._build_shapes is None:
        return None
    return {"input_shape": _jsonable_shape(layer._build_shapes)}


def _jsonable_shape(shape):
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [_jsonable_shape(s) for s in shape]
    return list(shape)


def dtype_policy(name: str) -> dict:
    """Keras 3's envelope for a layer's dtype."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name}, "registered_name": None}


def to_keras_config(class_name: str, config_dict: dict) -> dict:
    """neuronio's `get_config()` in the schema Keras 3 writes (dtype envelope, Keras's null keys)."""
    out = dict(config_dict)
    out.pop("batch_input_shape", None)  # Keras 3 rejects it: the input shape lives in an InputLayer
    if class_name not in _PLAIN_DTYPE and isinstance(out.get("dtype"), str):
        out["dtype"] = dtype_policy(out["dtype"])
    for key, default in _WRITTEN_DEFAULTS.get(class_name, {}).items():
        out.setdefault(key, default)
    for key in _NESTED_LAYER_KEYS:
        if _is_envelope(out.get(key)):
            out[key] = _nested_to_keras(out[key])
    return out


# Config keys under which a wrapper (TimeDistributed, ...) keeps the envelope of the layer it wraps.
_NESTED_LAYER_KEYS = ("layer", "backward_layer", "cell")


def _is_envelope(value) -> bool:
    return (
        isinstance(value, dict) and isinstance(value.get("class_name"), str) and isinstance(value.get("config"), dict)
    )


def _nested_to_keras(envelope: dict) -> dict:
    """A wrapped layer's envelope in Keras's schema, named as serialize_layer names top-level ones."""
    class_name = envelope["class_name"]
    if class_name not in layers_registry:  # the user's own layer keeps its custom envelope
        return {**envelope, "config": to_keras_config(class_name, envelope["config"])}
    return {
        **envelope,
        **_registry.envelope(
            "layers", class_name, to_keras_config(class_name, envelope["config"]), _keras_module(class_name)
        ),
    }


def to_keras_envelope(envelope: dict) -> dict:
    """A whole envelope tree (a model and every layer in it) in the schema Keras 3 writes."""
    class_name = envelope["class_name"]  # neuronio-only layers keep their name here too
    config_dict = to_keras_config(class_name, envelope["config"])
    if class_name in MODEL_CLASSES:
        config_dict["layers"] = [to_keras_envelope(entry) for entry in config_dict["layers"]]
    return {**envelope, "config": config_dict}


def from_keras_config(class_name: str, config_dict: dict, who: str = "config") -> dict:
    """A layer config as Keras writes it, reduced to the arguments neuronio's constructor takes.

    Keys holding Keras's defaults are dropped; any other value of them is refused.
    """
    if not isinstance(config_dict, dict):
        raise FileFormatError(
            f"{who}: the config of a '{class_name}' layer must be a JSON object; received {_short(config_dict)}."
        )
    out = dict(config_dict)
    layer_name = out.get("name", "?")
    out.pop("shared_object_id", None)
    if isinstance(out.get("dtype"), dict):
        out["dtype"] = _dtype_from_policy(out["dtype"], class_name, layer_name, who)
    defaults = {**_READ_DEFAULTS, **_WRITTEN_DEFAULTS.get(class_name, {})}
    if class_name == "InputLayer":
        defaults["sparse"] = False
    for key, default in defaults.items():
        if key not in out:
            continue
        value = out.pop(key)
        if value != default and not (default is False and value is None):
            raise FileFormatError(
                f"{who}: layer '{layer_name}' ({class_name}) uses {_feature(key)} ({key}={_short(value)}), "
                f"which neuronio does not implement. Remove it in Keras and save again, or rebuild "
                f"the model in neuronio."
            )
    for key, value in out.items():
        if key.endswith("_initializer") and isinstance(value, dict) and isinstance(value.get("config"), dict):
            out[key] = _initializer_from_keras(value, class_name, layer_name, key, who)
    for key in _NESTED_LAYER_KEYS:
        if _is_envelope(out.get(key)):
            nested_class = class_name_of(out[key], who)  # refuses unknown and code-holding layers
            out[key] = {**out[key], "config": from_keras_config(nested_class, out[key]["config"], who)}
    return out


def _dtype_from_policy(policy: dict, class_name: str, layer_name: str, who: str) -> str:
    inner = policy.get("config")
    name = inner.get("name") if isinstance(inner, dict) else None
    if policy.get("class_name") not in ("DTypePolicy", "FloatDTypePolicy") or name not in _FLOAT_POLICIES:
        raise FileFormatError(
            f"{who}: layer '{layer_name}' ({class_name}) has dtype policy {_short(policy)}; neuronio "
            f"supports the plain float policies {', '.join(_FLOAT_POLICIES)} (no mixed precision "
            f"or quantized policies)."
        )
    return name


def _initializer_from_keras(envelope: dict, class_name: str, layer_name: str, key: str, who: str) -> dict:
    """Drop Keras 3.15's `input_axes`/`output_axes: null` from a variance-scaling initializer."""
    inner = dict(envelope["config"])
    for axes in ("input_axes", "output_axes"):
        if axes in inner:
            if inner.pop(axes) is not None:
                raise FileFormatError(
                    f"{who}: layer '{layer_name}' ({class_name}) sets {axes} on its {key}, which "
                    f"neuronio's initializers do not support."
                )
    return {**envelope, "config": inner}


def _feature(key: str) -> str:
    for fragment, feature in _FEATURES:
        if fragment in key:
            return feature
    return f"the Keras option `{key}`"


def _short(value, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def layer_class(envelope: dict, who: str = "config"):
    """The layer class an envelope names, looked up in the registry only."""
    if not isinstance(envelope, dict) or not isinstance(envelope.get("class_name"), str):
        raise FileFormatError(f"{who}: expected a layer entry with a 'class_name'; received {_short(envelope, 200)}.")
    class_name = envelope["class_name"]
    registered = envelope.get("registered_name")
    custom = custom_layer_class(envelope, who)
    if custom is not None:
        return custom
    class_name = _registry.class_name_in(envelope)
    if class_name in CODE_LAYERS or ("lambda" in class_name.lower() and class_name != "Lambda"):
        raise FileFormatError(
            f"{who}: refusing to load a '{class_name}' layer: it holds Python code, and loading "
            f"never executes code from a file. Rebuild that part of the model in code instead."
        )
    if class_name == "Model" and isinstance(envelope.get("config"), dict) and "input_layers" in envelope["config"]:
        class_name = "Functional"  # early Keras 3 files name functional models "Model"
    if class_name not in layers_registry:
        also = f" (registered as {registered!r})" if isinstance(registered, str) and registered != class_name else ""
        raise FileFormatError(
            f"{who}: unknown layer class '{class_name}'{also}. neuronio loads only its own registered "
            f"layers ({', '.join(layers_registry.names())}) and the user's custom layers: register "
            f"one with @neuronio.saving.register_keras_serializable() or pass "
            f"custom_objects={{{class_name!r}: {class_name}}}."
        )
    return layers_registry.lookup(class_name)


def custom_layer_class(envelope: dict, who: str):
    """The user's class an envelope names: by its registered name, then (unless the envelope is
    one of Keras's or neuronio's own) by its class name; None when it names no custom object."""
    class_name, registered = envelope["class_name"], envelope.get("registered_name")
    module = envelope.get("module")
    builtin = isinstance(module, str) and (module == "keras" or module.startswith(("keras.", "neuronio.")))
    candidates = [] if builtin else [registered, class_name]
    if builtin and class_name not in layers_registry:
        candidates = [class_name]
    for name in candidates:
        obj = object_registration.get_registered_object(name)
        if obj is None:
            continue
        if not (isinstance(obj, type) and issubclass(obj, Layer)):
            raise FileFormatError(
                f"{who}: the custom object registered as {name!r} is {obj!r}, not a Layer class, "
                f"but the file uses it as a layer."
            )
        return obj
    return None


def class_name_of(envelope: dict, who: str = "config") -> str:
    """The registry name of the class an envelope names (after the same checks as layer_class);
    a user's custom class is named by its class name."""
    cls = layer_class(envelope, who)
    return layers_registry.name_of(cls) or cls.__name__


def deserialize_layer(envelope: dict, who: str = "config"):
    """Build (but not call) the layer an envelope describes."""
    cls = layer_class(envelope, who)
    class_name = layers_registry.name_of(cls) or cls.__name__
    if class_name in MODEL_CLASSES:
        model = cls.from_config(normalize_model_config(envelope, who)["config"], who)
        return model
    config_dict = from_keras_config(class_name, envelope.get("config") or {}, who)
    layer = cls.from_config(config_dict)
    shape = _build_shape(envelope.get("build_config"), who)
    named = _named_build_shapes(envelope.get("build_config"), who)
    if named is not None and not layer.built and set(named_build_parameters(layer)) == set(named):
        layer.build(**named)  # Keras's shapes_dict: one <argument>_shape per tensor argument of call()
        layer._build_shapes_dict, layer.built = named, True  # (other layers build when the graph calls them)
    elif shape is not None and not layer.built:
        if hasattr(layer, "build_from_config"):  # a subclassed model: builds its sublayers by calling itself
            layer.build_from_config({"input_shape": shape})
        else:
            layer._maybe_build(shape)
    return layer


def _dims(s) -> bool:
    return isinstance(s, list) and all(d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in s)


def _named_build_shapes(build_config, who: str):
    """A `build_config`'s shapes_dict ({"query_shape": [...], ...}) with tuples; None when absent."""
    named = build_config.get("shapes_dict") if isinstance(build_config, dict) else None
    if named is None:
        return None
    if not isinstance(named, dict) or not all(isinstance(k, str) and k.endswith("_shape") for k in named):
        raise FileFormatError(
            f"{who}: a build_config's shapes_dict must map '<argument>_shape' names to shapes; received {_short(named)}."
        )
    return {key: _build_shape({"input_shape": value}, who) if value else value for key, value in named.items()}


def _build_shape(build_config, who: str):
    """The shape (or list of shapes) a `build_config` names; None when it names none."""
    shape = build_config.get("input_shape") if isinstance(build_config, dict) else None
    if not shape:
        return None
    if _dims(shape):
        return tuple(shape)
    if isinstance(shape, list) and all(_dims(s) for s in shape):
        return [tuple(s) for s in shape]
    raise FileFormatError(
        f"{who}: a build_config's input_shape must be a shape or a list of shapes; received {_short(shape)}."
    )


def normalize_model_config(envelope: dict, who: str = "config") -> dict:
    """A model envelope with every layer config in neuronio's schema (recursively for nested
    models), and Keras's `mask=None` call arguments dropped from the functional graph."""
    config_dict = envelope.get("config")
    if not isinstance(config_dict, dict) or not isinstance(config_dict.get("layers"), list):
        raise FileFormatError(f"{who}: a model entry needs a config with a 'layers' list; received {_short(envelope)}.")
    for entry in config_dict["layers"]:
        if not isinstance(entry, dict):
            raise FileFormatError(
                f"{who}: each entry of a model's 'layers' must be a JSON object; received {_short(entry)}."
            )
    layers = []
    for entry in _without_mask_ops(config_dict["layers"]):
        if str(entry.get("module", "")).startswith("keras.src.ops."):
            layers.append(entry)  # an ops.* node: Functional.from_config reads it (layers/op_node.py)
            continue
        class_name = class_name_of(entry, who)
        entry = dict(entry)
        if class_name in MODEL_CLASSES:
            entry = {**entry, "config": normalize_model_config(entry, who)["config"]}
        else:
            entry["config"] = from_keras_config(class_name, entry.get("config") or {}, who)
        if isinstance(entry.get("inbound_nodes"), list):
            entry["inbound_nodes"] = [_without_null_mask(node) for node in entry["inbound_nodes"]]
            _check_call_arguments(entry, who)
        layers.append(entry)
    return {**envelope, "config": {**config_dict, "layers": layers}}


def _check_call_arguments(entry: dict, who: str) -> None:
    """Every keyword a node passes to its layer must be one that layer's `call` takes."""
    cls = layer_class(entry, who)
    parameters = inspect.signature(cls.call).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return
    accepted = set(parameters) | {"training"}
    for node in entry["inbound_nodes"]:
        kwargs = node.get("kwargs") if isinstance(node, dict) else None
        unknown = sorted(str(k) for k in kwargs if k not in accepted) if isinstance(kwargs, dict) else []
        if unknown:
            raise FileFormatError(
                f"{who}: layer '{entry.get('name')}' ({entry.get('class_name')}) is called with "
                f"argument(s) {unknown}, which its call() does not take."
            )


# The ops Keras records in a functional graph to compute a mask (Masking: NotEqual then Any;
# Embedding(mask_zero=True): NotEqual) and hands to the next layer as `mask=`.
_MASK_OPS = frozenset({"NotEqual", "Any"})


def _without_mask_ops(entries: list) -> list:
    """Drop Keras's mask-computing op nodes and the `mask=` arguments that read them: neuronio
    propagates the same masks itself (Layer.compute_mask), so the graph needs neither."""
    ops = {
        e.get("name")
        for e in entries
        if isinstance(e, dict)
        and str(e.get("module", "")).startswith("keras.src.ops")
        and e.get("class_name") in _MASK_OPS
    }
    if not ops:
        return entries
    kept = []
    for entry in entries:
        if entry.get("name") in ops:
            continue
        if isinstance(entry.get("inbound_nodes"), list):
            entry = {**entry, "inbound_nodes": [_without_op_mask(node, ops) for node in entry["inbound_nodes"]]}
        kept.append(entry)
    return kept


def _without_op_mask(node, ops: set):
    kwargs = node.get("kwargs") if isinstance(node, dict) else None
    mask = kwargs.get("mask") if isinstance(kwargs, dict) else None
    inner = mask.get("config") if isinstance(mask, dict) else None
    history = inner.get("keras_history") if isinstance(inner, dict) else None
    if isinstance(history, list) and history and history[0] in ops:
        return {**node, "kwargs": {k: v for k, v in kwargs.items() if k != "mask"}}
    return node


def _without_null_mask(node):
    if isinstance(node, dict) and isinstance(node.get("kwargs"), dict) and node["kwargs"].get("mask", 0) is None:
        return {**node, "kwargs": {k: v for k, v in node["kwargs"].items() if k != "mask"}}
    return node


# -- compile state ----------------------------------------------------------------------------------
def get_compile_config(model) -> dict | None:
    """Keras's `compile_config`: optimizer (with its current hyperparameters), loss, metrics."""
    if not getattr(model, "compiled", False):
        return None
    return {
        "optimizer": optimizers.serialize(model.optimizer),
        "loss": _serialize_spec(model.loss, object_registration.or_custom(losses.serialize)),
        "loss_weights": _jsonable(model.loss_weights),
        "metrics": _serialize_spec(model._compile_metrics_spec, object_registration.or_custom(metrics.serialize)),
        "weighted_metrics": _serialize_spec(
            getattr(model, "_compile_weighted_metrics_spec", None), object_registration.or_custom(metrics.serialize)
        ),
        "run_eagerly": False,
        "steps_per_execution": 1,
        "jit_compile": False,
    }


def compile_from_config(model, compile_config: dict, who: str = "compile_config") -> None:
    """`model.compile(...)` from a compile_config, then build the optimizer's slots (as Keras
    does), so that the optimizer state saved next to the weights can be loaded into them."""
    if not isinstance(compile_config, dict):
        raise FileFormatError(f"{who}: expected a JSON object; received {_short(compile_config)}.")
    _lambdas.refuse_stored(compile_config, f"{who}: ", "a lambda in the compile state")
    optimizer = compile_config.get("optimizer", "rmsprop")
    if not isinstance(optimizer, (dict, str)):
        raise FileFormatError(
            f"{who}: 'optimizer' must be an optimizer's config or name; received {_short(optimizer)}."
        )
    optimizer = optimizers.deserialize(optimizer) if isinstance(optimizer, dict) else optimizer
    loss = _deserialize_spec(compile_config.get("loss"), object_registration.custom_or(losses.deserialize))
    compiled_metrics = _deserialize_spec(
        compile_config.get("metrics"), object_registration.custom_or(metrics.deserialize)
    )
    # compile() resolves names on the first batch; a name no registry knows is refused here, at load.
    _check_names(loss, losses.get, skip=("crossentropy", "ce"))
    weighted_metrics = _deserialize_spec(
        compile_config.get("weighted_metrics"), object_registration.custom_or(metrics.deserialize)
    )
    _check_names(compiled_metrics, metrics.get, skip=())
    _check_names(weighted_metrics, metrics.get, skip=())
    model.compile(
        optimizer=optimizer,
        loss=loss,
        loss_weights=compile_config.get("loss_weights"),
        metrics=compiled_metrics,
        weighted_metrics=weighted_metrics,
    )
    if model.built:
        model.optimizer.build(model.trainable_weights)


def _serialize_spec(spec, serialize):
    """Strings stay strings (as Keras writes them); objects and functions get their envelope."""
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, (list, tuple)):
        return [_serialize_spec(s, serialize) for s in spec]
    if isinstance(spec, dict):
        return {key: _serialize_spec(s, serialize) for key, s in spec.items()}
    return serialize(spec)


def _deserialize_spec(spec, deserialize):
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, list):
        return [_deserialize_spec(s, deserialize) for s in spec]
    if isinstance(spec, dict) and "class_name" not in spec:
        return {key: _deserialize_spec(s, deserialize) for key, s in spec.items()}
    return deserialize(spec)


def _check_names(spec, get, skip) -> None:
    """Raise UnknownNameError for a name no registry knows (other lookup errors wait for the data)."""
    if isinstance(spec, str):
        if spec.lower() not in skip and not object_registration.is_custom(spec):
            try:
                get(spec)
            except UnknownNameError:
                raise
            except (ValueError, TypeError):
                pass  # e.g. "acc": a known name that needs the data's shapes to resolve
    elif isinstance(spec, (list, tuple)):
        for item in spec:
            _check_names(item, get, skip)
    elif isinstance(spec, dict):
        for item in spec.values():
            _check_names(item, get, skip)


def _jsonable(value):
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"Cannot save the non-finite value {value} in a config.")
    return value.item() if hasattr(value, "item") else value
