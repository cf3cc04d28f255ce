"""ConvLSTM1D and ConvLSTM2D: an LSTM whose input and recurrent transforms are convolutions
(Shi et al. 2015, "Convolutional LSTM Network"), with Keras 3's arguments, weights and configs.

Each step t of a sequence of feature maps x_t (N, *spatial, C), with states h, c (N, *out, F):

    z = conv(x_t, kernel, strides, padding, dilation) + bias + conv(h, recurrent_kernel, 1, "same")
    i, f, g, o = split(z, 4, axis=-1)                            Keras's gate order
    c = recurrent_activation(f) * c + recurrent_activation(i) * activation(g)
    h = recurrent_activation(o) * activation(c);    output = h

The cell is an ordinary RNN cell built from conv1d/conv2d and elementwise ops, so the `RNN`
layer's step loop runs it (masks, go_backwards, stateful, return_state as for LSTM) and the tape
differentiates it through time. Weights: kernel (*kernel_size, C, 4F), recurrent_kernel
(*kernel_size, F, 4F), bias (4F,), saved under the layer's `cell` as Keras saves them.
"""

import numpy as np

from neuronio import activations, config, initializers, regularizers
from neuronio.layers.arguments import check_channels_last, check_positive_int
from neuronio.layers.input_spec import InputSpec, check_input
from neuronio.layers.layer import Layer, registry
from neuronio.layers.rnn import RNN, _Fused
from neuronio.layers.rnn_cells import forget_bias_initializer, fraction, initializer
from neuronio.layers.weight_options import set_weight_options, weight_options, weight_options_config
from neuronio.ops import conv1d, conv2d, multiply
from neuronio.ops._windows import conv_output_size, normalize_padding, normalize_pair, normalize_single
from neuronio.ops.shape import getitem

_CONV = {1: conv1d, 2: conv2d}
_LAYOUTS = {1: ("NTLC", "(0, 1, 3, 2)"), 2: ("NTHWC", "(0, 1, 3, 4, 2)")}


