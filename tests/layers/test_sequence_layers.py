"""The 1-D and sequence layers through check_layer (shapes, weights, symbolic call, config round
trip, float64 gradient checks of the input and every weight), plus what each one computes."""

import numpy as np
import pytest

from neuronio import layers, models
from neuronio.autodiff import check_gradients
from neuronio.errors import ShapeError
from tests.helpers import check_layer, float64_scope
from tests.layers.test_layers import _away_from_zero


def _distinct(rng, shape):
    """Distinct values far apart compared with the gradient check's step: max pooling has no ties."""
    size = int(np.prod(shape))
    return rng.permutation(size).reshape(shape) * (4.0 / size) - 2.0


CASES = [
    # (class, kwargs, input shape, output shape, n trainable, n non-trainable, weight names, sampler)
    (layers.Conv1D, {"filters": 3, "kernel_size": 3}, (2, 7, 2), (2, 5, 3), 2, 0, ("kernel", "bias"), None),
    (
        layers.Conv1D,
        {"filters": 2, "kernel_size": 2, "padding": "causal", "dilation_rate": 2},
        (2, 6, 2),
        (2, 6, 2),
        2,
        0,
        None,
        None,
    ),
    (
        layers.Conv1D,
        {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "tanh"},
        (2, 7, 3),
        (2, 4, 2),
        2,
        0,
        None,
        None,
    ),
    (
        layers.Conv1D,
        {"filters": 4, "kernel_size": 2, "groups": 2, "use_bias": False},
        (2, 5, 4),
        (2, 4, 4),
        1,
        0,
        ("kernel",),
        None,
    ),
    # Dilation reaches Conv2D through the same window arithmetic.
    (
        layers.Conv2D,
        {"filters": 2, "kernel_size": 2, "dilation_rate": (2, 1)},
        (2, 5, 4, 2),
        (2, 3, 3, 2),
        2,
        0,
        None,
        None,
    ),
    (
        layers.Conv2D,
        {"filters": 2, "kernel_size": 3, "dilation_rate": 2, "padding": "same"},
        (1, 5, 6, 2),
        (1, 5, 6, 2),
        2,
        0,
        None,
        None,
    ),
    (layers.MaxPooling1D, {}, (2, 7, 3), (2, 3, 3), 0, 0, (), _distinct),
    (layers.MaxPooling1D, {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 7, 2), (2, 4, 2), 0, 0, (), _distinct),
    (layers.AveragePooling1D, {"pool_size": 2, "padding": "same"}, (2, 5, 3), (2, 3, 3), 0, 0, (), None),
    (layers.GlobalAveragePooling1D, {}, (2, 5, 3), (2, 3), 0, 0, (), None),
    (layers.GlobalMaxPooling1D, {"keepdims": True}, (2, 5, 3), (2, 1, 3), 0, 0, (), _distinct),
    (layers.UpSampling1D, {"size": 3}, (2, 4, 2), (2, 12, 2), 0, 0, (), None),
    (layers.ZeroPadding1D, {"padding": (1, 2)}, (2, 4, 2), (2, 7, 2), 0, 0, (), None),
    (layers.Cropping1D, {"cropping": (2, 1)}, (2, 6, 2), (2, 3, 2), 0, 0, (), None),
    (layers.RepeatVector, {"n": 3}, (2, 4), (2, 3, 4), 0, 0, (), None),
    (layers.Permute, {"dims": (2, 1)}, (2, 4, 3), (2, 3, 4), 0, 0, (), None),
    (layers.Permute, {"dims": (3, 1, 2)}, (2, 2, 3, 4), (2, 4, 2, 3), 0, 0, (), None),
    (
        layers.TimeDistributed,
        {"layer": layers.Dense(3, activation="tanh")},
        (2, 4, 5),
        (2, 4, 3),
        2,
        0,
        ("kernel", "bias"),
        None,
    ),
    (layers.TimeDistributed, {"layer": layers.Conv1D(2, 2)}, (2, 3, 5, 2), (2, 3, 4, 2), 2, 0, None, None),
]


def _kwargs(kwargs):
    """A fresh wrapped layer for every construction (check_layer builds the class several times),
    of the dtype in force where it is built (float64 in the gradient checks)."""
    return {k: (_copy(v) if isinstance(v, layers.Layer) else v) for k, v in kwargs.items()}


def _copy(layer):
    config = {k: v for k, v in layer.get_config().items() if k not in ("dtype", "name")}
    return type(layer).from_config(config)


class _Fresh:
    """Wraps a layer class so that each call gets its own copy of a wrapped layer argument."""

    def __init__(self, cls):
        self.cls = cls
        self.__name__ = cls.__name__

    def __call__(self, **kwargs):
        return self.cls(**_kwargs(kwargs))

    def from_config(self, config):
        return self.cls.from_config(config)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0].__name__}-{sorted(c[1])}")
def test_layer(case):
    cls, kwargs, in_shape, out_shape, n_train, n_frozen, names, sampler = case
    check_layer(
        _Fresh(cls) if cls is layers.TimeDistributed else cls,
        kwargs,
        in_shape,
        out_shape,
        n_train,
        n_frozen,
        names,
        input_sampler=sampler or _away_from_zero,
    )


def test_conv1d_groups_convolve_each_channel_group_with_its_own_filters():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 4)).astype(np.float32)
    grouped = layers.Conv1D(4, 3, groups=2, use_bias=False)
    grouped(x)
    assert grouped.kernel.shape == (3, 2, 4)
    kernel = grouped.kernel.numpy()
    for g in range(2):
        alone = layers.Conv1D(2, 3, use_bias=False)
        alone(x[..., 2 * g : 2 * g + 2])
        alone.set_weights([kernel[..., 2 * g : 2 * g + 2]])
        np.testing.assert_allclose(
            grouped(x).numpy()[..., 2 * g : 2 * g + 2], alone(x[..., 2 * g : 2 * g + 2]).numpy(), rtol=1e-6
        )


