"""torch.autograd: backward, grad, Function, grad modes, anomaly detection, gradcheck, Variable."""
import warnings

from .._tensor_base import ONLY_FLOATING_GRAD as _ONLY_FLOATING_GRAD
from .._tensor_base import Tensor as _Tensor
from . import anomaly_mode, engine, forward_ad, function, grad_mode, graph
from .anomaly_mode import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import backward, grad
from .function import Function, once_differentiable
from .grad_mode import (enable_grad, enforce_grad_layout_policy, inference_mode, is_grad_enabled, no_grad,
                        set_grad_enabled)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        return isinstance(other, _Tensor)


class Variable(metaclass=_VariableMeta):
    """The 2017 API: Variable(tensor, requires_grad=...) is the tensor itself now. It returns a tensor
    sharing the data (not tracked), with requires_grad set; isinstance(t, Variable) holds for any Tensor."""

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                          UserWarning, stacklevel=2)
        if data is None:
            data = _Tensor()  # (torch.Tensor(): an empty 1-D tensor of the default dtype)
        if not isinstance(data, _Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        t = data.detach()
        if requires_grad:
            t._set_requires_grad(True, _ONLY_FLOATING_GRAD)
        return t


__all__ = [
    "Function",
    "GradcheckError",
    "Variable",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "forward_ad",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "enforce_grad_layout_policy",
    "inference_mode",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
    "once_differentiable",
    "set_detect_anomaly",
    "set_grad_enabled",
]
