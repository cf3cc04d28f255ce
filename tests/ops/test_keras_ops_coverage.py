"""Every name of Keras 3's `keras.ops` that applies to dense float/int tensors exists in
neuronio.ops; the others are listed below with the reason they are out of scope.

The names come from the installed Keras when there is one (so a newer Keras's additions show
up as failures to decide on), and from the frozen list of Keras 3.15.1 otherwise."""

import importlib.util
import os

import pytest

import neuronio.ops as ops

KERAS_3_15_OPS = """
abs absolute adaptive_average_pool adaptive_max_pool add all allclose amax amin angle any append
arange arccos arccosh arcsin arcsinh arctan arctan2 arctanh argmax argmin argpartition argsort array
array_split associative_scan average average_pool bartlett batch_normalization binary_crossentropy
bincount bitwise_and bitwise_invert bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift
bitwise_xor blackman broadcast_to cast categorical_crossentropy cbrt cdist ceil celu cholesky
cholesky_inverse clip concatenate cond conj conjugate conv conv_transpose convert_to_numpy
convert_to_tensor copy corrcoef correlate cos cosh count_nonzero cross ctc_decode ctc_loss cumprod
cumsum custom_gradient deg2rad depth_to_space depthwise_conv det diag diagflat diagonal diff
digitize divide divide_no_nan dot dot_product_attention dsplit dstack dtype eig eigh einsum elu
empty empty_like equal erf erfc erfinv exp exp2 expand_dims expm1 extract_sequences eye fabs fft
fft2 flip fliplr flipud floor floor_divide fmax fmin fmod fold fori_loop full full_like gcd gelu
geomspace get_item glu greater greater_equal hamming hanning hard_shrink hard_sigmoid hard_silu
hard_swish hard_tanh heaviside histogram hsplit hstack hypot i0 identity ifft2 imag image in_top_k
inner inv irfft is_tensor isclose isfinite isin isinf isnan isneginf isposinf isreal istft jvp
kaiser kron layer_normalization lcm ldexp leaky_relu left_shift less less_equal linalg linspace log
log10 log1p log2 log_sigmoid log_softmax logaddexp logaddexp2 logdet logical_and logical_not
logical_or logical_xor logspace logsumexp lstsq lu_factor map matmul matrix_rank max max_pool
maximum mean median meshgrid min minimum mod moments moveaxis multi_hot multiply nan_to_num
nanargmax nanargmin nancumprod nancumsum nanmax nanmean nanmedian nanmin nanpercentile nanprod
nanquantile nanstd nansum nanvar ndim negative nextafter nn nonzero norm normalize not_equal numpy
one_hot ones ones_like outer pad percentile pinv polar power prod psnr ptp qr quantile rad2deg ravel
real rearrange reciprocal relu relu6 repeat reshape rfft right_shift rms_normalization roll rot90
round rsqrt saturate_cast scan scatter scatter_update searchsorted segment_max segment_min
segment_prod segment_sum select selu separable_conv shape sigmoid sign signbit silu sin sinc sinh
size slice slice_update slogdet soft_shrink softmax softplus softsign solve solve_triangular sort
space_to_depth sparse_categorical_crossentropy sparse_plus sparse_sigmoid sparsemax split sqrt
square squareplus squeeze stack std stft stop_gradient subtract sum svd swapaxes swish switch take
take_along_axis tan tanh tanh_shrink tensordot threshold tile top_k trace transpose trapezoid tri
tril triu true_divide trunc unfold unique unravel_index unstack vander var vdot vectorize
vectorized_map view view_as_complex view_as_real vsplit vstack where while_loop zeros zeros_like
""".split()

_COMPLEX = "neuronio has no complex dtype: Fourier transforms and complex views produce complex tensors"
OUT_OF_SCOPE = {
    **dict.fromkeys(
        ["fft", "fft2", "ifft2", "rfft", "irfft", "stft", "istft", "polar", "view_as_complex", "view_as_real"], _COMPLEX
    ),
    "eig": "eigenvalues of a general real matrix are complex, and neuronio has no complex dtype (eigh covers "
    "symmetric matrices)",
    "image": "a sub-namespace (resize, affine_transform, ...); neuronio's image layers carry their own math",
    "linalg": "a sub-namespace; its dense functions (det, inv, solve, norm, ...) are in neuronio.ops itself",
    "numpy": "a sub-namespace; its functions are in neuronio.ops itself",
}


def _keras_names() -> list[str]:
    if importlib.util.find_spec("keras") is None:
        return KERAS_3_15_OPS
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except Exception:  # a broken optional install must not hide the frozen check
        return KERAS_3_15_OPS
    return sorted(n for n in dir(keras.ops) if not n.startswith("_"))


@pytest.mark.keras
def test_every_in_scope_keras_op_exists_in_neuronio():
    missing = [n for n in _keras_names() if n not in OUT_OF_SCOPE and not hasattr(ops, n)]
    assert missing == [], (
        f"keras.ops names neuronio lacks (implement, or list in OUT_OF_SCOPE with the reason): {missing}"
    )


def test_the_frozen_list_is_covered_too():
    missing = [n for n in KERAS_3_15_OPS if n not in OUT_OF_SCOPE and not hasattr(ops, n)]
    assert missing == []


def test_out_of_scope_names_are_really_absent_and_keras_names():
    # A name implemented later must leave the list; a name Keras dropped must not linger in it.
    # neuronio.ops.linalg exists, but as the module of matmul/dot, not Keras's namespace.
    assert [n for n in OUT_OF_SCOPE if hasattr(ops, n) and n != "linalg"] == []
    assert set(OUT_OF_SCOPE) <= set(KERAS_3_15_OPS)


def test_ops_nn_is_a_namespace_as_in_keras():
    for name in ("relu", "softmax", "conv", "max_pool", "one_hot", "moments", "sparse_categorical_crossentropy"):
        assert callable(getattr(ops.nn, name))
