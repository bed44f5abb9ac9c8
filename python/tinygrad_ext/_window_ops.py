"""torch's signal windows: hann, hamming, blackman, bartlett and kaiser, composed from arange and elementwise ops
in torch's order of operations (so float32 windows round as torch's). periodic=True computes the window of
length + 1 and drops its last point (for spectral analysis), as torch's."""
from .tensor import _dt, _finish, arange, ones, zeros


def _window(name, window_length, periodic, dtype, device, requires_grad, body):
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    dtype = _dt(dtype)
    if not dtype.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dtype}")
    if window_length <= 1:
        window = (zeros if window_length == 0 else ones)(window_length, dtype=dtype, device=device)
        return _finish(window, requires_grad)
    n = window_length + 1 if periodic else window_length
    window = body(arange(n, dtype=dtype, device=device), n)
    return _finish(window[:-1].contiguous() if periodic else window, requires_grad)


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None, layout=None, device=None,
                   requires_grad=False, pin_memory=False):
    """alpha - beta cos(2 pi k / (N - 1))."""
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, n: (k * (6.283185307179586 / (n - 1))).cos() * -beta + alpha)


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False,
                pin_memory=False):
    """The Hamming window with alpha = beta = 1/2: sin^2(pi k / (N - 1))."""
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, n: (k * (6.283185307179586 / (n - 1))).cos() * -0.5 + 0.5)


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False,
                    pin_memory=False):
    """0.42 - 0.5 cos(2 pi k / (N - 1)) + 0.08 cos(4 pi k / (N - 1))."""
    def body(k, n):
        x = k * (3.141592653589793 / (n - 1))
        return (x * 4).cos() * 0.08 - (x * 2).cos() * 0.5 + 0.42
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad, body)


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False,
                    pin_memory=False):
    """The triangle 1 - |2k / (N - 1) - 1|: 2k / (N - 1) rising, then 2 minus that."""
    def body(k, n):
        x = k * (2.0 / (n - 1))
        half = ((n - 1) >> 1) + 1
        return x.where(k < half, 2 - x)
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad, body)


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None, device=None,
                  requires_grad=False, pin_memory=False):
    """I0(beta sqrt(1 - ((k - a) / a)^2)) / I0(beta), a = (N - 1) / 2."""
    def body(k, n):
        a = (n - 1) / 2.0
        x = (1 - ((k - a) / a).square()).abs().sqrt() * beta
        return x.i0() / k.new_full([1], beta).i0()
    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad, body)


# torch.<name>
METHODS = {}
FUNCTIONS = {"hamming_window": hamming_window, "hann_window": hann_window, "blackman_window": blackman_window,
             "bartlett_window": bartlett_window, "kaiser_window": kaiser_window}
