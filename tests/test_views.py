"""Views without copies: every view shares storage with its base (writes show through, data_ptr
points into the base), has numpy's strides for the same view, and only reshape/contiguous copy,
and only when they must. Also the tensor's metadata (torch.Size, strides, contiguity)."""
import numpy as np
import pytest
import tinygrad_ext as torch
from oracle import assert_matches, to_numpy


def base_pair(shape=(3, 4, 5), dtype=np.float32):
    a = np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)
    return a, torch.from_numpy(a.copy())


def np_offset(view, base):
    return (view.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // view.itemsize


def assert_same_view(t, base_t, v, base_a, where=""):
    """t is a view of base_t laid out exactly like numpy's view v of base_a."""
    assert tuple(t.shape) == v.shape, where
    for d, (size, st) in enumerate(zip(v.shape, v.strides)):
        if size > 1:  # a size-1 dim's stride is arbitrary (numpy and torch pick different ones)
            assert t.stride(d) * v.itemsize == st, f"{where}: stride {t.stride()} vs numpy {v.strides}"
    if v.size:
        assert t.storage_offset() == np_offset(v, base_a), where
        assert t.data_ptr() == base_t.data_ptr() + t.storage_offset() * t.element_size(), where
    np.testing.assert_array_equal(to_numpy(t), v, err_msg=where)


INDEX_VIEWS = [
    (1,), (-1,), (slice(None), 2), (slice(1, None), slice(None, None, 2)), (Ellipsis, 1), (Ellipsis, -1, None),
    (None, slice(None), None), (0, Ellipsis, None), (slice(None), slice(None, None, 3), slice(1, 4)),
    (slice(-2, None), -3, slice(None, None, 2)), (slice(1, 2),), (slice(5, 9),), (-2, -1, -1),
    (slice(None, None, 2), None, slice(None), slice(4, None)), (Ellipsis,), (slice(2, 2), 0),
]


@pytest.mark.parametrize("key", INDEX_VIEWS, ids=[str(k) for k in INDEX_VIEWS])
def test_basic_indexing_is_a_view_with_numpy_strides(key):
    a, t = base_pair()
    v, tv = a[key], t[key]
    if not isinstance(v, np.ndarray):  # numpy returns a scalar copy for a full integer index
        v = a[tuple(key) + (Ellipsis,)]
    assert_same_view(tv, t, v, a, str(key))
    if v.size:  # a write through the view lands in the base
        tv.fill_(-5)
        a[key] = -5
        np.testing.assert_array_equal(to_numpy(t), a)


VIEW_OPS = [
    ("t", lambda x: x[0].t(), lambda a: a[0].T),
    ("transpose", lambda x: x.transpose(0, 2), lambda a: a.swapaxes(0, 2)),
    ("transpose_neg", lambda x: x.transpose(-1, -2), lambda a: a.swapaxes(-1, -2)),
    ("permute", lambda x: x.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1)),
    ("permute_neg", lambda x: x.permute(-1, 0, -2), lambda a: a.transpose(2, 0, 1)),
    ("T", lambda x: x[0].T, lambda a: a[0].T),
    ("unsqueeze", lambda x: x.unsqueeze(1), lambda a: a[:, None]),
    ("unsqueeze_last", lambda x: x.unsqueeze(-1), lambda a: a[..., None]),
    ("squeeze", lambda x: x[:, :1].squeeze(), lambda a: a[:, :1].squeeze()),
    ("squeeze_dim", lambda x: x[:, :1].squeeze(1), lambda a: a[:, 0]),
    ("squeeze_dim_noop", lambda x: x.squeeze(1), lambda a: a),
    ("expand", lambda x: x[:, :1].expand(3, 4, 5), lambda a: np.broadcast_to(a[:, :1], (3, 4, 5))),
    ("expand_new_dims", lambda x: x.expand(2, 3, 4, 5), lambda a: np.broadcast_to(a, (2, 3, 4, 5))),
    ("expand_minus_one", lambda x: x[:1].expand(4, -1, -1), lambda a: np.broadcast_to(a[:1], (4, 4, 5))),
    ("view", lambda x: x.view(12, 5), lambda a: a.reshape(12, 5)),
    ("view_infer", lambda x: x.view(-1, 10), lambda a: a.reshape(-1, 10)),
    ("view_split_dim", lambda x: x[:, :2].view(3, 2, 1, 5), lambda a: a[:, :2].reshape(3, 2, 1, 5)),
    ("view_of_slice", lambda x: x[:, :, :4].view(3, 4, 2, 2), lambda a: a[:, :, :4].reshape(3, 4, 2, 2)),
    ("reshape_view", lambda x: x.reshape(3, 20), lambda a: a.reshape(3, 20)),
    ("flatten", lambda x: x.flatten(), lambda a: a.reshape(-1)),
    ("flatten_partial", lambda x: x.flatten(0, 1), lambda a: a.reshape(12, 5)),
    ("flatten_of_transposed_tail", lambda x: x.transpose(1, 2)[0].flatten(1), lambda a: a.swapaxes(1, 2)[0]),
    ("narrow", lambda x: x.narrow(2, 1, 3), lambda a: a[:, :, 1:4]),
    ("narrow_neg", lambda x: x.narrow(-1, -2, 2), lambda a: a[..., -2:]),
    ("select", lambda x: x.select(1, -1), lambda a: a[:, -1]),
    ("unbind", lambda x: x.unbind(2)[3], lambda a: a[:, :, 3]),
    ("split", lambda x: x.split(2, 1)[1], lambda a: a[:, 2:4]),
    ("chunk", lambda x: x.chunk(2, 2)[1], lambda a: a[:, :, 3:]),
    ("detach", lambda x: x.detach(), lambda a: a),
    ("data", lambda x: x.data, lambda a: a),
    ("chain", lambda x: x.permute(1, 2, 0)[1:, ::2].unsqueeze(0).transpose(0, 3)[1],
     lambda a: a.transpose(1, 2, 0)[1:, ::2][None].swapaxes(0, 3)[1]),
]


