"""Process-wide settings: float type, epsilon, data format, home folder, the seeded generator, the
kernel implementations and the process settings (threads, allocator).

These are the only globals in neuronio (STYLE C12). Everything else receives what it needs as an
argument or reads it from here.
"""

import contextlib
import ctypes
import os
import pathlib
import re
import sys
import threading

# Thread pools' wait policies: read by OpenBLAS when NumPy loads it and by GNU OpenMP (oneDNN's pool)
# when it loads, so they are set here, before `import numpy`, if nobody set them (see
# `process_settings`). A value already in the environment always wins.
_THREAD_ENV_DEFAULTS = {
    # GNU OpenMP's workers sleep as soon as a parallel region ends instead of spinning ~300 us.
    "OMP_WAIT_POLICY": "PASSIVE",
    # OpenBLAS's workers spin 2^4 cycles after a GEMM, not the default 2^28 (~0.1 s), before sleeping.
    "OPENBLAS_THREAD_TIMEOUT": "4",
}
_THREAD_ENV_BEFORE_NUMPY = "numpy" not in sys.modules  # False: OpenBLAS already read its environment
if os.environ.get("NEURONIO_THREAD_SETTINGS", "1") != "0":
    for _name, _value in _THREAD_ENV_DEFAULTS.items():
        os.environ.setdefault(_name, _value)

import numpy as np  # noqa: E402  (after the thread settings above, on purpose)

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_CHECK_NUMERICS = False
_KERNEL_NAMES = ("numpy", "numba", "onednn")
_KERNELS: tuple[str, ...] | None = None  # the priority list; None until first read (env, then default)
_RNG = np.random.default_rng()
_NAME_COUNTS: dict[str, int] = {}
_LOCK = threading.Lock()
_SAFE_MODE = True  # False after enable_unsafe_deserialization(), or inside safe_mode_scope(False)
_ALLOCATOR_TUNED: bool | None = None  # None until tune_allocator has run; then its outcome

_VALID_FLOATX = ("float16", "float32", "float64")


def floatx() -> str:
    """The default float type of weights and converted inputs: 'float32'."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float type ('float16', 'float32' or 'float64')."""
    global _FLOATX
    if value not in _VALID_FLOATX:
        raise ValueError(f"Unknown floatx {value!r}. Valid values: {', '.join(_VALID_FLOATX)}.")
    _FLOATX = value


@contextlib.contextmanager
def floatx_scope(value: str):
    """Temporarily use another float type; gradient checks run in 'float64' this way."""
    previous = _FLOATX
    set_floatx(value)
    try:
        yield
    finally:
        set_floatx(previous)


