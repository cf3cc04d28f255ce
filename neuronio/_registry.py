"""One registry per kind of named object (activation, loss, optimizer, layer, ...).

A registry maps every name a user may type ("relu", "Adam", "acc") to an object, and each object
back to its canonical Keras name, which is what saving writes. Nothing in neuronio resolves a
name any other way: no if/elif chains, no imports by module string (STYLE C5).
"""

import difflib

from neuronio.errors import FileFormatError, UnknownNameError


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


# -- Keras's config envelope, for every kind -------------------------------------------------------
# The one place that says which of neuronio's classes are Keras's own, by kind (the Keras module
# after "keras."). A class not listed is neuronio's own: it is saved under neuronio.<kind> as
# "neuronio>Name", so Keras reports a custom object it lacks instead of misreading a class of its
# own. tests/reference/test_keras_own_classes.py checks the table against Keras in both directions.
KERAS_OWN = {
    "layers": frozenset({
        "ActivityRegularization", "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveMaxPooling1D",
        "AdaptiveMaxPooling2D", "AlphaDropout", "Dot", "GaussianDropout", "GroupNormalization", "Identity", "Minimum",
        "SpatialDropout1D", "UnitNormalization",
        "Activation", "Add", "Average", "AveragePooling1D", "AveragePooling2D", "BatchNormalization",
        "Bidirectional", "CenterCrop", "Concatenate", "Conv1D", "Conv2D", "Conv2DTranspose", "Cropping1D",
        "Cropping2D", "Dense", "DepthwiseConv2D", "Dropout", "ELU", "Embedding", "Flatten", "Functional", "GRU",
        "GRUCell", "GaussianNoise", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
        "GlobalMaxPooling2D", "InputLayer", "LSTM", "LSTMCell", "Lambda", "LayerNormalization", "LeakyReLU",
        "Masking", "MaxPooling1D", "MaxPooling2D", "Maximum", "Multiply", "Normalization", "PReLU", "Permute",
        "RNN", "RandomCrop", "RandomErasing", "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom",
        "ReLU", "RepeatVector", "Rescaling", "Reshape", "Resizing", "SeparableConv2D", "Sequential", "SimpleRNN",
        "SimpleRNNCell", "Softmax", "SpatialDropout2D", "StackedRNNCells", "Subtract", "TimeDistributed",
        "UpSampling1D", "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D",
        "Conv1DTranspose", "ConvLSTM1D", "ConvLSTM2D", "DepthwiseConv1D", "SeparableConv1D", "SpectralNormalization",
        "Distiller",  # keras.distillation.Distiller, a model (models are layers to the registry)
    }),
    "losses": frozenset({
        "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError", "MeanSquaredLogarithmicError",
        "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "BinaryCrossentropy", "KLDivergence",
        "Poisson", "Hinge", "SquaredHinge", "CategoricalHinge", "Huber", "LogCosh", "CosineSimilarity",
        "MeanAbsolutePercentageError", "BinaryFocalCrossentropy", "CategoricalFocalCrossentropy",
        "CategoricalGeneralizedCrossEntropy", "Circle", "CTC", "Dice", "Tversky",
    }),
    "metrics": frozenset({
        "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
        "SparseCategoricalAccuracy", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
        "MeanSquaredError", "MeanAbsoluteError", "MeanSquaredLogarithmicError", "RootMeanSquaredError",
        "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "KLDivergence",
        "Poisson", "Hinge", "SquaredHinge", "CategoricalHinge", "MeanAbsolutePercentageError", "LogCoshError",
        "CosineSimilarity", "Precision", "Recall", "AUC", "FBetaScore", "F1Score", "MeanIoU", "TruePositives",
        "FalsePositives", "TrueNegatives", "FalseNegatives", "IoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU",
        "R2Score", "PearsonCorrelation", "ConcordanceCorrelation", "SensitivityAtSpecificity",
        "SpecificityAtSensitivity", "PrecisionAtRecall", "RecallAtPrecision",
    }),
    "optimizers": frozenset({
        "SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "Nadam", "RMSprop", "Adafactor", "Ftrl", "Lamb",
        "Lion", "Muon", "ScheduleFreeAdamW", "MultiOptimizer", "OptimizerMap",
    }),
    "optimizers.schedules": frozenset({
        "ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay", "InverseTimeDecay", "CosineDecay",
    }),
    "initializers": frozenset({
        "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling",
        "Orthogonal", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal",
        "Identity",
    }),
    "regularizers": frozenset({"L1", "L2", "L1L2", "OrthogonalRegularizer"}),
    "constraints": frozenset({"MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm"}),
}  # fmt: skip


def is_keras_own(kind: str, class_name: str) -> bool:
    """Whether Keras ships the class `class_name` of `kind` ("layers", "losses", ...)."""
    return class_name in KERAS_OWN[kind]


def envelope(kind: str, class_name: str, config, keras_module: str | None = None) -> dict:
    """Keras's {"module", "class_name", "config", "registered_name"} for neuronio's class
    `class_name` of `kind`: one of Keras's own under `keras_module` (keras.<kind> by default) with
    registered_name None, one of neuronio's own under neuronio.<kind> as "neuronio>Name"."""
    own = is_keras_own(kind, class_name)
    return {
        "module": (keras_module or f"keras.{kind}") if own else f"neuronio.{kind}",
        "class_name": class_name,
        "config": config,
        "registered_name": None if own else f"neuronio>{class_name}",
    }


def function_envelope(name: str) -> dict:
    """Keras's envelope of a function saved by name (an activation, a loss or metric function)."""
    return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}


def class_name_in(envelope_dict: dict):
    """The class an envelope names: its "neuronio>Name" registered name wins over class_name."""
    registered = envelope_dict.get("registered_name")
    if isinstance(registered, str) and registered.startswith("neuronio>"):
        return registered.split(">", 1)[1]
    return envelope_dict.get("class_name")


def parts(envelope_dict, kind: str) -> tuple[str, dict]:
    """(the class an envelope names, a copy of its config), after checking its structure where it
    is parsed: a JSON object with a string "class_name" and an object (or null) "config".
    FileFormatError names the fault; what the class's from_config raises is its own."""
    if not isinstance(envelope_dict, dict) or not isinstance(envelope_dict.get("class_name"), str):
        raise FileFormatError(
            f"A serialized {kind} must be a JSON object with a string 'class_name'; received {_short(envelope_dict)}."
        )
    inner = envelope_dict.get("config")
    if inner is not None and not isinstance(inner, dict):
        raise FileFormatError(
            f"The serialized {kind} {envelope_dict['class_name']!r} needs a JSON object as its 'config'; "
            f"received {_short(inner)}."
        )
    return class_name_in(envelope_dict), dict(inner or {})


def _short(value, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def to_envelope(registry: Registry, obj, kind: str) -> dict | None:
    """The envelope of an instance of a registered class (None stays None)."""
    if obj is None:
        return None
    name = registry.name_of(type(obj))
    if name is None:
        raise TypeError(
            f"Cannot serialize {registry.kind} {obj!r}: its class is not registered. Register it with "
            f"neuronio.{kind}.registry.register(name)."
        )
    return envelope(kind, name, obj.get_config())


def from_envelope(registry: Registry, config_dict: dict):
    """The inverse of to_envelope; the class is resolved through the registry only."""
    name, inner = parts(config_dict, registry.kind)
    return registry.lookup(name).from_config(inner)


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