@pytest.mark.parametrize("name,fn,ref", VIEW_OPS, ids=[v[0] for v in VIEW_OPS])
def test_view_ops_share_storage(name, fn, ref):
    a, t = base_pair()
    tv, v = fn(t), ref(a)
    assert_same_view(tv, t, v, a, name)
    # writes through the view appear in the base, writes to the base appear in the view
    t.mul_(2)
    np.testing.assert_array_equal(to_numpy(tv), v * 2)
    if not name.startswith("expand"):  # an expanded view cannot be written (overlapping elements)
        tv.fill_(-1)
        expect = a * 2
        ref(expect)[...] = -1
        np.testing.assert_array_equal(to_numpy(t), expect)


def test_expanded_view_is_read_only_for_inplace_ops():
    t = torch.ones(3, 1).expand(3, 4)
    assert t.stride() == (1, 0)
    with pytest.raises(RuntimeError, match="more than one element"):
        t.add_(1)
    assert to_numpy(t).tolist() == [[1.0] * 4] * 3


def test_reshape_copies_only_when_it_must():
    t = torch.arange(24.).view(4, 6)
    r = t.reshape(3, 8)
    assert r.data_ptr() == t.data_ptr()
    tt = t.t()
    assert not tt.is_contiguous()
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        tt.view(24)
    c = tt.reshape(24)  # must copy
    assert c.is_contiguous() and c.data_ptr() != t.data_ptr()
    np.testing.assert_array_equal(to_numpy(c), np.arange(24.).reshape(4, 6).T.reshape(-1))
    c.fill_(0)  # the copy does not alias
    assert t.sum().item() == sum(range(24))
    assert tt.reshape(6, 4).data_ptr() == t.data_ptr()  # same shape: a view
    s = t[:, ::2]  # every other element: evenly spaced, so even flattening is a view (stride 2)
    assert s.reshape(12).data_ptr() == t.data_ptr() and s.reshape(12).stride() == (2,)
    s = t[:, :3]  # rows with gaps: splitting is a view, merging rows must copy
    assert s.reshape(4, 3, 1).data_ptr() == t.data_ptr() and s.view(2, 2, 3).data_ptr() == t.data_ptr()
    m = s.reshape(12)
    assert m.data_ptr() != t.data_ptr() and m.tolist() == [0, 1, 2, 6, 7, 8, 12, 13, 14, 18, 19, 20]
    e = torch.ones(1, 5).expand(3, 5)
    assert e.reshape(3, 5).data_ptr() == e.data_ptr()
    assert to_numpy(e.reshape(15)).tolist() == [1.0] * 15


