"""`import keras` -> neuronio, for running Keras 3 programs unchanged (tests/programs).

On sys.path only in the corpus runner's neuronio run: this package replaces itself in
sys.modules with neuronio, and registers neuronio's subpackages as `keras.<name>` so that
`from keras.layers import Dense` and `import keras.ops` work as well.
"""

import sys
import types

import neuronio

sys.modules["keras"] = neuronio
for _name in dir(neuronio):
    _value = getattr(neuronio, _name)
    if isinstance(_value, types.ModuleType) and _value.__name__.startswith("neuronio."):
        sys.modules[f"keras.{_name}"] = _value