class ConvLSTMCell(Layer):
    """One step of a ConvLSTM of spatial rank 1 or 2: `output, [h, c] = cell(x_t, [h, c])`.

    Dropout masks (`dropout` on the inputs, `recurrent_dropout` on h) are drawn once per call of
    the RNN layer, with the shape of one step's input (state), and reused at every step and for
    all four gates.
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", unit_forget_bias=True,
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        owner = f"ConvLSTM{rank}D"
        if rank not in _CONV:
            raise ValueError(f"{owner}: `rank` must be 1 or 2; received rank={rank!r}.")
        self.rank = rank
        tuple_of = (lambda n, v: (normalize_single(n, v, owner),)) if rank == 1 else (
            lambda n, v: normalize_pair(n, v, owner)
        )  # fmt: skip
        self.filters = check_positive_int(owner, "filters", filters)
        self.kernel_size = tuple_of("kernel_size", kernel_size)
        self.strides = tuple_of("strides", strides)
        self.dilation_rate = tuple_of("dilation_rate", dilation_rate)
        self.padding = normalize_padding(padding, owner)
        check_channels_last(owner, data_format, *_LAYOUTS[rank])
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{owner}: `strides > 1` is not compatible with `dilation_rate > 1` (as in Keras); received "
                f"strides={strides!r} and dilation_rate={dilation_rate!r}. Use one of the two."
            )
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializer(kernel_initializer)
        self.recurrent_initializer = initializer(recurrent_initializer)
        self.bias_initializer = initializer(bias_initializer)
        self.unit_forget_bias = bool(unit_forget_bias)
        set_weight_options(self, "kernel", kernel_regularizer, kernel_constraint)
        set_weight_options(self, "recurrent", recurrent_regularizer, recurrent_constraint)
        set_weight_options(self, "bias", bias_regularizer, bias_constraint)
        self.dropout = fraction(owner, "dropout", dropout)
        self.recurrent_dropout = fraction(owner, "recurrent_dropout", recurrent_dropout)
        self.seed = seed
        self._rng = None if seed is None else np.random.default_rng(seed)
        self.spatial = None  # the output feature maps' spatial shape, known once built
        self.reset_dropout_mask()

    @property
    def state_size(self):
        return [self.filters, self.filters]

    def output_spatial(self, spatial) -> tuple:
        """The spatial shape of the states for inputs of spatial shape `spatial`."""
        return tuple(
            conv_output_size(size, k, s, self.padding, d)
            for size, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate, strict=True)
        )

    def build(self, input_shape):
        """input_shape: one step, (batch, *spatial, channels)."""
        *spatial, channels = input_shape[1:]
        if None in spatial or channels is None:
            raise ValueError(
                f"ConvLSTM{self.rank}D: the spatial and channel axes of the inputs must be known (Keras needs "
                f"them static too); received the step shape {tuple(input_shape)}."
            )
        self.spatial = self.output_spatial(spatial)
        if min(self.spatial) <= 0:
            raise ValueError(
                f"ConvLSTM{self.rank}D: a kernel of size {self.kernel_size} does not fit steps of spatial shape "
                f"{tuple(spatial)} with padding='{self.padding}'; use padding='same' or a smaller kernel_size."
            )
        gates = 4 * self.filters
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, channels, gates),
            initializer=self.kernel_initializer,
            name="kernel",
            **weight_options(self, "kernel"),
        )
        self.recurrent_kernel = self.add_weight(
            shape=(*self.kernel_size, self.filters, gates),
            initializer=self.recurrent_initializer,
            name="recurrent_kernel",
            **weight_options(self, "recurrent"),
        )
        self.bias = None
        if self.use_bias:
            init = self.bias_initializer
            if self.unit_forget_bias:
                init = forget_bias_initializer(self.bias_initializer, self.filters)
            self.bias = self.add_weight(shape=(gates,), initializer=init, name="bias", **weight_options(self, "bias"))

    # -- dropout masks: drawn once per call of the RNN layer (it calls reset_dropout_mask) ---------
    def reset_dropout_mask(self) -> None:
        self._masks = {}

    def _dropped(self, which: str, x, rate: float, training):
        if not training or rate == 0:
            return x
        mask = self._masks.get(which)
        if mask is None or mask.shape != x.shape:
            rng = self._rng or config.rng()
            mask = (rng.random(x.shape, dtype=np.float32) >= rate).astype(x.dtype) / np.asarray(1.0 - rate, x.dtype)
            self._masks[which] = mask
        return multiply(x, mask)

    def call(self, inputs, states, training=False):
        h, c = states
        conv = _CONV[self.rank]
        x = self._dropped("inputs", inputs, self.dropout, training)
        hd = self._dropped("recurrent", h, self.recurrent_dropout, training)
        z = conv(x, self.kernel, self.strides, self.padding, self.bias, self.dilation_rate)  # (N, *out, 4F)
        z = z + conv(hd, self.recurrent_kernel, 1, "same")
        f = self.filters
        i, fg, g, o = (getitem(z, (Ellipsis, slice(k * f, (k + 1) * f))) for k in range(4))
        c = self.recurrent_activation(fg) * c + self.recurrent_activation(i) * self.activation(g)
        h = self.recurrent_activation(o) * self.activation(c)
        return h, [h, c]

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": "channels_last",
            "dilation_rate": list(self.dilation_rate),
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
            **weight_options_config(self, "kernel", "recurrent", "bias"),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


class _ConvLSTM(_Fused):
    """ConvLSTM1D and ConvLSTM2D: an RNN over a ConvLSTMCell of rank `rank`.

    Args:
        filters: output channels F.  kernel_size, strides, dilation_rate: int or `rank`-tuple
            (strides > 1 with dilation_rate > 1 is refused, as in Keras).
        padding: "valid" or "same" for the input convolution (the recurrent one is always
            "same" with stride 1, so h keeps the shape the input convolution gives).
        activation ("tanh"), recurrent_activation ("sigmoid"), use_bias, kernel_initializer,
        recurrent_initializer ("orthogonal"), bias_initializer, unit_forget_bias (True),
        kernel/recurrent/bias _regularizer and _constraint, activity_regularizer, dropout,
        recurrent_dropout, seed: as in LSTM.
        return_sequences, return_state, go_backwards, stateful: as in RNN.

    Input shape: (batch, time, *spatial, channels) (channels_last only).
    Output shape: (batch, [time,] *out, filters), out as the input convolution gives it.
    """

    rank = None

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", unit_forget_bias=True,
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, **kwargs):  # fmt: skip
        cell = ConvLSTMCell(
            self.rank, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
            dilation_rate=dilation_rate, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed, name="conv_lstm_cell", dtype=kwargs.get("dtype"),
        )  # fmt: skip
        RNN.__init__(
            self, cell, return_sequences=return_sequences, return_state=return_state, go_backwards=go_backwards,
            stateful=stateful, activity_regularizer=activity_regularizer, **kwargs,
        )  # fmt: skip
        self.input_spec = InputSpec(ndim=self.rank + 3)

    def build(self, input_shape):
        check_input(self.input_spec, input_shape, self, 0)  # the rank, before the cell reads the shape
        self.cell._maybe_build((input_shape[0], *input_shape[2:]))  # one step: (batch, *spatial, C)
        self.input_spec = InputSpec(ndim=self.rank + 3, axes={-1: input_shape[-1]})

    def _state_shapes(self, batch: int) -> list[tuple]:
        return [(batch, *self.cell.spatial, self.cell.filters)] * 2

    def _step_output_shape(self, batch: int) -> tuple:
        return self._state_shapes(batch)[0]

    def compute_output_shape(self, input_shape):
        n, t, *spatial, _ = input_shape
        state = (n, *self.cell.output_spatial(spatial), self.cell.filters)
        out = (n, t, *state[1:]) if self.return_sequences else state
        return [out, state, state] if self.return_state else out

    def get_config(self):
        return {**super().get_config(), "activity_regularizer": regularizers.serialize(self.activity_regularizer)}


@registry.register("ConvLSTM1D")
class ConvLSTM1D(_ConvLSTM):
    """Convolutional LSTM over sequences of 1-D feature maps: (batch, time, length, channels).

    >>> ConvLSTM1D(4, 3, padding="same")(np.ones((2, 5, 6, 3), "float32")).shape
    (2, 6, 4)
    """

    rank = 1


@registry.register("ConvLSTM2D")
class ConvLSTM2D(_ConvLSTM):
    """Convolutional LSTM over sequences of images: (batch, time, height, width, channels), e.g.
    next-frame prediction as in keras.io's video example.

    >>> ConvLSTM2D(4, 3, return_sequences=True)(np.ones((2, 5, 6, 6, 1), "float32")).shape
    (2, 5, 4, 4, 4)
    """

    rank = 2
