"""torch's sampling ops written on the core's random kernels, with torch's draws: bernoulli (probabilities from a
tensor, or one p) and multinomial (with replacement: the inverse of each row's cumulative distribution at uniform
draws, found by searchsorted; without, or one sample: the largest p / q for q ~ Exponential(1), the Gumbel-max
trick, which draws the same distribution as sampling one category at a time and removing it)."""
from . import _dtype, _ops
from ._generator import drawing_from
from ._reduction_ops import searchsorted
from .autograd.grad_mode import no_grad
from .tensor import empty, empty_like


def bernoulli(input, p=None, *, generator=None):
    """1 with probability input (or p), else 0, in input's dtype; input's gradient is zero, as torch's."""
    if p is None and not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for '{input.dtype._legacy[:-6]}'")
    with drawing_from(generator):
        if p is not None:
            with no_grad():
                return empty_like(input).bernoulli_(p)
        with no_grad():
            if ((input < 0) | (input > 1)).any().item():
                raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error "
                                   "message be improved?  If so, please report an enhancement request to PyTorch.)")
        return _ops.REGISTERED["bernoulli"].apply(input)  # (the registry's row: a zero gradient)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """num_samples category indices per row of input (1-d or 2-d, non-negative weights), int64."""
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{input.dtype._legacy[:-6]}")
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n = input.shape[-1]
    if not replacement and num_samples > n:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    with no_grad(), drawing_from(generator):
        rows = input if input.dim() == 2 else input.unsqueeze(0)
        if rows.numel():
            negative = ~(rows >= 0)  # (also true for NaN)
            bad = negative | rows.isinf()
            if replacement and num_samples > 1:
                _check_cdf_rows(rows, negative, bad)
            else:
                if bad.any().item():
                    raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
                if (rows.sum(-1) <= 0).any().item():
                    raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if replacement and num_samples > 1:
            cdf = rows.double().cumsum(-1)
            cdf = cdf / cdf[:, -1:]  # the last value exactly 1, above every draw
            u = empty(cdf.shape[0], num_samples, dtype=_dtype.float64, device=input.device).uniform_()
            result = searchsorted(cdf, u, right=True)
        else:  # torch's: the largest p / q, q ~ Exponential(1) in input's dtype (the Gumbel-max trick, exponentiated)
            keys = rows / empty_like(rows).exponential_(1)
            result = keys.argmax(-1, keepdim=True) if num_samples == 1 else keys.topk(num_samples, -1).indices
    return result if input.dim() == 2 else result.squeeze(0)


def _check_cdf_rows(rows, negative, bad):
    """torch's checks while it builds each row's cumulative distribution (multinomial with replacement, more than
    one sample): row by row, each entry in order (< 0 or NaN, then infinite), then the row's sum."""
    failing = bad.any(-1) | (rows.sum(-1) <= 0)
    if not failing.any().item():
        return
    r = int(failing.int().argmax().item())
    if bad[r].any().item():
        j = int(bad[r].int().argmax().item())
        what = "< 0" if negative[r, j].item() else "= infinity or NaN"
        raise RuntimeError(f"invalid multinomial distribution (encountering probability entry {what})")
    raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


def _tensor_bernoulli(self, p=None, *, generator=None):
    return bernoulli(self, p, generator=generator)


def _tensor_multinomial(self, num_samples, replacement=False, *, generator=None):
    return multinomial(self, num_samples, replacement, generator=generator)


_tensor_bernoulli.__name__, _tensor_multinomial.__name__ = "bernoulli", "multinomial"
# Tensor.<name> (installed by __init__) and torch.<name>
METHODS = {"bernoulli": _tensor_bernoulli, "multinomial": _tensor_multinomial}
FUNCTIONS = {"bernoulli": bernoulli, "multinomial": multinomial}
