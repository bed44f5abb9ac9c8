"""Tensors by explicit memory layout: empty_strided, new_empty_strided, empty_permuted, Tensor.dim_order, resize_ /
resize_as_ (torch's semantics: the storage grows in place of the old one, keeping its first elements), and
as_strided_scatter (differentiable: a gather of the strided positions)."""
import warnings

from . import _C, _dtype, _ops
from . import _memory_format as _mf
from ._device import as_device
from ._shape_ops import diagflat
from .autograd.grad_mode import is_grad_enabled
from .tensor import _dt, _fill_uninitialized, _finish, _shape_arg, _wrap, empty


def _storage_elements(size, stride):
    """The elements a (size, stride) view reaches from offset 0: 1 + sum((size - 1) * stride), 0 when empty."""
    if any(s == 0 for s in size):
        return 0
    return 1 + sum((s - 1) * st for s, st in zip(size, stride))


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """An uninitialized tensor with the given sizes and strides (its storage just large enough)."""
    size, stride = _shape_arg((size,), "empty_strided"), _shape_arg((stride,), "empty_strided", "stride")
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality of strides "
                           f"({len(stride)})")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={size} and strides={stride}")
    storage = _fill_uninitialized(_C.empty([_storage_elements(size, stride)], _dt(dtype).id, *as_device(device)._code))
    return _finish(_wrap(_C.as_strided(storage, size, stride, 0)), requires_grad)


def new_empty_strided(self, size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                      pin_memory=False):
    return empty_strided(size, stride, dtype=dtype or self.dtype, device=device or self.device,
                         requires_grad=requires_grad)


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None, requires_grad=False,
                   pin_memory=False):
    """An uninitialized tensor of `size` whose dims lie in memory in the order physical_layout (outermost first)."""
    size, physical_layout = list(size), list(physical_layout)
    if len(size) != len(physical_layout):
        raise RuntimeError(f"Number of dimensions in size does not match the length of the physical_layout; i.e. "
                           f"len(size) = {len(size)} is not equal to len(physical_layout) = {len(physical_layout)}")
    if sorted(physical_layout) != list(range(len(size))):
        raise RuntimeError("Duplicate dim not allowed")
    physical = empty([size[d] for d in physical_layout], dtype=dtype, device=device)
    inverse = [physical_layout.index(d) for d in range(len(size))]
    return _finish(physical.permute(inverse), requires_grad)


def _logical_to_physical_perm(t):
    """torch._prims_common's order of t's dims from outermost to innermost in memory: an insertion sort by stride
    (ties by size) that leaves dims of stride 0 where they are."""
    ndim = t.dim()
    if ndim <= 1:
        return list(range(ndim))
    contiguous = t.is_contiguous()
    channels_last = ndim == 4 and t.is_contiguous(_mf.channels_last)
    if contiguous and not channels_last:
        return list(range(ndim))
    if channels_last and not contiguous:
        return [0, *range(2, ndim), 1]
    return _mf.dense_order(t.shape, t.stride())[::-1]


def dim_order(self, *, ambiguity_check=False):
    """self's dims from outermost to innermost in memory. ambiguity_check=True raises when that order is not
    unique (repeated strides or dims of size 1); a list of memory formats accepts a tensor in exactly one of them."""
    if not isinstance(ambiguity_check, (bool, list)) or isinstance(ambiguity_check, list) and not all(
            isinstance(f, _mf.memory_format) for f in ambiguity_check):
        raise TypeError("The ambiguity_check argument must be a bool or a list of memory formats.")
    formats = ambiguity_check if isinstance(ambiguity_check, list) else []
    check = ambiguity_check if isinstance(ambiguity_check, bool) else True
    strides = self.stride()
    ambiguous = any(a == b for a, b in zip(strides, strides[1:])) or any(s == 1 for s in self.shape)
    if check and ambiguous and sum(self.is_contiguous(f) for f in formats) != 1:
        raise RuntimeError("The tensor does not have unique dim order, or cannot map to exact one of the given "
                           "memory formats.")
    return tuple(_logical_to_physical_perm(self))


def _row_major_strides(size, order=None):
    """Dense strides for size with its dims in memory from fastest to slowest in `order` (default: row-major)."""
    stride, step = [0] * len(size), 1
    for d in (reversed(range(len(size))) if order is None else order):
        stride[d] = step
        step *= max(size[d], 1)
    return stride