def test_contiguous_clone_copy():
    t = torch.arange(12.).view(3, 4)
    assert t.contiguous() is t or t.contiguous().data_ptr() == t.data_ptr()
    tt = t.t()
    c = tt.contiguous()
    assert c.is_contiguous() and c.data_ptr() != t.data_ptr() and c.stride() == (3, 1)
    np.testing.assert_array_equal(to_numpy(c), np.arange(12.).reshape(3, 4).T)
    k = t.clone()
    assert k.data_ptr() != t.data_ptr()
    k[0, 0] = 100
    assert t[0, 0].item() == 0
    kt = tt.clone()
    np.testing.assert_array_equal(to_numpy(kt), to_numpy(tt))
    # copy_ into a view writes the base; copy_ broadcasts and casts
    dst = torch.zeros(3, 4)
    dst[:, 1].copy_(torch.tensor([1, 2, 3]))
    dst[1:].copy_(torch.tensor([7.0, 8.0, 9.0, 10.0], dtype=torch.float64))
    assert to_numpy(dst).tolist() == [[0, 1, 0, 0], [7, 8, 9, 10], [7, 8, 9, 10]]
    assert dst.dtype is torch.float32
    # overlapping source and destination (a transpose of itself) reads before writing
    sq = torch.arange(9.).view(3, 3)
    sq.copy_(sq.t())
    assert to_numpy(sq).tolist() == np.arange(9.).reshape(3, 3).T.tolist()


def test_version_counter_shared_by_views():
    t = torch.zeros(4, 4)
    v = t[1:, ::2]
    v0 = t._version
    v.add_(1)
    assert t._version == v._version and t._version > v0
    t.zero_()
    assert v._version == t._version


def test_squeeze_unsqueeze_inplace():
    t = torch.zeros(2, 1, 3)
    ptr = t.data_ptr()
    assert t.squeeze_() is t and t.shape == (2, 3) and t.data_ptr() == ptr
    assert t.unsqueeze_(0) is t and t.shape == (1, 2, 3)


def test_zero_dim_and_zero_size_views():
    s = torch.tensor(5.0)
    assert s.view(1).shape == (1,) and s.view(()).shape == () and s.reshape(1, 1).shape == (1, 1)
    assert s.unsqueeze(0).shape == (1,) and s.t().shape == () and s.flatten().shape == (1,)
    assert s.expand(2, 3).stride() == (0, 0)
    assert torch.ones(1).view(()).shape == ()
    z = torch.zeros(0, 3)
    assert z.view(3, 0).shape == (3, 0) and z.t().shape == (3, 0) and z.reshape(0, 1, 3).shape == (0, 1, 3)
    assert z.flatten().shape == (0,) and z[:, 1].shape == (0,) and z.unsqueeze(1).shape == (0, 1, 3)
    assert z.expand(2, 0, 3).shape == (2, 0, 3)


