"""torch.memory_format: how a tensor's elements are laid out. contiguous_format: row-major; channels_last: NCHW
shape with NHWC strides; channels_last_3d: NCDHW shape with NDHWC strides; preserve_format: keep the input's.
Tensor.is_contiguous / contiguous / clone / to take them (tensor.py); the row-major case never reaches here."""


class memory_format:
    """torch.memory_format (see the module docstring)."""

    __slots__ = ("_name",)

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return "torch." + self._name

    def __reduce__(self):  # (pickles as the module attribute: one object per format)
        return self._name


contiguous_format, preserve_format = memory_format("contiguous_format"), memory_format("preserve_format")
channels_last, channels_last_3d = memory_format("channels_last"), memory_format("channels_last_3d")
# the dims from fastest- to slowest-varying, and the rank each channels-last format needs
CHANNELS_LAST = {channels_last: ((1, 3, 2, 0), 4), channels_last_3d: ((1, 4, 3, 2, 0), 5)}


def check(t, fmt):
    if not isinstance(fmt, memory_format):
        raise TypeError(f"memory_format must be a torch.memory_format (torch.contiguous_format, torch.channels_last, "
                        f"torch.channels_last_3d or torch.preserve_format), not {type(fmt).__name__}")
    if fmt in CHANNELS_LAST and t.dim() != CHANNELS_LAST[fmt][1]:
        raise RuntimeError(f"required rank {CHANNELS_LAST[fmt][1]} tensor to use {fmt._name} format")


def is_channels_last(t, fmt):
    """Whether t's strides are fmt's dense order (dims of size 1 take any stride, as torch's)."""
    order, rank = CHANNELS_LAST[fmt]
    shape, strides = t._impl.shape, t._impl.strides  # (the core's: not Tensor methods a user may have wrapped)
    if len(shape) != rank:
        return False
    expected = 1
    for d in order:
        if shape[d] != 1:
            if strides[d] != expected:
                return False
            expected *= shape[d]
    return True


def to_channels_last(t, fmt):
    """t's values with fmt's strides: the dims in its order made row-major, then viewed back."""
    order = CHANNELS_LAST[fmt][0][::-1]  # (slowest first)
    inverse = [order.index(d) for d in range(t.dim())]
    return t.permute(*order).clone(memory_format=contiguous_format).permute(*inverse)  # (exact strides)


def layout_of(t):
    """preserve_format resolved for t: the channels-last format its strides have, else contiguous_format."""
    return next((f for f in CHANNELS_LAST if is_channels_last(t, f)), contiguous_format)


def is_dense(t):
    """Whether t's elements fill its storage span without gaps or overlaps, in some order of its dims (torch's
    is_non_overlapping_and_dense)."""
    return dense_layout(t.shape, t.stride())


def dense_layout(shape, strides):
    """is_dense of a tensor of these sizes and strides."""
    expected = 1
    for size, stride in sorted([(sz, st) for sz, st in zip(shape, strides) if sz != 1], key=lambda p: p[1]):
        if stride != expected:
            return False
        expected *= size
    return True


def preserved_order(shape, strides):
    """The dims (outermost first) of a copy that preserves a layout (torch's preserve_format): a dense tensor's
    memory order, another's by infer_dense_strides."""
    target = strides if dense_layout(shape, strides) else dense_strides(shape, strides)
    return sorted(range(len(shape)), key=lambda d: (-target[d], d))


def dense_order(shape, strides):
    """The dims innermost first in memory, by `strides` (torch's infer_dense_strides and
    _prims_common's logical-to-physical order: an insertion sort from the last dim inward; a 0 stride is ambiguous
    and keeps its place, equal strides order by size)."""
    perm = list(range(len(shape)))[::-1]

    def should_swap(d0, d1):
        if strides[d0] == 0 or strides[d1] == 0:
            return 0
        if strides[d0] != strides[d1]:
            return -1 if strides[d0] < strides[d1] else 1
        return 1 if shape[d0] > shape[d1] else 0

    for i in range(1, len(perm)):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    return perm


def dense_strides(shape, strides):
    """The strides of a dense tensor whose dims lie in memory in the order of `strides` (dense_order)."""
    perm = dense_order(shape, strides)
    out, expected = [0] * len(shape), 1
    for d in perm:
        out[d] = expected
        expected *= max(shape[d], 1)
    return out


def suggests_channels_last(shape, strides, fmt=None):
    """Whether torch's suggest_memory_format() of a tensor of these sizes and strides is channels_last (4-d) or
    channels_last_3d (5-d), or fmt (c10's is_channels_last_strides_2d/3d: strides that do not decrease in the
    format's order C, W, H(, D), N; a size-1 dim steps by 1, and the ambiguous N111-like cases, whose N stride equals
    C's bound, stay row-major)."""
    fmt = fmt or (channels_last if len(shape) == 4 else channels_last_3d)
    order, rank = CHANNELS_LAST[fmt]
    if len(shape) != rank or strides[1] == 0:
        return False
    bound = 0
    for d in order:
        if shape[d] == 0 or strides[d] < bound or (d == 0 and bound == strides[1]):
            return False
        bound = strides[d] * shape[d] if shape[d] > 1 else strides[d]
    return True