def resize_(self, *sizes, memory_format=None):
    """self made a dense tensor of `sizes` (row-major, or memory_format's order) in place: its storage is kept
    when large enough, else replaced by a larger one holding the old storage's elements first (the rest
    uninitialized), as torch's resize_."""
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    size = _shape_arg(sizes, "resize_")
    if any(s < 0 for s in size):
        raise RuntimeError("numel: integer multiplication overflow")
    order = None
    if memory_format is not None and memory_format is not _mf.contiguous_format:
        _mf.check(_wrap(_C.empty(size, self.dtype.id, *self.device._code)), memory_format)
        order = _mf.CHANNELS_LAST.get(memory_format, (None,))[0]
    stride = _row_major_strides(size, order)
    impl, itemsize = self._impl, self.dtype.itemsize
    needed = impl.offset + _storage_elements(size, stride)
    storage = impl
    if needed * itemsize > impl.storage_nbytes:
        old = impl.storage_nbytes // itemsize
        storage = _fill_uninitialized(_C.empty([needed], self.dtype.id, *self.device._code))
        if old:
            _C.copy_(_C.as_strided(storage, [old], [1], 0), _C.as_strided(impl, [old], [1], 0))
    new = _C.as_strided(storage, size, stride, impl.offset)
    new.version, new.inference = impl.version, impl.inference
    self._impl = new
    _C.bump_version(new)  # (an in-place write, as torch's: an inference tensor's raises, after resizing)
    return self


def resize_as_(self, the_template, memory_format=None):
    return resize_(self, the_template.shape, memory_format=memory_format)


def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """input (as a row-major copy) with its view as_strided(size, stride, storage_offset) replaced by src."""
    size, stride = _shape_arg((size,), "as_strided_scatter"), _shape_arg((stride,), "as_strided_scatter", "stride")
    return _ops.INDEXING_OPS["as_strided_scatter"].apply(input, src, size, stride,
                                                         0 if storage_offset is None else storage_offset)


def set_(self, source=None, storage_offset=0, size=None, stride=None):
    """self made a view of source's storage (a tensor's or a torch.storage's; none: an empty tensor), with the given
    offset, size and stride (default: source's own, or the whole storage as 1-D)."""
    if self.requires_grad and self.grad_fn is None and is_grad_enabled():  # (torch's: allowed under no_grad)
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if source is None:
        self._impl = _C.empty([0], self.dtype.id, *self.device._code)
        return self
    if hasattr(source, "_impl"):
        impl = source._impl
        if size is None:
            self._impl = impl
            return self
    else:  # a storage: its memory read as self's dtype
        impl = _C.view_dtype(source._data._impl, self.dtype.id)
        size = [impl.numel] if size is None else size
    size = _shape_arg((size,), "set_")
    stride = _row_major_strides(size) if stride is None else _shape_arg((stride,), "set_", "stride")
    self._impl = _C.as_strided(impl, size, stride, storage_offset)
    return self


def is_set_to(self, tensor):
    """Whether self and tensor are the same view of one storage (storage, offset, sizes and strides)."""
    a, b = self._impl, tensor._impl
    return a.storage_id == b.storage_id and a.offset == b.offset and a.shape == b.shape and a.strides == b.strides


def as_strided_(self, size, stride, storage_offset=None):
    self._impl = self.as_strided(size, stride, storage_offset)._impl
    return self


def resize(self, *sizes):
    """The non-in-place resize (deprecated in torch): a reshape that must keep the number of elements."""
    warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
    size = _shape_arg(sizes, "resize")
    numel = 1
    for s in size:
        numel *= s
    if numel != self.numel():
        raise RuntimeError(f"requested resize to {'x'.join(map(str, size))} ({numel} elements in total), but the "
                           f"given tensor has a size of {'x'.join(map(str, self.shape))} ({self.numel()} elements). "
                           "autograd's resize can only change the shape of a given tensor, while preserving the "
                           "number of elements. ")
    return self.reshape(size)


def resize_as(self, tensor):
    warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
    return self.reshape(tensor.shape)


def const_data_ptr(self):
    return self.data_ptr()


def _grad_dtype(self):
    if self.grad_fn is not None:
        raise RuntimeError("grad_dtype can only be accessed on leaf tensors.")
    grad_dtype = self._impl.dtype
    if self._extra is not None:
        grad_dtype = self._extra.get("grad_dtype", grad_dtype)
    return None if grad_dtype is None else _dtype.BY_ID[grad_dtype]


def _set_grad_dtype(self, dtype):
    if self.grad_fn is not None:
        raise RuntimeError("grad_dtype can only be set on leaf tensors.")
    if self._extra is None:
        self._extra = {}
    self._extra["grad_dtype"] = None if dtype is None else dtype.id


# Tensor.grad_dtype: the dtype the engine casts a leaf's incoming gradients to (its own dtype by default; None
# accepts any), as torch 2.13's
grad_dtype = property(_grad_dtype, _set_grad_dtype)

# Tensor.<name> (installed by __init__) and torch.<name>
METHODS = {"new_empty_strided": new_empty_strided, "dim_order": dim_order, "resize_": resize_,
           "resize_as_": resize_as_, "as_strided_scatter": as_strided_scatter, "grad_dtype": grad_dtype, "set_": set_,
           "is_set_to": is_set_to, "as_strided_": as_strided_, "resize": resize, "resize_as": resize_as,
           "const_data_ptr": const_data_ptr, "diagflat": diagflat}
FUNCTIONS = {"empty_strided": empty_strided, "empty_permuted": empty_permuted, "as_strided_scatter": as_strided_scatter}
