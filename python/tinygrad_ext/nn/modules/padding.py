"""Padding layers (torch.nn.modules.padding): each is F.pad with a fixed mode and padding. An int padding pads
every side of the last 1, 2 or 3 dims by that much; a tuple is (left, right[, top, bottom[, front, back]])."""
from .. import functional as F
from .module import Module


class _PadNd(Module):
    _mode = "constant"
    _ndim = 1

    def __init__(self, padding):
        super().__init__()
        self.padding = (int(padding),) * (2 * self._ndim) if isinstance(padding, int) else tuple(padding)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dim with a constant value."""


class ConstantPad2d(_ConstantPadNd):
    """Pads the last 2 dims with a constant value."""
    _ndim = 2


class ConstantPad3d(_ConstantPadNd):
    """Pads the last 3 dims with a constant value."""
    _ndim = 3


class _ZeroPadNd:
    """Mixed in before ConstantPad{1,2,3}d: the value is 0 and the repr shows only the padding."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd, ConstantPad1d):
    """Pads the last dim with zeros."""


class ZeroPad2d(_ZeroPadNd, ConstantPad2d):
    """Pads the last 2 dims with zeros."""


class ZeroPad3d(_ZeroPadNd, ConstantPad3d):
    """Pads the last 3 dims with zeros."""


class ReflectionPad1d(_PadNd):
    """Pads the last dim with its reflection (the edge not repeated)."""
    _mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    """Pads the last 2 dims with their reflection."""
    _ndim = 2


class ReflectionPad3d(ReflectionPad1d):
    """Pads the last 3 dims with their reflection."""
    _ndim = 3


class ReplicationPad1d(_PadNd):
    """Pads the last dim by repeating its edge values."""
    _mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    """Pads the last 2 dims by repeating their edge values."""
    _ndim = 2


class ReplicationPad3d(ReplicationPad1d):
    """Pads the last 3 dims by repeating their edge values."""
    _ndim = 3


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input):
        if input.dim() not in (self._ndim + 1, self._ndim + 2):
            raise ValueError(f"expected {self._ndim + 1}D or {self._ndim + 2}D input (got {input.dim()}D input)")
        return super().forward(input)


class CircularPad1d(_CircularPadNd):
    """Pads the last dim by wrapping around (the other end's values)."""


class CircularPad2d(_CircularPadNd):
    """Pads the last 2 dims by wrapping around."""
    _ndim = 2


class CircularPad3d(_CircularPadNd):
    """Pads the last 3 dims by wrapping around."""
    _ndim = 3
