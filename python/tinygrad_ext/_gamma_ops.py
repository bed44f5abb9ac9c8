"""torch._standard_gamma (the core's sampler: torch's Marsaglia-Tsang draws on the CPU generator) with torch's
reparameterized gradient torch._standard_gamma_grad, and torch._sample_dirichlet (normalized float64 gamma draws,
as torch's CPU kernel): the samplers behind distributions.Gamma, Beta, Dirichlet, Chi2 and StudentT."""
import math

from . import _C, _dtype
from ._generator import drawing_from
from ._host import on_host
from .autograd.function import Function
from .tensor import _wrap, where

# Coefficients of torch's bivariate rational approximation of the gradient (standard_gamma_grad_one, for alpha <= 8
# and x >= 0.8): rows are powers of log(x / alpha), columns the numerator's and denominator's powers of log(alpha).
_COEF_UV = ((0.16009398, -0.094634809, 0.025146376, -0.0030648343, 1, 0.32668115, 0.10406089, 0.0014179084),
            (0.53487893, 0.1298071, 0.065735949, -0.0015649758, 0.16639465, 0.020070113, -0.0035938915,
             -0.00058392623),
            (0.040121004, -0.0065914022, -0.0026286047, -0.0013441777, 0.017050642, -0.0021309326, 0.00085092367,
             -1.5247877e-07))


def _check_floating(input, kernel):
    if input.dtype not in (_dtype.float32, _dtype.float64):
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype._legacy[:-6]}'")


def _standard_gamma_grad(self, output):
    """torch._standard_gamma_grad: d x / d alpha of standard Gamma(alpha = self) draws x = output at fixed CDF value,
    -(d/d alpha CDF(x; alpha)) / pdf(x; alpha), with torch's three approximations (computed in float64): a series
    for x < 0.8, Rice's saddle point expansion for alpha > 8, a rational fit otherwise."""
    alpha, x = self.double(), output.double()
    numer, denom = x.new_ones(()), alpha
    series1, series2 = 1 / denom, 1 / (denom * denom)
    for i in range(1, 6):  # the incomplete gamma's Taylor series and its alpha derivative
        numer = numer * (-x / i)
        denom = denom + 1
        series1, series2 = series1 + numer / denom, series2 + numer / (denom * denom)
    pow_x_alpha = x.pow(alpha)
    digamma = where((alpha <= 0) & (alpha == alpha.floor()), math.inf, alpha.digamma())  # (torch's digamma_one: +inf)
    cdf_alpha = (x.log() - digamma) * pow_x_alpha * series1 - pow_x_alpha * series2
    small = -cdf_alpha / (x.pow(alpha - 1) * (-x).exp())
    small = where(small.isnan(), 0.0, small)
    near = ((1 + 24 * alpha * (1 + 12 * alpha)) * (1440 * alpha * alpha + 6 * x * (53 - 120 * x) - 65 * x * x / alpha
                                                   + alpha * (107 + 3600 * x)) / (1244160 * alpha.pow(4)))
    root = (8 * alpha).sqrt()
    term2, term3 = root / (alpha - x), (x - alpha - alpha * (x / alpha).log()).pow(-1.5)
    term1 = ((x / alpha).log() * where(x < alpha, term2 - term3, term2 + term3)
             - (2 / alpha).sqrt() * (alpha + x) / (alpha - x).pow(2))
    far = -(1 + 1 / (12 * alpha) * (1 + 1 / (24 * alpha))) * x * term1 / root
    u, v = (x / alpha).log(), alpha.log()
    c = [a + u * (b + u * d) for a, b, d in zip(*_COEF_UV)]
    rational = ((c[0] + v * (c[1] + v * (c[2] + v * c[3]))) / (c[4] + v * (c[5] + v * (c[6] + v * c[7])))).exp()
    large = where((0.9 * alpha <= x) & (x <= 1.1 * alpha), near, far)
    return where(x < 0.8, small, where(alpha > 8, large, rational)).to(self.dtype)


class _StandardGamma(Function):
    """A standard Gamma draw per element; the gradient is torch's reparameterized one."""
    _native = True

    def name(self):
        return "StandardGammaBackward0"

    @staticmethod
    def forward(ctx, alpha):
        sample = _wrap(_C._standard_gamma(alpha._impl))
        ctx.save_for_backward(alpha, sample)
        return sample

    @staticmethod
    def backward(ctx, grad):
        alpha, sample = ctx.saved_tensors
        return grad * _standard_gamma_grad(alpha, sample)


@on_host
def _standard_gamma(input, generator=None):
    """torch._standard_gamma: a standard Gamma(input) draw per element (float32 or float64), in order from the CPU
    generator as torch's CPU kernel draws them (CUDA tensors: drawn on the host and copied back); differentiable."""
    _check_floating(input, "gamma_cpu")
    with drawing_from(generator):
        return _StandardGamma.apply(input)


@on_host
def _sample_dirichlet(input, generator=None):
    """torch._sample_dirichlet: Dirichlet(input) draws over the last dimension: float64 standard gamma draws,
    normalized, kept in [tiny, the float below 1] of input's dtype (torch's CPU kernel); not differentiable."""
    _check_floating(input, "dirichlet")
    with drawing_from(generator):
        gamma = _wrap(_C._standard_gamma(input.detach().double()._impl))
    finfo = _dtype.finfo(input.dtype)
    return (gamma / gamma.sum(-1, keepdim=True)).to(input.dtype).clamp(finfo.tiny, 1 - finfo.eps / 2)


METHODS = {}
FUNCTIONS = {"_standard_gamma": _standard_gamma, "_standard_gamma_grad": _standard_gamma_grad,
             "_sample_dirichlet": _sample_dirichlet}
