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
    if t.dim() != rank:
        return False
    expected, strides = 1, t.stride()
    for d in order:
        if t.shape[d] != 1:
            if strides[d] != expected:
                return False
            expected *= t.shape[d]
    return True


def to_channels_last(t, fmt):
    """t's values with fmt's strides: the dims in its order made row-major, then viewed back."""
    order = CHANNELS_LAST[fmt][0][::-1]  # (slowest first)
    inverse = [order.index(d) for d in range(t.dim())]
    return t.permute(*order).contiguous().permute(*inverse)


def layout_of(t):
    """preserve_format resolved for t: the channels-last format its strides have, else contiguous_format."""
    return next((f for f in CHANNELS_LAST if is_channels_last(t, f)), contiguous_format)


def is_dense(t):
    """Whether t's elements fill its storage span without gaps or overlaps, in some order of its dims (torch's
    is_non_overlapping_and_dense)."""
    dims = sorted((d for d in range(t.dim()) if t.shape[d] != 1), key=lambda d: t.stride()[d])
    expected = 1
    for d in dims:
        if t.stride()[d] != expected:
            return False
        expected *= t.shape[d]
    return True


def dense_strides(shape, strides):
    """The strides of a dense tensor whose dims lie in memory in the order of `strides` (torch's
    infer_dense_strides: an insertion sort from the last dim inward; a 0 stride is ambiguous and keeps its place,
    equal strides order by size)."""
    perm = list(range(len(shape)))[::-1]  # (innermost first)

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
    out, expected = [0] * len(shape), 1
    for d in perm:
        out[d] = expected
        expected *= max(shape[d], 1)
    return out
