"""The classic sequence models, built from neuronio's recurrent layers and untrained.

lstm_classifier()                      MNIST read row by row: 28 steps of 28 pixels -> LSTM(128) -> 10
lstm_classifier(vocab_size=20000, input_shape=(200,))      text: Embedding (mask_zero) -> LSTM -> classes
gru_forecaster(window=48)              a window of a time series -> GRU -> the next `horizon` values
"""

from neuronio import layers
from neuronio.models import Sequential


def lstm_classifier(
    input_shape=(28, 28),
    num_classes=10,
    units=128,
    vocab_size=None,
    embedding_dim=128,
    bidirectional=False,
    activation="softmax",
    name="lstm_classifier",
) -> Sequential:
    """An LSTM over a sequence, then a Dense classifier on its last output.

    Args:
        input_shape: (timesteps, features) for real-valued sequences (default: MNIST's rows), or
            (timesteps,) of integer ids when `vocab_size` is given.
        num_classes: output classes (a single sigmoid unit when 2 and activation="sigmoid").
        units: LSTM units.
        vocab_size: when given, ids go through Embedding(vocab_size, embedding_dim, mask_zero=True),
            so id 0 is padding and padded steps are skipped.
        bidirectional: wrap the LSTM in Bidirectional (concat).
        activation: of the last layer; None for logits.

    >>> lstm_classifier().count_params()
    81674
    """
    stack = [layers.Input(shape=tuple(input_shape))]
    if vocab_size is not None:
        stack.append(layers.Embedding(vocab_size, embedding_dim, mask_zero=True))
    recurrent = layers.LSTM(units)
    stack.append(layers.Bidirectional(recurrent) if bidirectional else recurrent)
    outputs = 1 if num_classes == 2 and activation == "sigmoid" else num_classes
    stack.append(layers.Dense(outputs, activation=activation))
    return Sequential(stack, name=name)


def gru_forecaster(window=48, features=1, horizon=1, units=32, stacked=1, name="gru_forecaster") -> Sequential:
    """A GRU reads `window` steps of `features` values and a Dense layer predicts the next `horizon`.

    Args:
        window: timesteps the model sees.
        features: values per timestep.
        horizon: future values predicted (of the first feature, or of whatever y holds).
        units: GRU units.
        stacked: number of GRU layers (all but the last return sequences).

    >>> gru_forecaster(window=10).output_shape
    (None, 1)
    """
    stack = [layers.Input(shape=(window, features))]
    for i in range(stacked):
        stack.append(layers.GRU(units, return_sequences=i < stacked - 1))
    stack.append(layers.Dense(horizon))
    return Sequential(stack, name=name)