def test_size_and_metadata():
    t = torch.zeros(2, 3, 4)
    s = t.size()
    assert isinstance(s, tuple) and isinstance(s, torch.Size) and isinstance(t.shape, torch.Size)
    assert s == (2, 3, 4) and t.shape == torch.Size([2, 3, 4])
    assert repr(torch.zeros(2, 3).shape) == "torch.Size([2, 3])"
    assert repr(torch.zeros(()).shape) == "torch.Size([])"
    assert str(torch.zeros(5).size()) == "torch.Size([5])"
    assert isinstance(s[1:], torch.Size) and s[1:] == (3, 4) and s[-1] == 4
    assert s.numel() == 24 and list(s) == [2, 3, 4]
    a, b, c = t.shape
    assert (a, b, c) == (2, 3, 4)
    assert t.size(1) == 3 and t.size(-1) == 4 and t.dim() == 3 and t.ndim == 3 and t.ndimension() == 3
    assert t.numel() == 24 and t.nelement() == 24 and torch.numel(t) == 24
    assert t.stride() == (12, 4, 1) and t.stride(0) == 12 and t.stride(-1) == 1
    assert t.is_contiguous() and not t.transpose(0, 1).is_contiguous()
    assert t.dtype is torch.float32 and t.device == torch.device("cpu") and str(t.device) == "cpu"
    assert t.device.type == "cpu" and not t.is_cuda and t.get_device() == -1
    assert t.element_size() == 4 and torch.zeros(1, dtype=torch.float64).element_size() == 8
    assert len(t) == 2 and t.storage_offset() == 0 and t[1].storage_offset() == 12
    assert t.is_floating_point() and not torch.zeros(1, dtype=torch.int64).is_floating_point()
    assert torch.zeros(()).dim() == 0 and torch.zeros(()).shape == () and torch.zeros(()).numel() == 1
    with pytest.raises(TypeError):
        len(torch.zeros(()))
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.size(3)
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.stride(-4)


def test_iteration_and_unbind():
    t = torch.arange(6).view(3, 2)
    rows = list(t)
    assert len(rows) == 3 and all(r.shape == (2,) for r in rows)
    assert [r.tolist() for r in rows] == [[0, 1], [2, 3], [4, 5]]
    rows[1].fill_(9)  # the rows are views
    assert t.tolist() == [[0, 1], [9, 9], [4, 5]]
    assert 9 in t and 7 not in t


def test_integer_index_tensors_copy_not_view():
    t = torch.arange(12.).view(3, 4)
    g = t[torch.tensor([0, 2])]
    g.fill_(-1)
    assert t.min().item() == 0  # advanced indexing returns a copy
    m = t[t > 5]
    m.fill_(-1)
    assert t.min().item() == 0


def test_setitem_broadcast_and_views():
    t = torch.zeros(3, 4)
    t[1] = torch.tensor([1., 2., 3., 4.])
    t[:, 0] = 7
    t[2, 1:3] = torch.tensor([5.])
    t[..., -1] = torch.tensor([[-1.], [-2.], [-3.]]).squeeze(1)
    t[None, 0, 1] = 3.5
    expect = np.zeros((3, 4))
    expect[1] = [1, 2, 3, 4]
    expect[:, 0] = 7
    expect[2, 1:3] = 5
    expect[..., -1] = [-1, -2, -3]
    expect[0, 1] = 3.5
    assert_matches(t, expect, torch.float32)
    h = torch.tensor([[-1., 2.], [3., -4.]])
    h[h < 0] = 0  # the classic grad_h[h < 0] = 0
    assert h.tolist() == [[0., 2.], [3., 0.]]
    h[torch.tensor([True, False])] = torch.tensor([9., 8.])
    assert h.tolist() == [[9., 8.], [3., 0.]]
    h[h > 5] = torch.tensor([1., 2.])  # a value per selected element
    assert h.tolist() == [[1., 2.], [3., 0.]]
    i = torch.zeros(5, dtype=torch.int64)
    i[torch.tensor([0, 3])] = torch.tensor([4, 6])
    i[torch.tensor([-1])] = 2
    assert i.tolist() == [4, 0, 0, 6, 2]


# ------------------------------------------------------- the reliability issue: bool scalars and byte masks
BOOL_KEYS = [(True,), (False,), (True, 1), (1, True), (None, False, 0), (Ellipsis, True), (True, False), (True, True),
             (True, slice(None), True), (True, [0, 1]), ([0, 1], True), (slice(None), False, slice(1, None))]


