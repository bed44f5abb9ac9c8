"""nn.functional's less common functions written with Tensor ops: gumbel_softmax, pdist, channel_shuffle and
rrelu."""
from .. import _C, _ops
from .._dtype import bfloat16, float16, float32, float64
from .._shape_ops import triu_indices
from ..autograd.grad_mode import no_grad
from ..tensor import _named, _needs_grad, _wrap, empty, empty_like, ones_like, tensor, zeros_like


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """softmax((logits + Gumbel(0, 1) noise) / tau) over dim; hard: the one-hot of its argmax in the forward
    pass, the soft sample's gradient in the backward pass (straight-through). `eps` is unused, as in torch."""
    gumbels = -empty_like(logits).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim, keepdim=True)
    y_hard = zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


def pdist(input, p=2):
    """The p-norm distance between every pair of rows i < j of an N x M input: N (N - 1) / 2 values in row-major
    order of the pairs."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    i, j = triu_indices(input.shape[0], input.shape[0], 1, device=input.device)
    return (input[i] - input[j]).norm(p, dim=1)


def channel_shuffle(input, groups):
    """(N, C, *) with its C channels, seen as groups x C/groups, transposed to C/groups x groups (ShuffleNet)."""
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    n, c, *rest = input.shape
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    return input.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(n, c, *rest)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: inputs <= 0 scaled by a slope drawn from U(lower, upper) per element in training
    (torch's draws: one float64 uniform per such element, in row-major order, between the bounds rounded to the
    float32-or-wider compute type, the product in that type), by (lower + upper) / 2 otherwise."""
    def compute(x):
        if training:
            opmath = float32 if x.dtype in (float16, bfloat16) else x.dtype
            with no_grad():
                negative = x <= 0
                lo, hi = tensor([lower, upper], dtype=opmath).tolist()  # torch rounds the bounds to opmath first
                unit = empty(int(negative.sum()), dtype=float64, device=x.device).uniform_()
                draws = unit * (hi - lo) + lo  # torch's rrelu scales without fusing, unlike its uniform_ kernel
                slope = ones_like(x, dtype=opmath).masked_scatter_(negative, draws.to(opmath))
            return _named((x.to(opmath) * slope).to(x.dtype), "RreluWithNoiseBackward1" if inplace else
                          "RreluWithNoiseBackward0")
        slope = (lower + upper) / 2  # (torch's eval rrelu: leaky_relu with the mean slope, one node)
        out = _ops.LeakyRelu.apply(x, slope) if _needs_grad(x) else _wrap(_C.leaky_relu(x._impl, slope))
        return _named(out, "RreluWithNoiseBackward1" if inplace else "RreluWithNoiseBackward0")

    if not inplace:
        return compute(input)

    def written(x):  # (the in-place node: ...Backward1, which keeps input itself, as torch's)
        out = compute(x)
        if out.grad_fn is not None:
            out.grad_fn._saves_result = True
        return out

    return input._inplace_from(written)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, inplace=True)
