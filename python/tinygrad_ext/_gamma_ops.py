"""torch._standard_gamma (the core's sampler: torch's Marsaglia-Tsang draws on the CPU generator; its node is the
NN_OPS row _standard_gamma, whose formula is torch's reparameterized gradient torch._standard_gamma_grad of _ops),
and torch._sample_dirichlet (normalized float64 gamma draws, as torch's CPU kernel) with its reparameterized gradient
torch._dirichlet_grad: the samplers behind distributions.Gamma, Beta, Dirichlet, Chi2 and StudentT. The gradients
are torch's approximations written as Tensor ops in float64 (torch does some steps in the input's dtype: float32
gradients agree to float32 rounding). And torch.binomial (the core's sampler, torch's draws)."""
from . import _C, _dtype
from ._generator import drawing_from
from ._host import on_host
from ._ops import NN_OPS, _digamma, _standard_gamma_grad, _zero_nan
from ._shape_ops import broadcast_tensors
from .tensor import _wrap, where


def _check_floating(input, kernel):
    if input.dtype not in (_dtype.float32, _dtype.float64):
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype._legacy[:-6]}'")


# torch's rational correction of the Dirichlet gradient (dirichlet_grad_one): [numerator, denominator][power of
# log x][power of log(alpha) - log x][power of log(total) - log(alpha) + log x]
_DIRICHLET_COEF = (
    (((1.003668233, -0.01061107488, -0.0657888334, 0.01201642863),
      (0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033),
      (-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013)),
     ((0.221950385, -0.3187676331, 0.01799915743, 0.01074823814),
      (-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057),
      (0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05)),
     ((-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565),
      (0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181),
      (0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05))),
    (((1, -0.02924021934, -0.04438342661, 0.007285809825),
      (0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521),
      (-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149)),
     ((0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273),
      (0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956),
      (-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05)),
     ((0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05),
      (0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05),
      (-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06))))


def _beta_grad_alpha_small(x, alpha, beta):
    """d x / d alpha for x ~ Beta(alpha, beta) near 0: the incomplete beta's series."""
    factor = _digamma(alpha) - _digamma(alpha + beta) - x.log()
    numer, series = 1, (factor + 1 / alpha) / alpha
    for i in range(1, 11):
        numer = numer * (i - beta) * x / i
        series = series + numer / (alpha + i) * (factor + 1 / (alpha + i))
    return _zero_nan(x * (1 - x).pow(-beta) * series)


def _beta_grad_beta_small(x, alpha, beta):
    """d x / d beta for x ~ Beta(alpha, beta) near 0."""
    factor = _digamma(alpha + beta) - _digamma(beta)
    numer, betas, dbetas, series = 1, 1, 0, factor / alpha
    for i in range(1, 9):
        numer = numer * (-x / i)
        dbetas, betas = dbetas * (beta - i) + betas, betas * (beta - i)
        series = series + numer / (alpha + i) * (dbetas + factor * betas)
    return _zero_nan(-(1 - x).pow(1 - beta) * series)


def _beta_grad_alpha_mid(x, alpha, beta):
    """d x / d alpha for alpha and beta both large: Rice's saddle point expansion (a polynomial near the mean)."""
    total = alpha + beta
    mean, std = alpha / total, (alpha * beta / (total + 1)).sqrt() / total
    b2 = beta * beta
    poly = 47 * x * b2 * b2 + alpha * ((43 + 20 * (16 + 27 * beta) * x) * b2 * beta + alpha * (
        3 * (59 + 180 * beta - 90 * x) * b2 + alpha * ((453 + 1620 * beta * (1 - x) - 455 * x) * beta + alpha * (
            8 * (1 - x) * (135 * beta - 11)))))
    near = ((1 + 12 * alpha) * (1 + 12 * beta) / (total * total) / (1 - x) * poly
            / (12960 * alpha.pow(3) * b2 * (1 + 12 * total)))
    stirling = ((1 + 1 / (12 * alpha) + 1 / (288 * alpha * alpha)) * (1 + 1 / (12 * beta) + 1 / (288 * b2))
                / (1 + 1 / (12 * total) + 1 / (288 * total * total)))
    axbx = alpha * (x - 1) + beta * x
    term1 = ((2 * alpha * alpha * (x - 1) + alpha * beta * (x - 1) - x * b2)
             / ((2 * alpha / beta).sqrt() * total.pow(1.5) * axbx * axbx))
    term2 = 0.5 * (alpha / (total * x)).log()
    term3 = (8 * alpha * beta / total).sqrt() / axbx
    term4 = (beta * (beta / (total * (1 - x))).log() + alpha * (alpha / (total * x)).log()).pow(-1.5)
    far = stirling * (-x / (2 * alpha * beta / total).sqrt()) * (term1 + term2 * (term3 + where(x < mean, term4,
                                                                                                    -term4)))
    return where((mean - 0.1 * std <= x) & (x <= mean + 0.1 * std), near, far)