def epsilon() -> float:
    """The fuzz factor Keras uses in losses and optimizers: 1e-7."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    global _EPSILON
    _EPSILON = float(value)


def image_data_format() -> str:
    """Always 'channels_last' (NHWC), the only layout neuronio implements."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    """Accept 'channels_last'; refuse 'channels_first' loudly (neuronio's layers are NHWC only)."""
    if data_format != "channels_last":
        raise ValueError(
            f"neuronio implements data_format='channels_last' only; received {data_format!r}. Keep images as "
            f"(batch, height, width, channels), e.g. x.transpose(0, 2, 3, 1) for NCHW arrays."
        )


def backend() -> str:
    """'numpy': neuronio computes on NumPy arrays, eagerly, as Keras's numpy backend does.

    Programs that branch on the backend name test for 'tensorflow', 'jax' or 'torch' before
    using that framework's own API; neuronio offers none of those, and Keras's numpy backend is
    the one whose tensors and behaviour neuronio's resemble.
    """
    return "numpy"


def set_backend(backend: str) -> None:
    """Keras switches engines here; neuronio has one, so only 'numpy' is accepted."""
    if backend != "numpy":
        raise ValueError(
            f"neuronio computes with NumPy only (backend 'numpy'); received backend={backend!r}. "
            f"To run on {backend}, import keras itself instead of neuronio."
        )


# -- switches Keras programs set: flags, read by the parts of neuronio they concern ---------------
_FLAGS = {
    "traceback_filtering": True,  # neuronio does not rewrite tracebacks; the flag is kept for Keras code
    "interactive_logging": True,
    "flash_attention": None,
}
_MAX_EPOCHS: int | None = None
_MAX_STEPS_PER_EPOCH: int | None = None


def disable_traceback_filtering() -> None:
    _FLAGS["traceback_filtering"] = False


def enable_traceback_filtering() -> None:
    _FLAGS["traceback_filtering"] = True


def is_traceback_filtering_enabled() -> bool:
    """Keras hides its own frames in tracebacks; neuronio never does, whatever this says."""
    return _FLAGS["traceback_filtering"]


def enable_interactive_logging() -> None:
    _FLAGS["interactive_logging"] = True


def disable_interactive_logging() -> None:
    _FLAGS["interactive_logging"] = False


def is_interactive_logging_enabled() -> bool:
    return _FLAGS["interactive_logging"]


def enable_flash_attention() -> None:
    _FLAGS["flash_attention"] = True


def disable_flash_attention() -> None:
    _FLAGS["flash_attention"] = False


def is_flash_attention_enabled():
    """None (Keras's 'decide automatically'); neuronio's attention is plain einsum either way."""
    return _FLAGS["flash_attention"]


def is_nnx_enabled() -> bool:
    """Flax NNX is a JAX feature; never enabled in neuronio."""
    return False


def max_epochs() -> int | None:
    return _MAX_EPOCHS


def set_max_epochs(max_epochs: int | None) -> None:
    """Cap the epochs fit runs (Keras's debugging switch); None removes the cap."""
    global _MAX_EPOCHS
    _MAX_EPOCHS = None if max_epochs is None else int(max_epochs)


def max_steps_per_epoch() -> int | None:
    return _MAX_STEPS_PER_EPOCH


def set_max_steps_per_epoch(max_steps_per_epoch: int | None) -> None:
    """Cap the batches per epoch fit runs; None removes the cap."""
    global _MAX_STEPS_PER_EPOCH
    _MAX_STEPS_PER_EPOCH = None if max_steps_per_epoch is None else int(max_steps_per_epoch)


def dtype_policy() -> str:
    """The global dtype policy's name: floatx, as neuronio has no mixed precision."""
    return _FLOATX


def set_dtype_policy(policy) -> None:
    """'float32' or 'float64' (sets floatx); mixed policies are refused, with the reason."""
    name = policy if isinstance(policy, str) else getattr(policy, "name", str(policy))
    if name.startswith("mixed_"):
        raise ValueError(
            f"neuronio has no mixed precision; received dtype policy {name!r}. Use 'float32' (the default): "
            f"on a CPU, float16 compute is slower, not faster."
        )
    set_floatx(name)


def check_numerics() -> bool:
    """Whether every op scans its inputs for NaN/inf (a debug switch; off by default for speed)."""
    return _CHECK_NUMERICS


def set_check_numerics(enabled: bool) -> None:
    """Turn the per-op NaN/inf scan on or off.

    Values entering the engine from outside (arrays converted by `as_tensor`) are always
    scanned; this switch adds the scan to every op's inputs, to find where a NaN first appears.
    """
    global _CHECK_NUMERICS
    _CHECK_NUMERICS = bool(enabled)


def kernels() -> tuple[str, ...]:
    """The kernel implementations ops may use, in priority order, e.g. ('onednn', 'numba', 'numpy').

    Each op takes the first implementation in this list that registered a replacement for it and
    handles the input's dtype and is installed, else NumPy's reference (neuronio/ops/_kernels.py).
    Read once from NEURONIO_KERNELS (a comma-separated list of numpy, numba, onednn) or, without
    it, ('onednn', 'numba', 'numpy'); NEURONIO_COMPILED_KERNELS=0 (the older switch) means ('numpy',).
    """
    global _KERNELS
    if _KERNELS is None:
        text = os.environ.get("NEURONIO_KERNELS", "")
        if text.strip():
            _KERNELS = _check_kernels(text.split(","), "the environment variable NEURONIO_KERNELS")
        elif os.environ.get("NEURONIO_COMPILED_KERNELS", "1") == "0":
            _KERNELS = ("numpy",)
        else:
            _KERNELS = ("onednn", "numba", "numpy")
    return _KERNELS


def set_kernels(names) -> None:
    """Choose the kernel implementations, in priority order: "numba", ["onednn", "numba"], "numpy".

    NumPy's reference is always the last resort, so ("numba",) means numba where it has a kernel
    and NumPy elsewhere. Takes effect for the ops run after the call (the seam keys its choices by
    this list).
    """
    global _KERNELS
    _KERNELS = _check_kernels([names] if isinstance(names, str) else list(names), "set_kernels")


def _check_kernels(names: list, who: str) -> tuple[str, ...]:
    cleaned = [str(name).strip().lower() for name in names if str(name).strip()]
    unknown = [name for name in cleaned if name not in _KERNEL_NAMES]
    if unknown or not cleaned:
        raise ValueError(
            f"{who}: unknown kernel implementation(s) {unknown or names!r}; expected a list of "
            f"{', '.join(_KERNEL_NAMES)} in priority order, e.g. 'onednn,numba' or 'numpy'."
        )
    if "numpy" not in cleaned:
        cleaned.append("numpy")
    return tuple(dict.fromkeys(cleaned))


def compiled_kernels() -> bool:
    """Whether ops may use compiled kernels (any implementation besides NumPy's reference)."""
    return kernels() != ("numpy",)


def set_compiled_kernels(enabled: bool) -> None:
    """The older switch: True means the default priority list, False NumPy only (set_kernels)."""
    set_kernels(("onednn", "numba", "numpy") if enabled else ("numpy",))


def rng() -> np.random.Generator:
    """The one generator that initializers, dropout and shuffling draw from."""
    return _RNG


def set_random_seed(seed: int) -> None:
    """Reseed the generator, so that runs repeat exactly."""
    global _RNG
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"The seed must be a non-negative int; received seed={seed!r}.")
    _RNG = np.random.default_rng(int(seed))


