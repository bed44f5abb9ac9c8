"""torch.special: the special functions the library has kernels for (under torch.special's names), and those
composed here from them: logit, sinc, entr, ndtr, log_ndtr, ndtri, xlog1py, multigammaln (differentiable as
the ops they are made of; the where-guards keep the unused branch's NaN out of the gradient). The kernels only
torch.special names (erfcx, i0e, i1, i1e, zeta) are registry entries reached through _ops.functional."""
import math

from . import _C, _dtype, _ops
from .tensor import Tensor, _named, tensor, where, write_out

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _floating(x):
    """x, or x in the default float dtype when it is an integer or bool tensor (the unary_float rule)."""
    return x if x.dtype.is_floating_point else x.to(_dtype.get_default_dtype())


def logit(input, eps=None, *, out=None):
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when eps is given (zero gradient outside)."""
    p = _floating(input)
    if eps is not None:
        p = p.clamp(eps, 1 - eps)
    return _out(_named((p / (1 - p)).log(), "LogitBackward0"), out)


def sinc(input, *, out=None):
    """sin(pi x) / (pi x), 1 at 0 (float16/bfloat16 computed in float32, as torch's: pi x rounded to 16 bits
    would leave sin(pi) far from 0)."""
    x = _floating(input)
    if x.dtype in (_dtype.float16, _dtype.bfloat16):
        return _out(sinc(x.float()).to(x.dtype), out)
    zero = x == 0
    px = where(zero, 1.0, x) * math.pi
    return _out(_named(where(zero, 1.0, px.sin() / px), "SincBackward0"), out)


def entr(input, *, out=None):
    """-x log(x) for x > 0, 0 at 0, -inf for x < 0 (NaN stays NaN)."""
    x = _floating(input)
    return _out(_named(where(x < 0, -math.inf, where(x == 0, 0.0, -x.xlogy(x))), "SpecialEntrBackward0"), out)


def ndtr(input, *, out=None):
    """The standard normal distribution function."""
    x = _floating(input)
    return _out(_named(0.5 * (-x / math.sqrt(2)).erfc(), "MulBackward1"), out)  # (torch's composite: mul.Scalar)


def _log_ndtr_value(xd):
    """log(ndtr(x)) in float64, accurate in both tails: the asymptotic series -x^2/2 - log(-x) - log(sqrt(2 pi)) +
    log(1 - 1/x^2 + 3/x^4 - 15/x^6) below x = -37, log1p(-ndtr(-x)) above 0 (as torch's: -0.0 far out)."""
    tail = xd < -37
    upper = xd > 0
    direct = (0.5 * (-where(tail | upper, 0.0, xd) / math.sqrt(2)).erfc()).log()
    above = (-(0.5 * (where(upper, xd, 0.0) / math.sqrt(2)).erfc())).log1p()
    z = where(tail, xd, -38.0)
    r = 1 / (z * z)
    series = -0.5 * z * z - (-z).log() - _LOG_SQRT_2PI + (1 - r + 3 * r * r - 15 * r * r * r).log()
    return where(tail, series, where(upper, above, direct))


def log_ndtr(input, *, out=None):
    """log(ndtr(x)), accurate in both tails (see _log_ndtr_value); derivative exp(log phi(x) - log_ndtr(x))."""
    x = _floating(input)
    value = _log_ndtr_value(x.detach().double()).to(x.dtype)
    return _out(_with_derivative(x, value, lambda x, r: (-0.5 * x * x - _LOG_SQRT_2PI - r).exp(),
                                 "SpecialLogNdtrBackward0"), out)


class _Pointwise(_ops.Op):
    """A value computed without a graph (result) with its derivative given as derivative(x, result), as torch's
    formula for the op (ndtri, log_ndtr)."""

    @staticmethod
    def forward(ctx, x, result, derivative):
        ctx.derivative = derivative
        ctx.save_for_backward(x, result)
        return _C.clone(result._impl)

    @staticmethod
    def backward(ctx, grad):
        x, result = ctx.saved_tensors
        return grad * ctx.derivative(x, result), None, None


def _with_derivative(x, value, derivative, name):
    """value (x's dtype), on a node named as torch's with the given derivative when x requires grad."""
    if not x.requires_grad:
        return value
    return _named(_Pointwise.apply(x, value, derivative), name)


def _ndtri_value(p):
    """ndtri in float64: sqrt(2) erfinv(2p - 1) where 2p - 1 keeps p's precision (0.02 <= p <= 0.98), else in
    the tail q = min(p, 1 - p) Newton's steps on log_ndtr(x) = log(q) from the asymptotic guess (erfinv(2p - 1)
    loses p's digits there: -inf below 1e-16)."""
    q = p.double()
    in_tail = (q < 0.02) | (q > 0.98)
    central = math.sqrt(2) * (2 * where(in_tail, 0.5, q) - 1).erfinv()
    tail_p = where(q > 0.98, 1 - q, q)
    log_q = where(in_tail, tail_p, 0.01).clamp(min=5e-324).log()
    u = (-2 * log_q).sqrt()
    u = (-2 * log_q - 2 * u.log() - math.log(2 * math.pi)).sqrt()  # Phi(-u) ~ phi(u) / u
    x = -u
    for _ in range(6):  # (quadratic convergence: full float64 precision after 3 or 4)
        L = _log_ndtr_value(x)
        x = x - (L - log_q) * (0.5 * x * x + _LOG_SQRT_2PI + L).exp()
    result = where(in_tail, where(q > 0.98, -x, x), central)
    result = where(q == 0, -math.inf, where(q == 1, math.inf, result))
    return where((q < 0) | (q > 1) | q.isnan(), math.nan, result)


def ndtri(input, *, out=None):
    """The inverse of ndtr (the standard normal quantile), accurate in both tails (see _ndtri_value)."""
    p = _floating(input)
    if p.dtype.itemsize < 4:  # (torch's kernel has float and double only)
        raise NotImplementedError(f"\"ndtri_cpu\" not implemented for '{p.dtype._legacy[:-6]}'")
    value = _ndtri_value(p.detach()).to(p.dtype)
    return _out(_with_derivative(p, value, lambda p, x: math.sqrt(2 * math.pi) * (x * x / 2).exp(),
                                 "SpecialNdtriBackward0"), out)


def xlog1py(input, other, *, out=None):
    """input * log1p(other), 0 where input is 0 (unless other is NaN)."""
    node = "SpecialXlog1PyBackward" + ("0" if isinstance(input, Tensor) and isinstance(other, Tensor) else
                                       "1" if isinstance(other, Tensor) else "2")  # (torch's overloads)
    x = input if isinstance(input, Tensor) else tensor(input)
    y = other if isinstance(other, Tensor) else tensor(other, dtype=x.dtype if x.dtype.is_floating_point else None)
    x, y = _floating(x), _floating(y)
    safe = where((x == 0) & ~y.isnan(), 0.0, y)
    return _out(_named(where((x == 0) & ~y.isnan(), 0.0, x * safe.log1p()), node), out)


def multigammaln(input, p, *, out=None):
    """The multivariate log-gamma function of dimension p: sum_j lgamma(x - j/2) + p(p-1)/4 log(pi)."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = _floating(input)
    result = sum((x - j / 2).lgamma() for j in range(p)) + p * (p - 1) / 4 * math.log(math.pi)
    return _out(_named(result, "MvlgammaBackward0"), out)


def _out(result, out):
    return result if out is None else write_out(out, result)


def _method(fn):
    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    method.__name__ = fn.__name__
    return method


def _inplace(fn):
    def method(self, *args, **kwargs):
        return self._inplace_from(fn, *args, **kwargs)
    method.__name__ = fn.__name__ + "_"
    return method


def _tensor_argument(fn, name, value, position):
    if not isinstance(value, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor, not {type(value).__name__}")


def _kernel(fn, name, input, other=None, *, numbers=False):
    """The registry op `name` on input (and other) for torch's function `fn`: a Python number stands for either
    operand where fn takes one (numbers=True: xlogy, zeta), otherwise a non-tensor raises torch's TypeError."""
    if other is None:
        _tensor_argument(fn, "input", input, 1)
        return _ops.functional(name)(input)
    if numbers and not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"{fn}() received an invalid combination of arguments - got ({type(input).__name__}, "
                        f"{type(other).__name__}), but expected one of: (Tensor input, Tensor other), "
                        "(Number self, Tensor other), (Tensor input, Number other)")
    if not numbers:
        _tensor_argument(fn, "input", input, 1)
        _tensor_argument(fn, "other", other, 2)
    return _ops.REGISTERED[name].apply(input, other)


