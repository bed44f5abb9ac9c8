"""torch.device and torch.Size."""
from . import _C

_CUDA_BUILT = _C.cuda_is_built()


_TORCH_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia",
                       "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")  # (torch's order)


class device:
    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # torch's argument name
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int) and index is None:
            type, index = "cuda", type
        elif ":" in type:
            type, idx = type.split(":", 1)
            if index is not None:
                raise RuntimeError("type (string) must not include an index because index was passed explicitly")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in ("cpu", "cuda"):
            if type in _TORCH_DEVICE_TYPES:
                raise RuntimeError(f"tinygrad_ext runs on the cpu and cuda devices only, not on {type}")
            raise RuntimeError(f"Expected one of {', '.join(_TORCH_DEVICE_TYPES)} device type at start of device "
                               f"string: {type}")
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self.type, self.index = type, index

    def __repr__(self):
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __enter__(self):
        """with torch.device(d): d is the factories' default device inside (torch.set_default_device)."""
        _ENTERED.append(DEFAULT[0])
        DEFAULT[0] = self
        return self

    def __exit__(self, *exc):
        DEFAULT[0] = _ENTERED.pop()

    @property
    def _code(self):  # (device type id, index) as the core wants them
        if self.type == "cpu":
            return (0, 0)
        if not _CUDA_BUILT:  # torch's CPU-only build (its _lazy_init)
            raise AssertionError("Torch not compiled with CUDA enabled")
        return (1, self.index or 0)


CPU = device("cpu")
DEFAULT = [CPU]  # the factories' device for device=None (torch.set_default_device)
_ENTERED = []  # the defaults that `with device(...)` blocks replaced, innermost last


def as_device(d):
    if d is None:
        return DEFAULT[0]
    return d if isinstance(d, device) else device(d)


class Size(tuple):
    """torch.Size: a tuple of ints that prints as torch.Size([...])."""

    def __repr__(self):
        return f"torch.Size([{', '.join(str(s) for s in self)}])"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r

    # concatenation and repetition stay torch.Size, from either side
    def __add__(self, other):
        if not isinstance(other, tuple):
            raise TypeError(f"can only concatenate tuple (not {type(other).__name__}) to torch.Size")
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        return Size(tuple.__add__(other, self)) if isinstance(other, tuple) else NotImplemented

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__
