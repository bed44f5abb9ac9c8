"""numpy() and from_numpy() share memory both ways; torch.tensor(ndarray) copies; strided arrays,
read-only arrays and lifetimes (RELIABILITY rows 45-51, the accepted inputs; the rejected ones are in
test_bad_inputs.py)."""
import gc
import subprocess
import sys
import weakref

import numpy as np
import pytest
import tinygrad_ext as torch

NP_TO_TORCH = [(np.float32, torch.float32), (np.float64, torch.float64), (np.int64, torch.int64),
               (np.int32, torch.int32), (np.uint8, torch.uint8), (np.bool_, torch.bool)]


@pytest.mark.parametrize("np_dt,dt", NP_TO_TORCH, ids=[d.__name__ for d, _ in NP_TO_TORCH])
def test_from_numpy_shares_memory_both_ways(np_dt, dt):
    a = (np.arange(12) % 3).astype(np_dt).reshape(3, 4)
    t = torch.from_numpy(a)
    assert t.dtype is dt and t.shape == (3, 4) and t.stride() == (4, 1)
    assert t.data_ptr() == a.__array_interface__["data"][0]
    a[0, 0] = 1
    assert t[0, 0].item() == 1
    t[2, 3] = 0
    assert a[2, 3] == 0
    t.zero_()
    assert not a.any()


@pytest.mark.parametrize("np_dt,dt", NP_TO_TORCH, ids=[d.__name__ for d, _ in NP_TO_TORCH])
def test_numpy_shares_memory_both_ways(np_dt, dt):
    t = torch.ones(2, 3, dtype=dt)
    a = t.numpy()
    assert a.dtype == np_dt and a.shape == (2, 3) and a.__array_interface__["data"][0] == t.data_ptr()
    a[1, 2] = 0
    assert t[1, 2].item() == 0
    t[0, 0] = 0
    assert a[0, 0] == 0


def test_numpy_of_views_keeps_strides():
    t = torch.arange(24.).view(4, 6)
    for v, ref in ((t.t(), np.arange(24.).reshape(4, 6).T), (t[1:, ::2], np.arange(24.).reshape(4, 6)[1:, ::2]),
                   (t[:, 3], np.arange(24.).reshape(4, 6)[:, 3]), (t.expand(2, 4, 6), None)):
        a = v.numpy()
        assert a.strides == tuple(s * 4 for s in v.stride())
        assert a.__array_interface__["data"][0] == v.data_ptr()
        if ref is not None:
            np.testing.assert_array_equal(a, ref)
    a = t.t().numpy()
    a[0, 1] = -1  # a write through the transposed array lands at t[1, 0]
    assert t[1, 0].item() == -1


def test_tensor_of_ndarray_copies():
    a = np.arange(5.0)
    t = torch.tensor(a)
    assert t.dtype is torch.float64 and t.data_ptr() != a.__array_interface__["data"][0]
    a[0] = 99
    t[1] = -1
    assert t[0].item() == 0 and a[1] == 1


