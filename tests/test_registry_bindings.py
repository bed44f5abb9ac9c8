"""The op registry's FRONT_ENDS are the `_C` functions they declare: every row is bound under its name, with its
C++ parameters as the binding's arguments (the build generates both from the row), and every `_C` function is a
row, an op of a family whose bindings the build generates from its X-macro list (elementwise, reductions, scans,
optimizer steps), or one of the few bindings written by hand below, each with the reason it stays so. A new
hand-written binding of an op therefore fails here until it becomes a row (or joins the list with its reason)."""
import re

import pytest

from tinygrad_ext import _C, _registry

# `_C` functions bound by hand (csrc/bindings/module.cpp, dlpack.cpp, cuda.cpp), by why they are
HAND_WRITTEN = {
    # Python numbers, sizes, dtype and device ids converted with torch's messages (naming the op) before the call
    "conversions": ("empty", "full", "arange", "linspace", "eye", "scalar_tensor", "randperm", "to_dtype", "to_device",
                    "fill_", "view_dtype", "clamp", "where", "masked_fill_", "result_type", "promote_types",
                    "can_cast", "set_default_dtype", "empty_pinned"),
    # the numpy and DLPack bridges, the generator state as bytes
    "bridges": ("from_numpy", "to_numpy", "item", "to_dlpack", "from_dlpack", "get_rng_state", "set_rng_state",
                "seeded_rng_state"),
    # views taking sizes (to_shape's TypeError), squeeze's optional dim, copies with a fixed non_blocking, pinning
    "views": ("view", "reshape", "as_strided", "permute", "expand", "squeeze", "copy_", "copy_non_blocking_",
              "pin_memory", "is_pinned"),
    # the runtime: threads, ISA, matmul precision, denormals, the CUDA runtime's host API (and its loading and
    # launching of the fusion's run-time compiled kernels)
    "runtime": ("get_num_threads", "set_num_threads", "cpu_isa", "set_flush_denormal", "get_float32_matmul_precision",
                "set_float32_matmul_precision", "allow_tf32", "set_allow_tf32", "cuda_get_device_properties",
                "cuda_counters", "cuda_record_stream",
                *(f"cuda_{n}" for n in (
                    "is_built", "runtime_version", "device_count", "synchronize", "memory_allocated",
                    "max_memory_allocated", "memory_reserved", "max_memory_reserved", "reset_peak_memory_stats",
                    "empty_cache", "malloc_count", "mem_get_info", "current_stream", "set_stream", "stream_from_pool",
                    "stream_query", "stream_synchronize", "stream_wait_event", "stream_priority",
                    "stream_priority_range", "event_create", "event_destroy", "event_record", "event_query",
                    "event_synchronize", "event_elapsed_time", "kernel_load", "kernel_launch"))),
}
HAND = {name for names in HAND_WRITTEN.values() for name in names}
INT64, FLOAT32 = 3, 4  # dtype ids (csrc/core/dtype.h)


def _functions():
    return {n for n, v in vars(_C).items() if callable(v) and not isinstance(v, type) and not n.startswith("__")}


def _generated_families():
    """The `_C` functions the build binds from the X-macro lists (csrc/bindings/module.cpp's TG_BIND_*)."""
    return ({e.name for e in _registry.OPS if not e.kernel} | {"logical_not"}
            | {e.name for e in _registry.REDUCTIONS if not e.kernel} | {e.name for e in _registry.SCANS}
            | {n for e in _registry.OPTIMIZER_STEPS for n in (e.name, e.foreach_name)})


def test_every_c_function_is_declared_once():
    rows = {e.name for e in _registry.FRONT_ENDS}
    undeclared = _functions() - rows - _generated_families() - HAND
    assert not undeclared, f"_C functions bound by hand but not declared in _registry.FRONT_ENDS: {sorted(undeclared)}"
    assert not rows & HAND and not rows & _generated_families(), "a FRONT_ENDS row is also bound another way"
    assert HAND <= _functions(), f"HAND_WRITTEN names no _C function: {sorted(HAND - _functions())}"


@pytest.mark.parametrize("row", _registry.FRONT_ENDS, ids=lambda e: f"{e.name}/{len(e.params)}")
def test_row_is_bound_with_its_parameters(row):
    assert row.name in _functions(), f"_registry.FRONT_ENDS row {row.name} has no _C function"
    # pybind11's signature lines, one per overload: name(arg: type, ...) -> result
    signatures = re.findall(rf"^(?:\d+\. )?{re.escape(row.name)}\((.*)\) -> ", getattr(_C, row.name).__doc__, re.M)
    arguments = [[a.split(":")[0] for a in re.split(r", (?=\w+: )", s)] if s else [] for s in signatures]
    assert [n for _, n, _ in row.params] in arguments, (row.decl, signatures)


def test_defaults_and_none():
    """A C++ default is the binding's (a Tensor's nullptr: None), and None is a null Tensor; a null Tensor result is
    None (conv2d_backward's skipped gradients)."""
    x = _C.full([1, 2, 4, 4], 1.0, FLOAT32, 0, 0)
    w = _C.full([3, 2, 3, 3], 0.5, FLOAT32, 0, 0)
    y = _C.conv2d(x, w, None, (1, 1), (1, 1), (1, 1), 1)
    assert y.shape == (1, 3, 4, 4)
    gx, gw, gb = _C.conv2d_backward(y, x, w, (1, 1), (1, 1), (1, 1), 1, [True, False, False])
    assert gx.shape == x.shape and gw is None and gb is None
    assert _C.avg_pool2d(x, (2, 2), (2, 2), (0, 0), False, True, None).shape == (1, 2, 2, 2)
    values, _ = _C.sort(_C.arange(3, 0, -1, FLOAT32, 0, 0), 0, False)  # stable defaults to true
    assert _C.to_numpy(values).tolist() == [1.0, 2.0, 3.0]


def test_bad_reduce_name_keeps_its_message():
    t = _C.full([3], 0.0, FLOAT32, 0, 0)
    i = _C.full([3], 0, INT64, 0, 0)
    with pytest.raises(RuntimeError, match="scatter_reduce_: unknown reduce 'mean'"):
        _C.scatter_reduce_(t, 0, i, t, "mean")


def test_generated_sources():
    files = _registry.generated_files()
    bindings = files["tg_bindings.cpp"]
    assert bindings.count("  m.def(") == len(_registry.FRONT_ENDS)
    for header in _registry.FRONT_END_HEADERS:
        declarations = files[_registry.front_ends_file(header)]
        assert all(e.decl + ";" in declarations for e in _registry.FRONT_ENDS if e.header == header)
