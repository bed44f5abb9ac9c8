"""DLPack exchange (tinygrad_ext.utils.dlpack, Tensor.__dlpack__): zero copy both ways with numpy and, when it
is installed, real PyTorch; capsule kinds, versions and flags read back through ctypes; lifetimes."""
import ctypes
import gc
import weakref

import numpy as np
import pytest

import tinygrad_ext as tg
from tinygrad_ext.utils.dlpack import DLDeviceType, from_dlpack, to_dlpack

DTYPES = [tg.bool, tg.uint8, tg.int32, tg.int64, tg.float32, tg.float64]

_get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_get_pointer.restype, _get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]


class _DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32),
                ("ndim", ctypes.c_int32), ("code", ctypes.c_uint8), ("bits", ctypes.c_uint8),
                ("lanes", ctypes.c_uint16), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]


class _Versioned(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32), ("manager_ctx", ctypes.c_void_p),
                ("deleter", ctypes.c_void_p), ("flags", ctypes.c_uint64), ("dl_tensor", _DLTensor)]


def _capsule_name(capsule):
    return repr(capsule).split('"')[1]


def _dl_tensor(capsule):
    """The DLTensor inside an unconsumed capsule (its managed struct starts with it, or the versioned header)."""
    if _capsule_name(capsule) == "dltensor":
        return _DLTensor.from_address(_get_pointer(capsule, b"dltensor")), None
    v = _Versioned.from_address(_get_pointer(capsule, b"dltensor_versioned"))
    return v.dl_tensor, v


def _sample(dtype, shape=(2, 3)):
    return tg.arange(int(np.prod(shape))).reshape(*shape).remainder(2 if dtype is tg.bool else 100).to(dtype)


# ---------------------------------------------------------------- export: numpy as the consumer

@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_numpy_from_our_tensor_shares_memory(dtype):
    t = _sample(dtype)
    a = np.from_dlpack(t)
    assert a.dtype == np.dtype(dtype.name) and a.shape == (2, 3)
    np.testing.assert_array_equal(a, t.numpy())
    assert a.ctypes.data == t.data_ptr()
    t.zero_()
    assert not a.any()


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_capsule_fields(dtype):
    t = _sample(dtype, (3, 4))[1:, ::2]  # an offset and element strides
    for max_version, name in ((None, "dltensor"), ((0, 8), "dltensor"), ((1, 0), "dltensor_versioned"),
                              ((1, 3), "dltensor_versioned")):
        cap = t.__dlpack__(max_version=max_version)
        assert _capsule_name(cap) == name
        dl, header = _dl_tensor(cap)
        assert (dl.device_type, dl.device_id, dl.ndim) == (1, 0, 2)
        assert (dl.bits, dl.lanes) == (dtype.itemsize * 8, 1)
        assert dl.code == {"bool": 6, "uint8": 1, "int32": 0, "int64": 0, "float32": 2, "float64": 2}[dtype.name]
        assert [dl.shape[i] for i in range(2)] == [2, 2] and [dl.strides[i] for i in range(2)] == [4, 2]
        assert dl.data + dl.byte_offset == t.data_ptr() and dl.byte_offset == 4 * dtype.itemsize
        if header is not None:
            assert (header.major, header.flags) == (1, 0)


def test_copy_flags_and_copies():
    t = tg.arange(4.0)
    cap = t.__dlpack__(max_version=(1, 0), copy=True)
    dl, header = _dl_tensor(cap)
    assert header.flags == 2 and dl.data != t.data_ptr()  # IS_COPIED
    a = np.from_dlpack(t, copy=True)
    a[0] = 7
    assert t[0].item() == 0
    assert np.from_dlpack(t, copy=False).ctypes.data == t.data_ptr()


@pytest.mark.parametrize("view", ["t", "cols", "expand", "select", "offset_2d"])
def test_numpy_sees_our_views(view):
    base = tg.arange(12.0, dtype=tg.float64).reshape(3, 4)
    t = {"t": lambda: base.t(), "cols": lambda: base[:, 1::2], "expand": lambda: base[:1].expand(3, 4),
         "select": lambda: base[2], "offset_2d": lambda: base[1:, 2:]}[view]()
    a = np.from_dlpack(t)
    np.testing.assert_array_equal(a, t.numpy())
    assert a.strides == tuple(s * 8 for s in t.stride())
    assert np.shares_memory(a, base.numpy())


@pytest.mark.parametrize("shape", [(), (0,), (2, 0, 3)])
def test_zero_dim_and_empty(shape):
    t = tg.full(shape, 2.5) if shape == () else tg.zeros(shape)
    a = np.from_dlpack(t)
    assert a.shape == shape and a.dtype == np.float32
    back = from_dlpack(a)
    assert back.shape == shape and back.dtype is tg.float32
    if shape == ():
        assert back.item() == 2.5
    r = from_dlpack(np.zeros(shape, np.int64))
    assert r.shape == shape and r.dtype is tg.int64