def enable_unsafe_deserialization() -> None:
    """Allow loading code stored in files (a Lambda layer's Python lambda), as Keras's function does.

    Only for files you trust: such code runs with your permissions when the model is loaded or called.
    """
    global _SAFE_MODE
    _SAFE_MODE = False


def in_safe_mode() -> bool:
    """Whether loading refuses code stored in files (the default)."""
    return _SAFE_MODE


@contextlib.contextmanager
def safe_mode_scope(safe_mode: bool):
    """Within the block, load as `load_model(..., safe_mode=...)` asks; enable_unsafe_deserialization() wins."""
    global _SAFE_MODE
    previous = _SAFE_MODE
    _SAFE_MODE = bool(safe_mode) and previous
    try:
        yield
    finally:
        _SAFE_MODE = previous


def neuronio_home() -> pathlib.Path:
    """The data folder: $NEURONIO_HOME, or ~/.neuronio."""
    return pathlib.Path(os.environ.get("NEURONIO_HOME", "~/.neuronio")).expanduser()


def unique_name(prefix: str) -> str:
    """'dense', then 'dense_1', 'dense_2', ... as Keras names layers in a session."""
    with _LOCK:
        count = _NAME_COUNTS.get(prefix, 0)
        _NAME_COUNTS[prefix] = count + 1
    return prefix if count == 0 else f"{prefix}_{count}"


def clear_session(free_memory: bool = True) -> None:
    """Forget the generated names, as `keras.backend.clear_session()` does."""
    with _LOCK:
        _NAME_COUNTS.clear()
        _UIDS.clear()


_UIDS: dict[str, int] = {}


def get_uid(prefix: str = "") -> int:
    """1, 2, 3, ... per prefix within a session (Keras's backend.get_uid)."""
    with _LOCK:
        _UIDS[prefix] = _UIDS.get(prefix, 0) + 1
        return _UIDS[prefix]


