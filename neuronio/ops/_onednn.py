"""oneDNN's convolutions behind the kernel seam (the optional `onednn` extra), float32 only.

conv2d's forward (bias and a fused ReLU in the primitive, the ReLU as a post-op), its input gradient and its kernel gradient (the
bias's gradient fused) run oneDNN's direct convolution kernels (register-blocked JIT code for the
CPU's AVX2/AVX-512, what PyTorch runs). The kernel gradient was first kept as the reference's
im2col GEMM, measured no faster on a loaded machine; interleaved in one process, oneDNN's took
0.3-0.65x the GEMM path's time on the decks' layers, 1 and 2 threads (it reads x directly: no
padded copy, no im2col matrix, no separate bias sum). Inputs and outputs stay NHWC, the layout of
every other op; the weights are reordered each call from (KH, KW, C, F) into the blocked layout
each primitive chose, and the kernel gradient back. Primitives and their memory objects are cached
per shape; the backward ones are made on the first backward. float64 is left to the next
implementation in the priority list (oneDNN's CPU convolutions have no f64 kernels).

Summation order: oneDNN's kernels sum the KH*KW*C products of each output in their own blocked
order (the input gradient per tap block, the kernel gradient per block of the batch and image), so results differ from the reference by float32
rounding; tests/ops/test_kernels.py bounds the difference.

Why this binding and this wheel: the C API through `ctypes` needs no compiler and no extra Python
package, and oneDNN's C API is stable across 3.x. The wheel is `onednn-cpu-gomp` (oneDNN 3.2, the
CPU build with GNU OpenMP threads): the newer `onednn` wheels on PyPI are SYCL builds that found no
CPU engine here. Every handle is passed with its `argtypes` declared: a 64-bit handle passed
without them was truncated to 32 bits and crashed. The library is found through the installed
wheel's file list, or NEURONIO_ONEDNN_LIBRARY (a path to libdnnl.so.3).
"""

import ctypes
import importlib.metadata
import os
import threading

import numpy as np

from neuronio.ops import _kernels

# From oneDNN 3.x's C headers (dnnl_types.h, dnnl_common_types.h).
_SUCCESS, _CPU, _IN_ORDER, _F32 = 0, 1, 1, 3
_FORMAT_ANY = 1
_FORWARD_TRAINING, _BACKWARD_DATA, _BACKWARD_WEIGHTS = 64, 160, 192
_CONVOLUTION_DIRECT = 1
_ELTWISE_RELU = 0x20
_QUERY_IMPL_INFO_STR, _QUERY_WEIGHTS_MD, _QUERY_DIFF_WEIGHTS_MD = 8, 131, 132
_ARG_SRC, _ARG_DST, _ARG_WEIGHTS, _ARG_BIAS, _ARG_DIFF_SRC, _ARG_DIFF_DST = 1, 17, 33, 41, 129, 145
_ARG_DIFF_WEIGHTS, _ARG_DIFF_BIAS = 161, 169
_ARG_FROM, _ARG_TO = _ARG_SRC, _ARG_DST
_MAX_NDIMS = 12
_CACHE_LIMIT = 256  # primitives kept; beyond, the cache is emptied (shapes are few in training)

_Dims = ctypes.c_int64 * _MAX_NDIMS
_handle = ctypes.c_void_p
_out = ctypes.POINTER(ctypes.c_void_p)


class _ExecArg(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_int), ("memory", ctypes.c_void_p)]


def library_path() -> str:
    """The path of libdnnl.so.3: NEURONIO_ONEDNN_LIBRARY, else the one the onednn-cpu-gomp wheel installed."""
    path = os.environ.get("NEURONIO_ONEDNN_LIBRARY")
    if path:
        return path
    try:
        files = importlib.metadata.files("onednn-cpu-gomp") or []
    except importlib.metadata.PackageNotFoundError as exc:
        raise ImportError(
            "oneDNN is not installed: pip install 'neuronio[onednn]' (the onednn-cpu-gomp wheel)"
        ) from exc
    for file in files:
        if file.name.startswith("libdnnl.so"):
            return str(file.locate().resolve())
    raise ImportError("the onednn-cpu-gomp wheel is installed but holds no libdnnl.so")


