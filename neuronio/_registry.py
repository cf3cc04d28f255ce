"""One registry per kind of named object (activation, loss, optimizer, layer, ...).

A registry maps every name a user may type ("relu", "Adam", "acc") to an object, and each object
back to its canonical Keras name, which is what saving writes. Nothing in neuronio resolves a
name any other way: no if/elif chains, no imports by module string (STYLE C5).
"""

import difflib

from neuronio.errors import UnknownNameError


class Registry:
    """Maps the names a user can type to objects, for one kind.

    >>> colors = Registry("color")
    >>> @colors.register("Red", "crimson")
    ... class Red: pass
    >>> colors.get("crimson") is Red, colors.name_of(Red)
    (True, 'Red')
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._by_name: dict[str, object] = {}
        self._canonical: dict[int, str] = {}

    def register(self, name: str, *aliases: str):
        """Decorator: register `obj` under `name` (canonical) and `aliases`."""

        def decorator(obj):
            for key in (name, *aliases):
                if key in self._by_name:
                    raise KeyError(f"{self.kind} name {key!r} is already registered")
                self._by_name[key] = obj
            self._canonical[id(obj)] = name
            return obj

        return decorator

    def add(self, name: str, obj, *aliases: str):
        """Register `obj` without decorating it (for functions defined elsewhere)."""
        return self.register(name, *aliases)(obj)

    def names(self) -> list[str]:
        """Every name this registry accepts, aliases included, sorted."""
        return sorted(self._by_name)

    def __contains__(self, name) -> bool:
        return name in self._by_name

    def lookup(self, name: str):
        """The object registered under `name`; UnknownNameError listing valid names if none."""
        try:
            return self._by_name[name]
        except (KeyError, TypeError):
            raise UnknownNameError(self.unknown_message(name)) from None

    def unknown_message(self, name) -> str:
        close = difflib.get_close_matches(str(name), self._by_name, n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        return f"Unknown {self.kind} {name!r}.{hint} Valid names: {', '.join(self.names())}."

    def name_of(self, obj) -> str | None:
        """The canonical name of a registered object (or of the class of an instance)."""
        name = self._canonical.get(id(obj))
        if name is None and not isinstance(obj, type):
            name = self._canonical.get(id(type(obj)))
        return name


# -- Keras's config envelope for the small kinds (regularizers, constraints) ------------------------
def to_envelope(registry: Registry, obj, module: str) -> dict | None:
    """{"module", "class_name", "config", "registered_name"} for a registered object (None stays None)."""
    if obj is None:
        return None
    name = registry.name_of(type(obj))
    if name is None:
        raise TypeError(
            f"Cannot serialize {registry.kind} {obj!r}: its class is not registered. Register it with "
            f"{module.replace('keras', 'neuronio')}.registry.register(name)."
        )
    return {"module": module, "class_name": name, "config": obj.get_config(), "registered_name": None}


def kind_envelope(kind: str, name: str, config: dict, keras_classes) -> dict:
    """The envelope of a loss or metric class `name`: one of Keras's own (`keras_classes`) is saved
    under keras.<kind> with registered_name None, a neuronio-only one under neuronio.<kind> as
    "neuronio>Name" (so Keras reports it as a custom object rather than a class it lacks)."""
    keras_class = name in keras_classes
    return {
        "module": f"keras.{kind}" if keras_class else f"neuronio.{kind}",
        "class_name": name,
        "config": config,
        "registered_name": None if keras_class else f"neuronio>{name}",
    }


def from_envelope(registry: Registry, config_dict: dict):
    """The inverse of to_envelope; the class is resolved through the registry only."""
    cls = registry.lookup(config_dict.get("class_name"))
    return cls.from_config(dict(config_dict.get("config") or {}))


def resolve(registry: Registry, base: type, identifier, examples: str):
    """None, an instance of `base`, a name, an envelope or a callable, as Keras's `get` takes them."""
    if identifier is None or isinstance(identifier, base):
        return identifier
    if isinstance(identifier, str):
        return registry.lookup(identifier)()
    if isinstance(identifier, dict):
        return from_envelope(registry, identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {registry.kind} identifier: {identifier!r}. Give {examples}, or a callable.")