def snake_case(name: str) -> str:
    """'BatchNormalization' -> 'batch_normalization', 'Conv2D' -> 'conv2d' (Keras's rule)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


# -- process settings: the side effects on the whole process, applied in one place ------------------
NUMBA_THREADING_LAYER = "workqueue"


def process_settings() -> dict:
    """What neuronio sets for the whole process, all decided in this module, each applied where it
    must be: the environment defaults when neuronio is imported, the threading layer when the numba
    kernels build (`numba_threading_layer`), the allocator by fit, evaluate and predict.

    - OMP_WAIT_POLICY=PASSIVE and OPENBLAS_THREAD_TIMEOUT=4 (environment defaults set when neuronio
      is imported; a value already in the environment wins; NEURONIO_THREAD_SETTINGS=0 sets
      neither): three thread pools share the cores (OpenBLAS's for the GEMMs, numba's for the
      compiled loops, GNU OpenMP's for oneDNN), and a pool that spins after its work steals the
      cores from the next one. OPENBLAS_THREAD_TIMEOUT takes effect only when neuronio is imported
      before NumPy (OpenBLAS reads it when NumPy loads it); `neuronio info` says whether it did.
    - numba's threading layer 'workqueue' (unless NUMBA_THREADING_LAYER is set): its workers sleep
      between kernels; numba's OpenMP layer spun against the GEMMs (a seed-CNN step took 106 ms
      with it against 41 ms without).
    - glibc's malloc keeps 128 MiB of freed memory at the top of its heap (`tune_allocator`, run by
      fit, evaluate and predict; off with NEURONIO_MALLOC_TUNING=0).

    tests/test_config.py checks that each library read its setting (asking OpenBLAS, GNU OpenMP and
    numba themselves), in a fresh interpreter each time since they read them once, when they load.
    """
    return {
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "(unset)"),
        "OPENBLAS_THREAD_TIMEOUT": os.environ.get("OPENBLAS_THREAD_TIMEOUT", "(unset)")
        + ("" if _THREAD_ENV_BEFORE_NUMPY else " (NumPy was imported first: OpenBLAS did not read it)"),
        "NUMBA_THREADING_LAYER": os.environ.get("NUMBA_THREADING_LAYER", NUMBA_THREADING_LAYER),
        "malloc top pad": "128 MiB"
        if _ALLOCATOR_TUNED
        else ("off" if _ALLOCATOR_TUNED is False else "128 MiB once fit, evaluate or predict runs"),
    }


def numba_threading_layer() -> str | None:
    """The threading layer numba is to use: None when NUMBA_THREADING_LAYER says (numba reads it)."""
    return None if "NUMBA_THREADING_LAYER" in os.environ else NUMBA_THREADING_LAYER


def tune_allocator() -> bool:
    """Ask glibc's malloc to keep 128 MiB of freed memory at the top of its heap (M_TOP_PAD).

    A training step allocates and frees the same arrays every time (activations, im2col matrices,
    gradients). By default glibc returns freed heap memory to the system at once and takes it back
    on the next step, paying page faults and the kernel's zeroing each time; keeping a pad cut a
    seed-CNN training step from 69 to 48 ms here (best of 5 rounds on an idle machine; see
    benchmarks/RESULTS.md for the epoch figures). Part of the process settings (`process_settings`):
    called by fit, evaluate and predict; runs once; a no-op outside glibc, or with NEURONIO_MALLOC_TUNING=0. The cost is
    up to 128 MiB of freed memory kept by the process.
    """
    global _ALLOCATOR_TUNED
    if _ALLOCATOR_TUNED is None:
        _ALLOCATOR_TUNED = _set_malloc_top_pad(128 << 20)
    return _ALLOCATOR_TUNED


def _set_malloc_top_pad(n_bytes: int) -> bool:
    if os.environ.get("NEURONIO_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_top_pad = -2  # glibc's <malloc.h> constant
    return bool(libc.mallopt(m_top_pad, n_bytes))


# The public settings; the rest (rng, unique_name, process_settings, ...) serve neuronio's own modules.
__all__ = [
    "backend",
    "check_numerics",
    "clear_session",
    "compiled_kernels",
    "disable_flash_attention",
    "disable_interactive_logging",
    "disable_traceback_filtering",
    "dtype_policy",
    "enable_flash_attention",
    "enable_interactive_logging",
    "enable_traceback_filtering",
    "enable_unsafe_deserialization",
    "epsilon",
    "floatx",
    "image_data_format",
    "in_safe_mode",
    "is_flash_attention_enabled",
    "is_interactive_logging_enabled",
    "is_nnx_enabled",
    "is_traceback_filtering_enabled",
    "kernels",
    "max_epochs",
    "max_steps_per_epoch",
    "neuronio_home",
    "set_backend",
    "set_check_numerics",
    "set_compiled_kernels",
    "set_dtype_policy",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "set_kernels",
    "set_max_epochs",
    "set_max_steps_per_epoch",
    "set_random_seed",
]