def test_dlpack_device():
    assert tg.ones(2).__dlpack_device__() == (DLDeviceType.kDLCPU, 0)
    assert isinstance(tg.ones(2).__dlpack_device__()[0], DLDeviceType)


# ---------------------------------------------------------------- import: numpy as the producer

@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_from_numpy_array_shares_memory(dtype):
    a = (np.arange(6) % (2 if dtype is tg.bool else 100)).astype(dtype.name).reshape(2, 3)
    t = from_dlpack(a)
    assert t.dtype is dtype and t.shape == (2, 3) and t.stride() == (3, 1)
    assert t.data_ptr() == a.ctypes.data
    np.testing.assert_array_equal(t.numpy(), a)
    t.zero_()
    assert not a.any()


@pytest.mark.parametrize("index", [(slice(None, None, 2), slice(1, None)), (Ellipsis, 2), (slice(1, 3),)],
                         ids=["strided", "column", "offset"])
def test_from_numpy_views(index):
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    a = base[index]
    t = tg.from_dlpack(a)
    np.testing.assert_array_equal(t.numpy(), a)
    assert t.stride() == tuple(s // 4 for s in a.strides)
    t.fill_(-1)
    assert (a == -1).all() and (base == -1).sum() == a.size


def test_from_numpy_transposed_and_broadcast():
    a = np.arange(6.0).reshape(2, 3).T
    t = from_dlpack(a)
    assert t.stride() == (1, 3)
    np.testing.assert_array_equal(t.numpy(), a)
    b = np.broadcast_to(np.arange(3.0), (4, 3))  # read-only, stride 0
    tb = from_dlpack(b)
    np.testing.assert_array_equal(tb.numpy(), b)


def test_negative_strides_are_copied():
    a = np.arange(12.0).reshape(3, 4)[::-1, ::-2]
    t = from_dlpack(a)
    np.testing.assert_array_equal(t.numpy(), a)
    assert t.is_contiguous()
    with pytest.raises(BufferError, match="copy=False"):
        from_dlpack(a, copy=False)


def test_read_only_array_is_copied():
    a = np.arange(6.0)
    a.flags.writeable = False
    t = from_dlpack(a)
    np.testing.assert_array_equal(t.numpy(), a)
    assert t.data_ptr() != a.ctypes.data
    t.add_(1)
    np.testing.assert_array_equal(a, np.arange(6.0))  # the producer's read-only memory is untouched
    with pytest.raises(BufferError, match="read-only"):
        from_dlpack(a, copy=False)


def test_copy_true_and_misaligned():
    a = np.arange(4.0)
    t = from_dlpack(a, copy=True)
    t.fill_(9)
    assert a[0] == 0
    raw = np.zeros(8 * 4 + 1, np.uint8)
    mis = raw[1:].view(np.float64)  # data not aligned to 8 bytes
    mis[:] = [1.5, 2.5, 3.5, 4.5]
    tm = from_dlpack(mis)
    assert tm.data_ptr() % 8 == 0 and tm.tolist() == [1.5, 2.5, 3.5, 4.5]


def test_bool_bytes_checked():
    a = np.array([0, 1, 2], np.uint8).view(np.bool_)
    with pytest.raises(ValueError, match="astype"):
        from_dlpack(a)


def test_unsupported_dtype():
    with pytest.raises(BufferError, match="unsupported DLPack dtype"):
        from_dlpack(np.zeros(3, np.complex128))


# ---------------------------------------------------------------- capsules and lifetimes

def test_capsule_round_trip_and_single_use():
    t = tg.arange(5)
    cap = to_dlpack(t)
    assert _capsule_name(cap) == "dltensor"
    u = tg.from_dlpack(cap)
    assert u.data_ptr() == t.data_ptr() and u.tolist() == [0, 1, 2, 3, 4]
    assert _capsule_name(cap) == "used_dltensor"
    with pytest.raises(RuntimeError, match="consumed only once"):
        from_dlpack(cap)
    with pytest.raises(RuntimeError, match="invalid capsule"):
        from_dlpack([1, 2])
    with pytest.raises(AssertionError):
        from_dlpack(to_dlpack(t), copy=True)


def test_our_own_round_trip_shares_memory():
    t = tg.arange(6.0).reshape(2, 3)[:, 1:]
    u = tg.from_dlpack(t)
    assert u.data_ptr() == t.data_ptr() and u.stride() == t.stride()
    u.mul_(2)
    assert t.tolist() == [[2.0, 4.0], [8.0, 10.0]]


def test_export_keeps_storage_alive():
    t = tg.arange(1000.0)
    a = np.from_dlpack(t)
    del t
    gc.collect()
    junk = [tg.full((1000,), 5.0) for _ in range(20)]  # memory the freed storage would be reused for
    np.testing.assert_array_equal(a, np.arange(1000.0))
    del junk


def test_deleters_release_the_producer():
    base = np.arange(10.0)
    ref = weakref.ref(base)
    t = tg.from_numpy(base)  # our storage owns a reference to `base`
    a = np.from_dlpack(t)  # numpy holds our capsule's reference to that storage
    del t, base
    gc.collect()
    assert ref() is not None and a.sum() == 45
    del a
    gc.collect()
    assert ref() is None
    # an unconsumed capsule frees what it holds
    base = np.arange(3.0)
    ref = weakref.ref(base)
    cap = tg.from_numpy(base).__dlpack__(max_version=(1, 0))
    del base
    gc.collect()
    assert ref() is not None
    del cap
    gc.collect()
    assert ref() is None


def test_import_keeps_producer_alive():
    a = np.arange(7.0)
    ref = weakref.ref(a)
    t = from_dlpack(a)
    view = t[2:]
    del a, t
    gc.collect()
    assert ref() is not None and view.tolist() == [2.0, 3.0, 4.0, 5.0, 6.0]
    del view
    gc.collect()
    assert ref() is None


# ---------------------------------------------------------------- errors (torch's types and messages)

def test_export_errors():
    with pytest.raises(BufferError, match="require gradient"):
        tg.ones(2, requires_grad=True).__dlpack__()
    with pytest.raises(TypeError, match="stream must be"):
        tg.ones(2).__dlpack__(stream="s")
    with pytest.raises(AssertionError, match="stream should be None on cpu"):
        tg.ones(2).__dlpack__(stream=5)
    assert _capsule_name(tg.ones(2).detach().__dlpack__(stream=None)) == "dltensor"
    t = tg.arange(3.0)
    same = t.__dlpack__(dl_device=(DLDeviceType.kDLCPU, 0), copy=False)
    assert _dl_tensor(same)[0].data == t.data_ptr()
    with pytest.raises(BufferError):
        t.__dlpack__(dl_device=(DLDeviceType.kDLMetal, 0))


def test_from_dlpack_device_argument():
    a = np.arange(3.0)
    t = from_dlpack(a, device="cpu")
    assert t.device == tg.device("cpu") and t.data_ptr() == a.ctypes.data
    if not tg.cuda.is_available():  # (torch's CPU-only build: AssertionError; a CUDA build without a GPU: RuntimeError)
        with pytest.raises(RuntimeError if tg.backends.cuda.is_built() else AssertionError):
            from_dlpack(a, device="cuda")


# ---------------------------------------------------------------- real PyTorch (optional)

@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_torch_consumes_ours_and_we_consume_torch(dtype):
    torch = pytest.importorskip("torch")
    t = _sample(dtype, (3, 4))
    pt = torch.from_dlpack(t)
    assert str(pt.dtype) == f"torch.{dtype.name}" and pt.data_ptr() == t.data_ptr()
    assert pt.tolist() == t.tolist()
    pt.zero_()
    assert not t.any().item()
    src = torch.arange(12).reshape(3, 4).remainder(2).to(getattr(torch, dtype.name))
    ours = from_dlpack(src)
    assert ours.dtype is dtype and ours.data_ptr() == src.data_ptr() and ours.tolist() == src.tolist()
    view = from_dlpack(src.t()[1:])
    assert view.stride() == src.t()[1:].stride() and view.tolist() == src.t()[1:].tolist()


def test_torch_views_capsules_and_lifetime():
    torch = pytest.importorskip("torch")
    t = tg.arange(20.0).reshape(4, 5)
    pv = torch.from_dlpack(t[1:, ::2])
    assert pv.stride() == (5, 2) and pv.tolist() == t[1:, ::2].tolist()
    pt = torch.utils.dlpack.from_dlpack(to_dlpack(t.t()))
    assert pt.tolist() == t.t().tolist()
    del t
    gc.collect()
    assert pt.sum().item() == 190.0
    src = torch.linspace(0, 1, 9)
    ours = from_dlpack(torch.utils.dlpack.to_dlpack(src))
    del src
    gc.collect()
    assert ours.tolist() == pytest.approx([i / 8 for i in range(9)])
    z = torch.from_dlpack(tg.tensor(3))
    assert z.shape == () and z.item() == 3 and from_dlpack(torch.zeros(0, 2)).shape == (0, 2)