@pytest.mark.parametrize("key", BOOL_KEYS, ids=[str(k) for k in BOOL_KEYS])
def test_python_bool_index_is_a_0d_mask(key):
    """x[True] / x[False] add a dim of size 1 / 0 (numpy's and torch's 0-d mask), never index 1 / 0."""
    a = np.arange(6.0).reshape(2, 3)
    x = torch.tensor(a)
    np.testing.assert_array_equal(to_numpy(x[key]), a[key])
    tkey = tuple(torch.tensor(k) if k is True or k is False else k for k in key)  # 0-d bool tensors: the same
    np.testing.assert_array_equal(to_numpy(x[tkey]), a[key])
    ukey = tuple(torch.tensor(int(k), dtype=torch.uint8) if k is True or k is False else k for k in key)
    np.testing.assert_array_equal(to_numpy(x[ukey]), a[key])  # and 0-d byte tensors (no warning for 0-d)
    xg = torch.tensor(a, requires_grad=True)
    xg[key].sum().backward()
    np.testing.assert_array_equal(to_numpy(xg.grad), _count_hits(a.shape, key))
    b = a.copy()
    b[key] = -1.0
    y = torch.tensor(a)
    y[key] = -1.0
    np.testing.assert_array_equal(to_numpy(y), b)


def _count_hits(shape, key):
    hits = np.zeros(shape)
    idx = np.arange(hits.size).reshape(shape)[key]
    np.add.at(hits.reshape(-1), idx.reshape(-1), 1.0)
    return hits


def test_bool_index_of_a_0d_tensor_and_of_a_python_0_key():
    s = torch.tensor(5.0)
    assert to_numpy(s[True]).tolist() == [5.0] and s[False].shape == (0,)
    assert to_numpy(s[None, True]).shape == (1, 1)
    with pytest.warns(DeprecationWarning):  # the 2017 loss.data[0] still returns the value...
        assert s[0] == 5.0
    assert s[False].shape == (0,)  # ...but False is a mask, not 0


def test_byte_tensor_indexes_as_a_mask_with_a_warning():
    a = np.arange(6.0).reshape(2, 3)
    x = torch.tensor(a)
    for m in ([1, 0], [2, 0], [0, 0]):
        with pytest.warns(UserWarning, match="indexing with dtype torch.uint8 is now deprecated"):
            r = x[torch.tensor(m, dtype=torch.uint8)]
        np.testing.assert_array_equal(to_numpy(r), a[np.array(m) != 0])
    np.testing.assert_array_equal(to_numpy(x[torch.tensor(0, dtype=torch.uint8)]), a[False])
    np.testing.assert_array_equal(to_numpy(x[torch.tensor(2, dtype=torch.uint8)]), a[True])
    np.testing.assert_array_equal(to_numpy(x[[True, False]]), a[[True, False]])  # a list of bools: a mask too
    np.testing.assert_array_equal(to_numpy(x[[]]), a[[]])
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool tensors"):
        x[torch.tensor(1.0)]


NONADJACENT = [([0, 1], slice(None), [0, 1]), ([[0], [1]], slice(None), [0, 1, 2]), (slice(None), [0, 1], [1, 2]),
               ([1, 0], slice(1, None), [3, 0]), (0, [0, 2], [1, 3])]


@pytest.mark.parametrize("key", NONADJACENT, ids=[str(k) for k in NONADJACENT])
def test_tensor_indices_split_by_a_slice_put_their_dims_first(key):
    a = np.arange(24.0).reshape(2, 3, 4)
    x = torch.tensor(a, requires_grad=True)
    out = x[key]
    np.testing.assert_array_equal(to_numpy(out), a[key])
    w = np.arange(out.numel(), dtype=np.float64).reshape(out.shape)
    (out * torch.tensor(w)).sum().backward()
    ref = np.zeros_like(a)
    np.add.at(ref, key, w)
    np.testing.assert_array_equal(to_numpy(x.grad), ref)
    b = a.copy()
    b[key] = -w
    y = torch.tensor(a)
    y[key] = torch.tensor(-w)
    np.testing.assert_array_equal(to_numpy(y), b)