def _dirichlet_grad(x, alpha, total):
    """torch._dirichlet_grad: -(d/d alpha CDF(x; alpha, total - alpha)) / pdf / (1 - x) of Beta draws x, the
    Dirichlet's reparameterized gradient, with torch's four approximations (computed in float64)."""
    dtype = x.dtype
    x, alpha, total = x.double(), alpha.double(), total.double()
    beta = total - alpha
    boundary = total * x * (1 - x)
    u = x.log()
    a = alpha.log() - u
    b = total.log() - a
    p, q = 0, 0
    for i, pu in enumerate((1, u, u * u)):
        for j, pa in enumerate((1, a, a * a)):
            cp, cq = _DIRICHLET_COEF[0][i][j], _DIRICHLET_COEF[1][i][j]
            p = p + pu * pa * (cp[0] + b * (cp[1] + b * (cp[2] + b * cp[3])))
            q = q + pu * pa * (cq[0] + b * (cq[1] + b * (cq[2] + b * cq[3])))
    rational = p / q * (x * (_digamma(total) - _digamma(alpha)) / beta)
    result = where((alpha > 6) & (beta > 6), _beta_grad_alpha_mid(x, alpha, beta), rational)
    result = where((x >= 0.5) & (boundary < 0.75), -_beta_grad_beta_small(1 - x, beta, alpha), result)
    return where((x <= 0.5) & (boundary < 2.5), _beta_grad_alpha_small(x, alpha, beta), result).to(dtype)


@on_host
def _standard_gamma(input, generator=None):
    """torch._standard_gamma: a standard Gamma(input) draw per element (float32 or float64), in order from the CPU
    generator as torch's CPU kernel draws them (CUDA tensors: drawn on the host and copied back); differentiable."""
    _check_floating(input, "gamma_cpu")
    with drawing_from(generator):
        return NN_OPS["_standard_gamma"].apply(input)


@on_host
def _sample_dirichlet(input, generator=None):
    """torch._sample_dirichlet: Dirichlet(input) draws over the last dimension: float64 standard gamma draws,
    normalized, kept in [tiny, the float below 1] of input's dtype (torch's CPU kernel); not differentiable."""
    _check_floating(input, "dirichlet")
    with drawing_from(generator):
        gamma = _wrap(_C._standard_gamma(input.detach().double()._impl))
    finfo = _dtype.finfo(input.dtype)
    return (gamma / gamma.sum(-1, keepdim=True)).to(input.dtype).clamp(finfo.tiny, 1 - finfo.eps / 2)


@on_host
def binomial(count, prob, generator=None):
    """torch.binomial: a Binomial(count, prob) draw per element of their broadcast shape, in count's dtype (float32 or
    float64, prob of the same), in order from the CPU generator as torch's CPU kernel draws them (BTRS for count * p
    of 10 and more, geometric waiting times below); not differentiable."""
    if not count.dtype.is_floating_point:
        raise ValueError(f"binomial only supports floating-point dtypes for count, got: {count.dtype._legacy[:-6]}")
    if prob.dtype != count.dtype:
        raise RuntimeError(f"Found dtype {prob.dtype._legacy[:-6]} but expected {count.dtype._legacy[:-6]}")
    _check_floating(count, "binomial_cpu")
    count, prob = broadcast_tensors(count.detach(), prob.detach())
    with drawing_from(generator):
        return _wrap(_C.binomial(count._impl, prob._impl))


METHODS = {}
FUNCTIONS = {"_standard_gamma": _standard_gamma, "_standard_gamma_grad": _standard_gamma_grad,
             "_sample_dirichlet": _sample_dirichlet, "_dirichlet_grad": _dirichlet_grad, "binomial": binomial}
