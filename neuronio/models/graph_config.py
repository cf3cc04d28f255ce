"""The structure of a functional model's config, checked where it is parsed.

A file's content reaches `Functional.from_config` only after `check` has said it has the shape
Keras 3 writes: a "layers" list of layer entries (a unique string "name", a string "class_name",
an "inbound_nodes" list of {"args": [...], "kwargs": {...}} nodes whose tensors are references
[layer name, node index, tensor index], bare or as `__keras_tensor__` objects), and
"input_layers"/"output_layers" made of such references. A fault is a FileFormatError naming the
file and the fault; anything else raised while the graph is rebuilt is a bug and propagates.
"""

from neuronio.errors import FileFormatError


def check(config_dict, who: str) -> None:
    """Raise FileFormatError unless `config_dict` has the structure of a functional config."""
    _expect(isinstance(config_dict, dict), who, "a functional model's config must be a JSON object", config_dict)
    layers = config_dict.get("layers")
    _expect(isinstance(layers, list), who, "a functional model needs a 'layers' list", layers)
    names = set()
    for entry in layers:
        _expect(isinstance(entry, dict), who, "each entry of 'layers' must be a JSON object", entry)
        name = entry.get("name")
        _expect(isinstance(name, str), who, "each layer entry needs a string 'name'", entry)
        _expect(name not in names, who, f"two layers are named {name!r}", name)
        names.add(name)
        _expect(isinstance(entry.get("class_name"), str), who, f"layer {name!r} needs a string 'class_name'", entry)
        if entry["class_name"] == "InputLayer":
            _expect(isinstance(entry.get("config"), dict), who, f"input layer {name!r} needs a config object", entry)
        nodes = entry.get("inbound_nodes", [])
        _expect(isinstance(nodes, list), who, f"layer {name!r}: 'inbound_nodes' must be a list", nodes)
        op_node = str(entry.get("module", "")).startswith("keras.src.ops.")  # layers/op_node.py reads its own
        for node in nodes:
            _check_node(node, name, who, op_node)
    for key in ("input_layers", "output_layers"):
        spec = config_dict.get(key)
        refs = spec if isinstance(spec, list) and spec and isinstance(spec[0], list) else [spec]
        for ref in refs:
            _expect(is_reference(ref), who, f"'{key}' must hold [layer name, node index, tensor index] lists", spec)


def _check_node(node, name: str, who: str, op_node: bool) -> None:
    """A layer's node: tensor references as arguments; an op's node (layers/op_node.py): an args list."""
    _expect(isinstance(node, dict), who, f"layer {name!r}: each inbound node must be a JSON object", node)
    kwargs = node.get("kwargs", {})
    _expect(
        kwargs is None or isinstance(kwargs, dict), who, f"layer {name!r}: a node's 'kwargs' must be an object", kwargs
    )
    args = node.get("args", [] if op_node else None)
    # layer(a=x, b=y): Keras writes no args and every tensor by name.
    by_name = args == [] and any(_has_tensor(v) for v in (kwargs or {}).values())
    _expect(
        isinstance(args, list) and (args or op_node or by_name), who,
        f"layer {name!r}: a node needs a non-empty 'args' list or tensors in its 'kwargs'", node,
    )  # fmt: skip
    if op_node:
        return
    if by_name:
        _check_kwarg_tensors(kwargs, name, who)
        return
    first = args[0]  # a tensor or a list of tensors; call()'s further arguments: tensors, None, lists of them
    _expect(
        is_tensor(first) or (isinstance(first, list) and first and all(_tensors(a) for a in first)),
        who, f"layer {name!r}: a node's first argument is not a tensor reference or a list of them", first,
    )  # fmt: skip
    for arg in args[1:]:
        _expect(
            _tensors(arg), who,
            f"layer {name!r}: a node's positional argument is not a tensor reference (Keras passes only tensors "
            f"positionally)", arg,
        )  # fmt: skip
    _check_kwarg_tensors(kwargs, name, who)


def _check_kwarg_tensors(kwargs, name: str, who: str) -> None:
    for value in (kwargs or {}).values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and item.get("class_name") == "__keras_tensor__":
                _expect(is_tensor(item), who, f"layer {name!r}: a tensor argument has no valid keras_history", item)


def _has_tensor(value) -> bool:
    if isinstance(value, dict):
        return value.get("class_name") == "__keras_tensor__"
    return isinstance(value, list) and any(_has_tensor(v) for v in value)


def _tensors(value) -> bool:
    """A positional argument of a node: a tensor reference, None, or a list of them (nested)."""
    if value is None or is_tensor(value):
        return True
    return isinstance(value, list) and all(_tensors(v) for v in value)


def is_reference(ref) -> bool:
    """[layer name, node index, tensor index] (JSON ints; not booleans)."""
    return (
        isinstance(ref, list)
        and len(ref) == 3
        and isinstance(ref[0], str)
        and all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in ref[1:])
    )


def is_tensor(value) -> bool:
    """A reference, bare or as Keras 3's {"class_name": "__keras_tensor__", "config": {"keras_history"}}."""
    if isinstance(value, dict):
        inner = value.get("config")
        return (
            value.get("class_name") == "__keras_tensor__"
            and isinstance(inner, dict)
            and is_reference(inner.get("keras_history"))
        )
    return is_reference(value)


def history(value) -> list:
    """The [layer name, node index, tensor index] of a checked tensor reference."""
    return value["config"]["keras_history"] if isinstance(value, dict) else value


def _expect(ok: bool, who: str, fault: str, value) -> None:
    if not ok:
        text = repr(value)
        text = text if len(text) <= 120 else text[:117] + "..."
        raise FileFormatError(f"{who}: malformed functional model config: {fault}; received {text}.")