def erfcx(input, *, out=None):
    """The scaled complementary error function exp(x^2) erfc(x)."""
    return _out(_kernel("special_erfcx", "erfcx", input), out)


def i0(input, *, out=None):
    """The modified Bessel function of the first kind of order 0."""
    return _out(_kernel("special_i0", "i0", input), out)


def i0e(input, *, out=None):
    """The exponentially scaled modified Bessel function of order 0: exp(-|x|) i0(x)."""
    return _out(_kernel("special_i0e", "i0e", input), out)


def i1(input, *, out=None):
    """The modified Bessel function of the first kind of order 1."""
    return _out(_kernel("special_i1", "i1", input), out)


def i1e(input, *, out=None):
    """The exponentially scaled modified Bessel function of order 1: exp(-|x|) i1(x)."""
    return _out(_kernel("special_i1e", "i1e", input), out)


def zeta(input, other, *, out=None):
    """The Hurwitz zeta function sum_k (other + k)^-input (either argument may be a number)."""
    return _out(_kernel("special_zeta", "zeta", input, other, numbers=True), out)


def gammainc(input, other, *, out=None):
    """The regularized lower incomplete gamma function P(input, other)."""
    return _out(_kernel("special_gammainc", "igamma", input, other), out)


def gammaincc(input, other, *, out=None):
    """The regularized upper incomplete gamma function Q(input, other) = 1 - P(input, other)."""
    return _out(_kernel("special_gammaincc", "igammac", input, other), out)


