"""torch.storage: UntypedStorage (a tensor's memory as bytes) and TypedStorage (as elements of one dtype), each a
view of a 1-D tensor over the whole storage, so they share memory with the tensors they come from; is_storage."""
import warnings

from . import _C, _dtype
from .tensor import Tensor, _wrap, tensor, zeros


def _whole(t):
    """A 1-D tensor of t's dtype over t's whole storage (from offset 0)."""
    impl = t._impl
    return _wrap(_C.as_strided(impl, [impl.storage_nbytes // t.dtype.itemsize], [1], 0))


class _Storage:
    __slots__ = ("_data",)
    _name = ""

    def __init__(self, data):
        self._data = data

    def size(self):
        return self._data.numel()

    def __len__(self):
        return self._data.numel()

    def nbytes(self):
        return self._data.numel() * self._data.dtype.itemsize

    def element_size(self):
        return self._data.dtype.itemsize

    def data_ptr(self):
        return self._data.data_ptr()

    @property
    def device(self):
        return self._data.device

    def __getitem__(self, i):
        return self._data[i].item()

    def __setitem__(self, i, value):
        self._data[i] = value

    def tolist(self):
        return self._data.tolist()

    def fill_(self, value):
        self._data.fill_(value)
        return self

    def __iter__(self):
        return iter(self.tolist())

    def __repr__(self):
        head = "".join(f" {v}\n" for v in self.tolist())
        return f"{head}[torch.storage.{type(self).__name__}({self._name}device={self.device}) of size {len(self)}]"


class UntypedStorage(_Storage):
    """torch.UntypedStorage(size=0, *, device=None): bytes."""
    __slots__ = ()

    def __init__(self, size=0, *, device=None):
        super().__init__(size if isinstance(size, Tensor) else zeros(size, dtype=_dtype.uint8, device=device))


class TypedStorage(_Storage):
    """torch.TypedStorage(size or sequence, *, dtype=None, device=None): elements of one dtype (deprecated in torch
    for UntypedStorage)."""
    __slots__ = ()

    def __init__(self, *args, dtype=None, device=None, wrap_storage=None):
        if wrap_storage is not None:
            super().__init__(wrap_storage)
            return
        dtype = _dtype.get_default_dtype() if dtype is None else dtype
        if len(args) == 1 and isinstance(args[0], (list, tuple)):
            data = tensor(list(args[0]), dtype=dtype, device=device)
        else:
            data = zeros(*(args or (0,)), dtype=dtype, device=device)
        super().__init__(data)

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def _name(self):
        return f"dtype={self.dtype}, "


def untyped_storage(self):
    """self's whole storage as bytes, sharing memory."""
    return UntypedStorage(_wrap(_C.view_dtype(_whole(self)._impl, _dtype.uint8.id)))


def storage(self):
    warnings.warn("TypedStorage is deprecated. It will be removed in the future and UntypedStorage will be the only "
                  "storage class. This should only matter to you if you are using storages directly.  To access "
                  "UntypedStorage directly, use tensor.untyped_storage() instead of tensor.storage()", UserWarning,
                  stacklevel=2)
    return TypedStorage(wrap_storage=_whole(self))


def is_storage(obj):
    return isinstance(obj, _Storage)


# Tensor.<name> (installed by __init__) and torch.<name>
METHODS = {"untyped_storage": untyped_storage, "storage": storage}
FUNCTIONS = {"is_storage": is_storage, "UntypedStorage": UntypedStorage, "TypedStorage": TypedStorage}