def test_global_average_pooling_1d_averages_the_unmasked_steps_only():
    x = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
    mask = np.array([[True, True, False], [True, False, False]])
    y = layers.GlobalAveragePooling1D()(x, mask=mask).numpy()
    np.testing.assert_allclose(y, [[1.0, 2.0], [6.0, 7.0]])
    np.testing.assert_allclose(layers.GlobalAveragePooling1D()(x).numpy(), x.mean(axis=1))
    with float64_scope():
        layer = layers.GlobalAveragePooling1D(keepdims=True)
        check_gradients(lambda t: layer(t, mask=mask), [x.astype(np.float64)])
        assert layer(x.astype(np.float64), mask=mask).shape == (2, 1, 2)


def test_time_distributed_shares_one_set_of_weights_over_the_steps():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    dense = layers.Dense(4)
    wrapped = layers.TimeDistributed(dense)
    y = wrapped(x).numpy()
    assert wrapped.count_params() == 3 * 4 + 4 and len(wrapped.weights) == 2
    for t in range(5):
        np.testing.assert_allclose(y[:, t], dense(x[:, t]).numpy(), rtol=1e-6)


def test_upsampling_repeats_each_step_in_place_and_repeat_vector_copies_the_vector():
    x = np.array([[[1.0], [2.0]]], np.float32)
    np.testing.assert_array_equal(layers.UpSampling1D(2)(x).numpy()[0, :, 0], [1, 1, 2, 2])
    np.testing.assert_array_equal(
        layers.RepeatVector(2)(np.array([[1.0, 2.0]], np.float32)).numpy(), [[[1, 2], [1, 2]]]
    )


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"`strides > 1` not supported in conjunction with `dilation_rate > 1`"):
        layers.Conv1D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(
        ValueError, match=r"Conv2D 'c': `strides > 1` not supported in conjunction with `dilation_rate > 1`"
    ):
        layers.Conv2D(2, 3, strides=(1, 2), dilation_rate=(2, 1), name="c")
    with pytest.raises(
        ValueError, match=r"only data_format='channels_last' \(NLC\).*Transpose NCL data with x.transpose\(0, 2, 1\)"
    ):
        layers.MaxPooling1D(data_format="channels_first")
    with pytest.raises(ValueError, match=r"`padding` must be 'valid', 'same', 'causal'; received padding='full'"):
        layers.Conv1D(2, 3, padding="full")
    with pytest.raises(ValueError, match=r"`padding` must be 'valid' or 'same'; received padding='causal'"):
        layers.MaxPooling1D(padding="causal")
    with pytest.raises(ValueError, match=r"`filters` must be divisible by `groups`; received filters=3, groups=2"):
        layers.Conv1D(3, 3, groups=2)
    with pytest.raises(ValueError, match=r"`dims` must be a permutation of 1, 2, \.\.\., rank - 1.*dims=\(0, 1\)"):
        layers.Permute((0, 1))
    with pytest.raises(ValueError, match=r"`cropping` must be a non-negative int or a pair"):
        layers.Cropping1D((1, -1))
    with pytest.raises(ValueError, match=r"cropping=\(2, 2\) removes all 4 steps"):
        layers.Cropping1D(2)(np.ones((1, 4, 1), np.float32))
    with pytest.raises(TypeError, match=r"`layer` must be a Layer instance; received int"):
        layers.TimeDistributed(3)


def test_a_kernel_longer_than_the_sequence_is_refused_with_the_layer_named():
    with pytest.raises(ShapeError, match=r"Layer 'conv1d' \(Conv1D\): a kernel spanning 7 steps does not fit"):
        models.Sequential([layers.Input((5, 2)), layers.Conv1D(2, 4, dilation_rate=2, name="conv1d")])
    with pytest.raises(ShapeError, match=r"'max_pooling1d' \(MaxPooling1D\): a pool of 3 steps does not fit"):
        models.Sequential([layers.Input((2, 2)), layers.MaxPooling1D(3, name="max_pooling1d")])
    with pytest.raises(ShapeError, match=r"expected rank 3.*received shape \(2, 5\)"):
        layers.Conv1D(2, 3)(np.ones((2, 5), np.float32))


def test_plot_model_draws_each_sequence_layer_with_its_shapes_and_params(tmp_path):
    pytest.importorskip("matplotlib")
    from neuronio.utils import plot_model

    model = models.Sequential(
        [
            layers.Input((12, 2)),
            layers.Conv1D(4, 3, padding="causal", name="conv"),
            layers.MaxPooling1D(name="pool"),
            layers.TimeDistributed(layers.Dense(3), name="per_step"),
            layers.GlobalAveragePooling1D(name="mean"),
        ]
    )
    fig = plot_model(model, tmp_path / "m.png", show_shapes=True, show_param_counts=True, show_layer_names=True)
    texts = {t.get_gid(): t.get_text() for t in fig.axes[0].texts if t.get_gid()}
    assert texts["header:per_step"] == "per_step (TimeDistributed)"
    assert texts["body:conv"] == "Input shape: (None, 12, 2)\nOutput shape: (None, 12, 4)\nParams: 28"
    assert texts["body:per_step"] == "Input shape: (None, 6, 4)\nOutput shape: (None, 6, 3)\nParams: 15"
    assert texts["body:mean"] == "Input shape: (None, 6, 3)\nOutput shape: (None, 3)\nParams: 0"
    assert (tmp_path / "m.png").read_bytes()[:4] == b"\x89PNG"