@pytest.mark.parametrize("make", [
    lambda: np.arange(24.).reshape(4, 6)[:, ::2],
    lambda: np.arange(24.).reshape(4, 6).T,
    lambda: np.arange(60, dtype=np.float32).reshape(3, 4, 5).transpose(2, 0, 1)[1:, :, ::3],
    lambda: np.arange(24, dtype=np.int64).reshape(4, 6)[1::2],
    lambda: np.broadcast_to(np.arange(3.0), (4, 3)),
    lambda: np.arange(10, dtype=np.int32)[::4],
], ids=["step", "transpose", "3d", "rows", "stride0", "1d-step"])
def test_from_numpy_non_contiguous_positive_strides(make):
    """RELIABILITY row 45: values equal np.asarray element-wise, and ops on them work."""
    a = make()
    t = torch.from_numpy(a)
    assert t.shape == a.shape
    np.testing.assert_array_equal(t.numpy(), a)
    np.testing.assert_array_equal((t * 2).numpy(), a * 2)
    np.testing.assert_allclose(t.sum().item(), a.sum())
    if a.flags.writeable:  # zero-copy: the tensor reads the array's memory
        assert t.stride() == tuple(s // a.itemsize for s in a.strides)
        a.flat[0] = 77  # (writes through a view: the first element)
        assert t.flatten()[0].item() == 77


def test_read_only_arrays_are_copied():
    """RELIABILITY row 49: safer than torch's warning: a read-only array is copied."""
    a = np.arange(4.0)
    a.setflags(write=False)
    t = torch.from_numpy(a)
    assert t.tolist() == [0.0, 1.0, 2.0, 3.0]
    t[0] = 5  # writes the copy, not the read-only memory
    assert a[0] == 0.0
    b = np.frombuffer(b"\x01\x02\x03\x04", dtype=np.uint8)
    tb = torch.from_numpy(b)
    assert tb.tolist() == [1, 2, 3, 4]
    tb.add_(1)
    assert b.tolist() == [1, 2, 3, 4]
    c = np.broadcast_to(np.arange(3.0), (2, 3))  # read-only and stride 0
    assert torch.from_numpy(c).tolist() == [[0.0, 1.0, 2.0]] * 2


def test_source_array_deleted_while_tensor_lives():
    """RELIABILITY row 51: the tensor keeps the array's memory alive."""
    a = np.arange(100_000, dtype=np.float64)
    ref = weakref.ref(a) if hasattr(a, "__weakref__") else None
    t = torch.from_numpy(a)
    del a
    gc.collect()
    assert t.sum().item() == sum(range(100_000))
    if ref is not None:
        assert ref() is not None  # still owned by the tensor
    del t
    gc.collect()
    if ref is not None:
        assert ref() is None  # released with the tensor


def test_tensor_deleted_while_array_lives():
    t = torch.arange(50_000, dtype=torch.float64)
    a = t.numpy()
    v = t[10:20].numpy()
    del t
    gc.collect()
    _ = [torch.ones(50_000, dtype=torch.float64) for _ in range(5)]  # reuse freed memory if any was freed
    assert a.sum() == sum(range(50_000))
    assert v.tolist() == list(map(float, range(10, 20)))


def test_lifetimes_under_stress_in_subprocess():
    """Many create/delete cycles both ways; the process must exit cleanly (no double free / use after free)."""
    code = (
        "import gc, numpy as np, tinygrad_ext as torch\n"
        "for i in range(200):\n"
        "    a = np.full((64, 33), float(i)); t = torch.from_numpy(a)[:, ::2]; del a\n"
        "    b = t.numpy(); del t\n"
        "    if i % 20 == 0: gc.collect()\n"
        "    assert b.sum() == i * 64 * 17, (i, b.sum())\n"
        "    c = torch.from_numpy(b).t().contiguous(); del b\n"
        "    assert c.sum().item() == i * 64 * 17\n"
        "print('ok')\n")
    p = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stderr


def test_zero_dim_and_empty_arrays():
    t = torch.from_numpy(np.array(3.5))
    assert t.shape == () and t.item() == 3.5
    e = torch.from_numpy(np.zeros((0, 3), dtype=np.int32))
    assert e.shape == (0, 3) and e.dtype is torch.int32 and e.sum().item() == 0
    assert torch.zeros(0, 2).numpy().shape == (0, 2)
    assert torch.tensor(2).numpy().shape == ()


def test_array_protocol_and_numpy_interop():
    t = torch.arange(6.).view(2, 3)
    a = np.asarray(t)
    assert a.shape == (2, 3) and a.dtype == np.float32
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 2.0])
    assert np.array(torch.tensor([True, False])).dtype == np.bool_
    assert torch.tensor(np.float64(1.5)).dtype is torch.float64
    assert (torch.ones(2) + np.float32(1)).tolist() == [2.0, 2.0]


def test_int_tensor_from_numpy_arithmetic_stays_shared():
    a = np.zeros(6, dtype=np.int64)
    t = torch.from_numpy(a)
    t[t == 0] = 4
    t.add_(torch.arange(6))
    t[torch.tensor([0, 5])] = -1
    assert a.tolist() == [-1, 5, 6, 7, 8, -1]
