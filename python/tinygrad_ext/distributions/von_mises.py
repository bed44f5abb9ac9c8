"""VonMises: the circular normal distribution, with torch's log-Bessel approximations in log_prob and variance and
torch's sampler (Best and Fisher's 1979 rejection method in float64, three torch.rand draws a round), so a seed gives
torch's samples."""
import math

from .. import _dtype
from .._device import Size
from ..autograd.grad_mode import no_grad
from ..tensor import rand, where, zeros
from . import constraints
from .distribution import Distribution, broadcast_all

# Polynomial approximations of I0 and I1 (Abramowitz and Stegun 9.8.1 to 9.8.4): in (x / 3.75)^2 below 3.75, in
# 3.75 / x above (the large ones times exp(x) / sqrt(x)), the coefficients lowest power first.
_SMALL = ([1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.360768e-1, 0.45813e-2],
          [0.5, 0.87890594, 0.51498869, 0.15084934, 0.2658733e-1, 0.301532e-2, 0.32411e-3])
_LARGE = ([0.39894228, 0.1328592e-1, 0.225319e-2, -0.157565e-2, 0.916281e-2, -0.2057706e-1, 0.2635537e-1,
           -0.1647633e-1, 0.392377e-2],
          [0.39894228, -0.3988024e-1, -0.362018e-2, 0.163801e-2, -0.1031555e-1, 0.2282967e-1, -0.2895312e-1,
           0.1787654e-1, -0.420059e-2])


def _horner(y, coefficients):
    """The polynomial with these coefficients (lowest power first) at y."""
    result = coefficients[-1]
    for c in reversed(coefficients[:-1]):
        result = c + y * result
    return result


def _log_bessel_i(x, order):
    """log I_order(x) for x > 0 and order 0 or 1, by torch's polynomial approximations."""
    small = _horner((x / 3.75) ** 2, _SMALL[order])
    if order == 1:
        small = x.abs() * small
    large = x - 0.5 * x.log() + _horner(3.75 / x, _LARGE[order]).log()
    return where(x < 3.75, small.log(), large)


class VonMises(Distribution):
    """The von Mises distribution of angles: density exp(concentration cos(x - loc)) / (2 pi I0(concentration)).
    loc and values may be any real numbers (read modulo 2 pi); samples lie in [-pi, pi)."""
    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, Size(), validate_args)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (self.concentration * (value - self.loc).cos() - math.log(2 * math.pi)
                - _log_bessel_i(self.concentration, 0))

    def sample(self, sample_shape=Size()):
        """Best and Fisher's rejection sampler in float64 (small concentrations would not end in float32): each round
        draws rand(3, *shape) and keeps the accepted proposals of the points not yet done."""
        with no_grad():
            loc, kappa = self.loc.to(_dtype.float64), self.concentration.to(_dtype.float64)
            tau = 1 + (1 + 4 * kappa ** 2).sqrt()
            rho = (tau - (2 * tau).sqrt()) / (2 * kappa)
            r = where(kappa < 1e-5, 1 / kappa + kappa, (1 + rho ** 2) / (2 * rho))  # (a Taylor form near 0)
            shape = self._extended_shape(sample_shape)
            x = zeros(shape, dtype=_dtype.float64, device=loc.device)
            done = zeros(shape, dtype=_dtype.bool, device=loc.device)
            while not done.all().item():
                u1, u2, u3 = rand((3,) + tuple(shape), dtype=_dtype.float64, device=loc.device).unbind()
                z = (math.pi * u1).cos()
                f = (1 + r * z) / (r + z)
                c = kappa * (r - f)
                accept = ((c * (2 - c) - u2) > 0) | ((c / u2).log() + 1 - c >= 0)
                x = where(accept, (u3 - 0.5).sign() * f.acos(), x)  # (a later acceptance replaces, as torch's)
                done = done | accept
            return ((x + math.pi + loc) % (2 * math.pi) - math.pi).to(self.loc.dtype)

    @property
    def mean(self):
        """The circular mean."""
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        """The circular variance, 1 - I1(concentration) / I0(concentration)."""
        return 1 - (_log_bessel_i(self.concentration, 1) - _log_bessel_i(self.concentration, 0)).exp()
