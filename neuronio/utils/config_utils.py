"""`utils.Config`: a dict of named settings read and written as attributes, frozen on demand."""

import copy
import difflib
import json


class Config:
    """Named values reachable as `config.name` and `config["name"]`, as `keras.utils.Config`.

    >>> config = Config(learning_rate=0.1)
    >>> config.seed = 123
    >>> config["seed"], config.learning_rate, sorted(config)
    (123, 0.1, ['learning_rate', 'seed'])
    >>> config.freeze()
    >>> config.seed = 7
    Traceback (most recent call last):
    ...
    ValueError: Cannot mutate attribute(s) because the config is frozen. Call `unfreeze()` first.
    """

    _OWN = frozenset({"_values", "_frozen"})

    def __init__(self, **kwargs):
        object.__setattr__(self, "_values", dict(kwargs))
        object.__setattr__(self, "_frozen", False)

    # -- freezing --------------------------------------------------------------------------------
    @property
    def frozen(self) -> bool:
        """Whether changes are refused."""
        return self._frozen

    def freeze(self) -> None:
        """Refuse every later change (set, delete, pop, update) with a ValueError."""
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self) -> None:
        object.__setattr__(self, "_frozen", False)

    def _check_mutable(self) -> None:
        if self._frozen:
            raise ValueError("Cannot mutate attribute(s) because the config is frozen. Call `unfreeze()` first.")

    # -- dict-like -------------------------------------------------------------------------------
    def as_dict(self) -> dict:
        return copy.copy(self._values)

    def to_json(self) -> str:
        return json.dumps(self._values)

    def keys(self):
        return self._values.keys()

    def values(self):
        return self._values.values()

    def items(self):
        return self._values.items()

    def get(self, keyname, value=None):
        return self._values.get(keyname, value)

    def pop(self, *args):
        self._check_mutable()
        return self._values.pop(*args)

    def update(self, *args, **kwargs):
        self._check_mutable()
        self._values.update(*args, **kwargs)

    def __setitem__(self, key, value):
        self._check_mutable()
        self._values[key] = value

    def __getitem__(self, key):
        return self._values[key]

    def __delitem__(self, key):
        self._check_mutable()
        del self._values[key]

    def __contains__(self, key) -> bool:
        return key in self._values

    def __iter__(self):
        return iter(sorted(self._values))  # Keras iterates the keys in sorted order

    def __len__(self) -> int:
        return len(self._values)

    # -- attribute access ------------------------------------------------------------------------
    def __setattr__(self, name, value):
        if name in type(self).__dict__ or name in self._OWN:
            raise AttributeError(f"Config: `{name}` is a method or property of Config; store it as config[{name!r}].")
        self[name] = value

    def __getattr__(self, name):  # only called when normal lookup fails
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        message = f"Unknown attribute: '{name}'."
        close = difflib.get_close_matches(name, values.keys(), n=1, cutoff=0.7)
        if close:
            message += f" Did you mean '{close[0]}'?"
        raise AttributeError(message)

    def __delattr__(self, name):
        if name not in self._values:
            raise AttributeError(f"Unknown attribute: '{name}'.")
        del self[name]

    def __repr__(self) -> str:
        return f"<Config {self._values}>"

    # copy/pickle go through __getattr__ before _values exists; give them the plain protocol.
    def __getstate__(self):
        return {"_values": self._values, "_frozen": self._frozen}

    def __setstate__(self, state):
        object.__setattr__(self, "_values", state["_values"])
        object.__setattr__(self, "_frozen", state["_frozen"])
