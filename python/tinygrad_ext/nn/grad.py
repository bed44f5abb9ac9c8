"""torch.nn.grad: the gradients of conv1d/conv2d/conv3d with respect to their input and their weight, given the
output's gradient (conv*d_input takes the input's shape, conv*d_weight the weight's shape).

2-d: torch's convolution_backward row (its kernel; differentiable, as torch's, through the row's double
backward). 1-d: the same row on a unit height. 3-d (conv3d is a sum of 2-d convolutions here): the
vector-Jacobian product of F.conv3d, which is linear in the differentiated argument, taken at a zero argument."""
from .. import _ops
from ..autograd.engine import grad as _engine_grad
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..tensor import _named
from . import functional as F

__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input", "conv3d_weight"]


def _stand_in(grad_output, size):
    """A tensor of the given shape for an argument of which only the shape is read (torch's expand of a
    one-element new_empty)."""
    return grad_output.new_empty(1).expand(*size)


def _backward_2d(grad_output, input, weight, stride, padding, dilation, groups, mask):
    stride, padding = F._pair(stride, "stride", "conv"), F._pair(padding, "padding", "conv")
    dilation = F._pair(dilation, "dilation", "conv")
    return _ops.NN_OPS["convolution_backward"].apply(grad_output, input, weight, stride, padding, dilation, False,
                                                     (0, 0), int(groups), mask)


def conv1d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    input = _stand_in(grad_output, input_size)
    out = _backward_2d(grad_output.unsqueeze(2), input.unsqueeze(2), weight.unsqueeze(2), (1, *F._single(stride)),
                       (0, *F._single(padding)), (1, *F._single(dilation)), groups,
                       (True, False, False))[0].squeeze(2)
    return _named(out, "ConvolutionBackwardBackward0")  # (torch's node: one convolution_backward)


def conv1d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    weight = _stand_in(grad_output, weight_size)
    out = _backward_2d(grad_output.unsqueeze(2), input.unsqueeze(2), weight.unsqueeze(2), (1, *F._single(stride)),
                       (0, *F._single(padding)), (1, *F._single(dilation)), groups,
                       (False, True, False))[1].squeeze(2)
    return _named(out, "ConvolutionBackwardBackward0")


def conv2d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    input = _stand_in(grad_output, input_size)
    return _backward_2d(grad_output, input, weight, stride, padding, dilation, groups, (True, False, False))[0]


def conv2d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    weight = _stand_in(grad_output, weight_size)
    return _backward_2d(grad_output, input, weight, stride, padding, dilation, groups, (False, True, False))[1]


def _conv3d_vjp(at, conv, grad_output, others):
    """d(conv(at) . grad_output)/d(at) for conv linear in `at` (a zero tensor of the wanted shape)."""
    create_graph = is_grad_enabled() and any(t.requires_grad for t in (grad_output, *others))
    with enable_grad():
        leaf = at.zero_().requires_grad_(True)
        out = _engine_grad([conv(leaf)], [leaf], [grad_output], create_graph=create_graph)[0]
    return _named(out, "ConvolutionBackwardBackward0")


def conv3d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    zero = grad_output.new_empty(tuple(input_size))
    return _conv3d_vjp(zero, lambda x: F.conv3d(x, weight, None, stride, padding, dilation, groups), grad_output,
                       (weight,))


def conv3d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    zero = grad_output.new_empty(tuple(weight_size))
    return _conv3d_vjp(zero, lambda w: F.conv3d(input, w, None, stride, padding, dilation, groups), grad_output,
                       (input,))