# name: (argument types), every one declared (handles are 64-bit pointers)
_SIGNATURES = {
    "dnnl_engine_create": (_out, ctypes.c_int, ctypes.c_size_t),
    "dnnl_stream_create": (_out, _handle, ctypes.c_uint),
    "dnnl_memory_desc_create_with_strides": (_out, ctypes.c_int, _Dims, ctypes.c_int, _Dims),
    "dnnl_memory_desc_create_with_tag": (_out, ctypes.c_int, _Dims, ctypes.c_int, ctypes.c_int),
    "dnnl_convolution_forward_primitive_desc_create": (
        *(_out, _handle, ctypes.c_int, ctypes.c_int),
        *(_handle, _handle, _handle, _handle),  # src, weights, bias, dst
        *(_Dims, _Dims, _Dims, _Dims, _handle),  # strides, dilates, padding_l, padding_r, attr
    ),
    "dnnl_convolution_backward_data_primitive_desc_create": (
        *(_out, _handle, ctypes.c_int),
        *(_handle, _handle, _handle),  # diff_src, weights, diff_dst
        *(_Dims, _Dims, _Dims, _Dims, _handle, _handle),  # strides, dilates, padding_l, padding_r, hint, attr
    ),
    "dnnl_convolution_backward_weights_primitive_desc_create": (
        *(_out, _handle, ctypes.c_int),
        *(_handle, _handle, _handle, _handle),  # src, diff_weights, diff_bias, diff_dst
        *(_Dims, _Dims, _Dims, _Dims, _handle, _handle),  # strides, dilates, padding_l, padding_r, hint, attr
    ),
    "dnnl_reorder_primitive_desc_create": (_out, _handle, _handle, _handle, _handle, _handle),
    "dnnl_primitive_attr_create": (_out,),
    "dnnl_primitive_attr_destroy": (_handle,),
    "dnnl_post_ops_create": (_out,),
    "dnnl_post_ops_destroy": (_handle,),
    "dnnl_post_ops_append_eltwise": (_handle, ctypes.c_int, ctypes.c_float, ctypes.c_float),  # alg, alpha, beta
    "dnnl_primitive_attr_set_post_ops": (_handle, _handle),
    "dnnl_primitive_create": (_out, _handle),
    "dnnl_memory_create": (_out, _handle, _handle, ctypes.c_void_p),
    "dnnl_memory_set_data_handle": (_handle, ctypes.c_void_p),
    "dnnl_primitive_execute": (_handle, _handle, ctypes.c_int, ctypes.POINTER(_ExecArg)),
    "dnnl_stream_wait": (_handle,),
    "dnnl_primitive_destroy": (_handle,),
    "dnnl_primitive_desc_destroy": (_handle,),
    "dnnl_memory_destroy": (_handle,),
    "dnnl_memory_desc_destroy": (_handle,),
}


