"""Where the user's own classes and functions are kept (floor 0, so that every floor can look
them up; the public API is neuronio.saving.object_registration).

The global dict maps "package>name" to an object and back; `custom_object_scope` pushes dicts
on a per-thread stack. A lookup searches the innermost scope first, then the global dict.
"""

import threading

GLOBAL_CUSTOM_OBJECTS: dict = {}  # "Package>Name" (or any name the user chose) -> object
GLOBAL_CUSTOM_NAMES: dict = {}  # object -> "Package>Name"
_scopes = threading.local()


def scope_stack() -> list:
    """This thread's stack of custom_object_scope dicts, innermost last."""
    if not hasattr(_scopes, "stack"):
        _scopes.stack = []
    return _scopes.stack


def lookup(name, custom_objects=None, module_objects=None):
    """The object `name` stands for: in `custom_objects`, the active scopes (innermost first),
    the global registrations, then `module_objects`; None when none has it."""
    if not isinstance(name, str):
        return None
    for source in (custom_objects or {}, *reversed(scope_stack()), GLOBAL_CUSTOM_OBJECTS, module_objects or {}):
        if name in source:
            return source[name]
    return None


def registered_name(obj) -> str | None:
    """The name `obj` was registered under, or None."""
    try:
        return GLOBAL_CUSTOM_NAMES.get(obj)
    except TypeError:  # an unhashable object is never registered
        return None