def xlogy(input, other, *, out=None):
    """input * log(other), 0 where input is 0 (unless other is NaN); either argument may be a number."""
    return _out(_kernel("xlogy", "xlogy", input, other, numbers=True), out)


xlogy.__doc__ = Tensor.xlogy.__doc__  # (torch.xlogy too: the registry entry's doc)


expit = Tensor.sigmoid
erf, erfc, erfinv, exp2, expm1, log1p = Tensor.erf, Tensor.erfc, Tensor.erfinv, Tensor.exp2, Tensor.expm1, Tensor.log1p
gammaln, digamma, psi = Tensor.lgamma, Tensor.digamma, Tensor.digamma
def round(input, *, decimals=0, out=None):
    """torch.special.round: torch.round's decimals overload (its node is RoundBackward1)."""
    return _out(_named(input.round(decimals=decimals), "RoundBackward1"), out)


def polygamma(n, input, *, out=None):
    return _out(input.polygamma(n), out)


def softmax(input, dim, *, dtype=None):
    return input.softmax(dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    return input.log_softmax(dim, dtype=dtype)


def logsumexp(input, dim, keepdim=False, *, out=None):
    return _out(input.logsumexp(dim, keepdim), out)


# Tensor.<name> (installed by __init__) and torch.<name>
METHODS = {"logit": _method(logit), "logit_": _inplace(logit), "sinc": _method(sinc), "sinc_": _inplace(sinc)}
FUNCTIONS = {"logit": logit, "logit_": _inplace(logit), "sinc": sinc, "sinc_": _inplace(sinc), "xlogy": xlogy}