class _Library:
    """libdnnl opened, every function used declared, one CPU engine and one stream."""

    def __init__(self, path: str):
        self.path = path
        self.lib = ctypes.CDLL(path)
        for name, argtypes in _SIGNATURES.items():
            function = getattr(self.lib, name)
            function.argtypes, function.restype = list(argtypes), ctypes.c_int
        self.lib.dnnl_primitive_desc_query_md.argtypes = [_handle, ctypes.c_int, ctypes.c_int]
        self.lib.dnnl_primitive_desc_query_md.restype = _handle
        self.lib.dnnl_memory_desc_get_size.argtypes = [_handle]
        self.lib.dnnl_memory_desc_get_size.restype = ctypes.c_size_t
        self.lib.dnnl_primitive_desc_query.argtypes = [_handle, ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
        self.lib.dnnl_primitive_desc_query.restype = ctypes.c_int
        self.engine = self.new("dnnl_engine_create", _CPU, 0)
        self.stream = self.new("dnnl_stream_create", self.engine, _IN_ORDER)

    def call(self, name: str, *args) -> None:
        status = getattr(self.lib, name)(*args)
        if status != _SUCCESS:
            raise RuntimeError(f"oneDNN: {name} failed with status {status} ({self.path}).")

    def new(self, name: str, *args) -> int:
        """Call a creator whose first argument is the handle it creates; return the handle."""
        handle = ctypes.c_void_p()
        self.call(name, ctypes.byref(handle), *args)
        return handle.value

    def desc(self, shape, strides=None) -> int:
        """A float32 memory descriptor of logical `shape` with element `strides`, or the 'any' layout."""
        if strides is None:
            return self.new("dnnl_memory_desc_create_with_tag", len(shape), _dims(shape), _F32, _FORMAT_ANY)
        return self.new("dnnl_memory_desc_create_with_strides", len(shape), _dims(shape), _F32, _dims(strides))

    def memory(self, md) -> int:
        return self.new("dnnl_memory_create", md, self.engine, None)

    def primitive(self, pd) -> int:
        return self.new("dnnl_primitive_create", pd)

    def implementation_name(self, pd) -> str:
        """The name of the kernel oneDNN chose for a primitive descriptor, e.g. 'brg:avx512_core'."""
        name = ctypes.c_char_p()
        self.call("dnnl_primitive_desc_query", pd, _QUERY_IMPL_INFO_STR, 0, ctypes.byref(name))
        return name.value.decode()

    def execute(self, primitive, args: dict) -> None:
        array = (_ExecArg * len(args))(*[_ExecArg(key, value) for key, value in args.items()])
        self.call("dnnl_primitive_execute", primitive, self.stream, len(args), array)


def _dims(values) -> _Dims:
    return _Dims(*[int(v) for v in values])


# oneDNN describes tensors in logical order: activations (N, C, H, W), weights (O, I, KH, KW).
# These strides (in elements) say where neuronio's NHWC arrays and HWIO kernels keep them.
def _nhwc(shape):
    n, h, w, c = shape
    return (n, c, h, w), (h * w * c, 1, w * c, c)


def _hwio(shape):
    kh, kw, c, f = shape
    return (f, c, kh, kw), (1, f, kw * c * f, c * f)


class _Convolution:
    """The cached primitives of one convolution shape: forward (bias fused), and on the first
    backward the input gradient and the kernel's (with the bias's), with the reorders between the
    HWIO kernel and each primitive's own weight layout."""

    def __init__(self, dnnl: _Library, x_shape, kernel_shape, strides, pads, dilation, has_bias, activation=None):
        self.dnnl = d = dnnl
        kh, kw, c, f = kernel_shape
        n, h, w, _ = x_shape
        (top, bottom), (left, right) = pads
        oh = (h + top + bottom - (kh - 1) * dilation[0] - 1) // strides[0] + 1
        ow = (w + left + right - (kw - 1) * dilation[1] - 1) // strides[1] + 1
        self.y_shape = (n, oh, ow, f)
        self.src = d.desc(*_nhwc(x_shape))
        self.dst = d.desc(*_nhwc(self.y_shape))
        self.weights_user = d.desc(*_hwio(kernel_shape))
        self.weights_any = d.desc((f, c, kh, kw))
        self.bias = d.desc((f,), (1,)) if has_bias else None
        self.geometry = (
            _dims(strides),
            _dims((dilation[0] - 1, dilation[1] - 1)),  # oneDNN counts the gaps between taps
            _dims((top, left)),
            _dims((bottom, right)),
        )
        self.descs = [self.src, self.dst, self.weights_user, self.weights_any] + ([self.bias] if has_bias else [])
        attr = None
        if activation == "relu":  # the ReLU as the primitive's post-op: applied as each output is written
            attr, post_ops = d.new("dnnl_primitive_attr_create"), d.new("dnnl_post_ops_create")
            d.call("dnnl_post_ops_append_eltwise", post_ops, _ELTWISE_RELU, 0.0, 0.0)  # alpha 0: plain max(x, 0)
            d.call("dnnl_primitive_attr_set_post_ops", attr, post_ops)  # the attribute keeps its own copy
            d.call("dnnl_post_ops_destroy", post_ops)
        try:
            self.fwd_pd = d.new(
                "dnnl_convolution_forward_primitive_desc_create",
                *(d.engine, _FORWARD_TRAINING, _CONVOLUTION_DIRECT, self.src, self.weights_any, self.bias, self.dst),
                *(*self.geometry, attr),
            )
        finally:
            if attr is not None:
                d.call("dnnl_primitive_attr_destroy", attr)
        self.pds, self.primitives = [self.fwd_pd], []
        self.kernels = {"forward": d.implementation_name(self.fwd_pd)}
        self.forward_primitive = self._primitive(self.fwd_pd)
        self.memories = {}
        for name, md in (("src", self.src), ("dst", self.dst), ("weights_user", self.weights_user), ("bias", self.bias)):
            if md is not None:
                self.memories[name] = d.memory(md)
        # Each primitive's weights: its own layout, a reorder from (or, for the gradient, to) HWIO.
        self.weights = {"forward": self._weights(self.fwd_pd, _QUERY_WEIGHTS_MD, to_user=False)}
        self.backward_data_primitive = self.backward_weights_primitive = None

    def _primitive(self, pd):
        primitive = self.dnnl.primitive(pd)
        self.primitives.append(primitive)
        return primitive

    def _weights(self, pd, query, to_user):
        """(buffer, memory, reorder): memory in the primitive's weight layout over buffer, and the
        reorder from the HWIO memory into it, or from it into the HWIO memory if `to_user`."""
        d = self.dnnl
        md = d.lib.dnnl_primitive_desc_query_md(pd, query, 0)
        buffer = np.empty(d.lib.dnnl_memory_desc_get_size(md) // 4 + 16, np.float32)
        memory = d.new("dnnl_memory_create", md, d.engine, ctypes.c_void_p(buffer.ctypes.data))
        source, target = (md, self.weights_user) if to_user else (self.weights_user, md)
        reorder_pd = d.new("dnnl_reorder_primitive_desc_create", source, d.engine, target, d.engine, None)
        self.pds.append(reorder_pd)
        self.memories[f"weights {len(self.pds)}"] = memory
        return buffer, memory, self._primitive(reorder_pd)

    def _backward_primitives(self):
        """Created on the first backward (inference never needs them)."""
        d = self.dnnl
        if self.backward_data_primitive is not None:
            return
        data_pd = d.new(
            "dnnl_convolution_backward_data_primitive_desc_create",
            *(d.engine, _CONVOLUTION_DIRECT, self.src, self.weights_any, self.dst, *self.geometry, self.fwd_pd, None),
        )
        self.pds.append(data_pd)
        weights_pd = d.new(
            "dnnl_convolution_backward_weights_primitive_desc_create",
            *(d.engine, _CONVOLUTION_DIRECT, self.src, self.weights_any, self.bias, self.dst),
            *(*self.geometry, self.fwd_pd, None),
        )
        self.pds.append(weights_pd)
        self.kernels["backward data"] = d.implementation_name(data_pd)
        self.kernels["backward weights"] = d.implementation_name(weights_pd)
        self.weights["backward"] = self._weights(data_pd, _QUERY_WEIGHTS_MD, to_user=False)
        self.weights["gradient"] = self._weights(weights_pd, _QUERY_DIFF_WEIGHTS_MD, to_user=True)
        self.backward_data_primitive = self._primitive(data_pd)
        self.backward_weights_primitive = self._primitive(weights_pd)

    def _set(self, name, array):
        self.dnnl.call("dnnl_memory_set_data_handle", self.memories[name], ctypes.c_void_p(array.ctypes.data))

    def _reorder_weights(self, which, kernel):
        _, memory, reorder = self.weights[which]
        self._set("weights_user", kernel)
        self.dnnl.execute(reorder, {_ARG_FROM: self.memories["weights_user"], _ARG_TO: memory})
        return memory

    def forward(self, x, kernel, bias):
        y = np.empty(self.y_shape, np.float32)
        weights = self._reorder_weights("forward", kernel)
        self._set("src", x)
        self._set("dst", y)
        args = {_ARG_SRC: self.memories["src"], _ARG_WEIGHTS: weights, _ARG_DST: self.memories["dst"]}
        if bias is not None:
            self._set("bias", bias)
            args[_ARG_BIAS] = self.memories["bias"]
        self.dnnl.execute(self.forward_primitive, args)
        self.dnnl.call("dnnl_stream_wait", self.dnnl.stream)
        return y

    def input_gradient(self, dy, kernel, x_shape):
        self._backward_primitives()
        dx = np.empty(x_shape, np.float32)
        weights = self._reorder_weights("backward", kernel)
        self._set("dst", dy)  # dy has y's shape and NHWC layout: the same descriptor
        self._set("src", dx)
        args = {_ARG_DIFF_DST: self.memories["dst"], _ARG_WEIGHTS: weights, _ARG_DIFF_SRC: self.memories["src"]}
        self.dnnl.execute(self.backward_data_primitive, args)
        self.dnnl.call("dnnl_stream_wait", self.dnnl.stream)
        return dx

    def kernel_gradients(self, x, dy, kernel_shape):
        """(dkernel as HWIO, dbias or None): oneDNN's weight-gradient primitive, the bias's fused."""
        self._backward_primitives()
        _, memory, reorder = self.weights["gradient"]
        dkernel = np.empty(kernel_shape, np.float32)
        self._set("src", x)
        self._set("dst", dy)
        args = {_ARG_SRC: self.memories["src"], _ARG_DIFF_DST: self.memories["dst"], _ARG_DIFF_WEIGHTS: memory}
        dbias = None
        if self.bias is not None:
            dbias = np.empty(kernel_shape[-1], np.float32)
            self._set("bias", dbias)
            args[_ARG_DIFF_BIAS] = self.memories["bias"]
        self.dnnl.execute(self.backward_weights_primitive, args)
        self._set("weights_user", dkernel)
        self.dnnl.execute(reorder, {_ARG_FROM: memory, _ARG_TO: self.memories["weights_user"]})
        self.dnnl.call("dnnl_stream_wait", self.dnnl.stream)
        return dkernel, dbias

    def close(self):
        d = self.dnnl
        for primitive in self.primitives:
            d.call("dnnl_primitive_destroy", primitive)
        for pd in self.pds:
            d.call("dnnl_primitive_desc_destroy", pd)
        for memory in self.memories.values():
            d.call("dnnl_memory_destroy", memory)
        for md in self.descs:
            d.call("dnnl_memory_desc_destroy", md)


def _conv2d():
    """conv2d's replacement: oneDNN's forward (bias and ReLU fused), input gradient and kernel gradient (bias's fused)."""
    dnnl = _Library(library_path())
    cache: dict = {}
    lock = threading.Lock()  # one stream, shared memory objects: one convolution at a time

    def primitives(op, x_shape, kernel_shape):
        key = (x_shape, kernel_shape, op.strides, op.pads, op.dilation, op.has_bias, op.activation)
        entry = cache.get(key)
        if entry is None:
            if len(cache) >= _CACHE_LIMIT:
                for old in cache.values():
                    old.close()
                cache.clear()
            entry = cache[key] = _Convolution(
                dnnl, x_shape, kernel_shape, op.strides, op.pads, op.dilation, op.has_bias, op.activation
            )
        return entry

    def forward(op, x, kernel, bias):
        # x is float32 (the seam chose by its dtype); a float64 kernel or bias runs as float32.
        x, kernel32 = np.ascontiguousarray(x), np.ascontiguousarray(kernel, dtype=np.float32)
        bias = None if bias is None else np.ascontiguousarray(bias, dtype=np.float32)
        with lock:
            y = primitives(op, x.shape, kernel.shape).forward(x, kernel32, bias)
        op.save_for_backward(x, kernel, None)  # no cols: oneDNN's weight gradient reads x itself
        return op.activate(y, applied=True)  # a fused ReLU ran in the primitive

    def backward(op, dy):
        x, kernel, _ = op.saved
        dy = np.ascontiguousarray(dy, dtype=np.float32)
        dkernel = dbias = dx = None
        with lock:  # the cache and the primitives' memory objects are shared
            convolution = primitives(op, x.shape, kernel.shape)
            if op.needs_input_grad[1] or (op.has_bias and op.needs_input_grad[2]):
                dkernel, dbias = convolution.kernel_gradients(x, dy, kernel.shape)
            if op.needs_input_grad[0]:
                dx = convolution.input_gradient(dy, np.ascontiguousarray(kernel, dtype=np.float32), x.shape)
        if dkernel is not None:
            dkernel = dkernel.astype(kernel.dtype, copy=False) if op.needs_input_grad[1] else None
            dbias = dbias if op.has_bias and op.needs_input_grad[2] else None
        return op.gradients(dx, dkernel, dbias)

    return _kernels.Replacement(forward, backward, {"library": dnnl.path, "cache": cache})


_kernels.register("conv2d", "onednn", _conv2d, dtypes=("float32",))
