"""The base of torch.distributions: shapes, sampling entry points and argument validation as torch's."""
import numbers

from .. import _dtype
from ..autograd.grad_mode import no_grad
from .._device import Size
from .._shape_ops import broadcast_tensors
from ..tensor import Tensor, tensor
from . import constraints

_validate_default = [True]  # torch validates by default (Distribution.set_default_validate_args)


def broadcast_all(*values):
    """The parameters as tensors of one broadcast shape (numbers take the first tensor's dtype and device, else the
    default float dtype)."""
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of Number, torch.Tensor or objects implementing "
                         "__torch_function__.")
    like = next((v for v in values if isinstance(v, Tensor)), None)
    dtype = like.dtype if like is not None else _dtype.get_default_dtype()
    device = like.device if like is not None else None
    ts = [v if isinstance(v, Tensor) else tensor(v, dtype=dtype, device=device) for v in values]
    return broadcast_tensors(*ts)


class Distribution:
    has_rsample = False
    has_enumerate_support = False
    arg_constraints = {}
    support = None
    _validate_args = True  # (torch's class default, __debug__; __init__ sets the instance's)

    @staticmethod
    def set_default_validate_args(value):
        if value not in (True, False):
            raise ValueError
        _validate_default[0] = value

    def __init__(self, batch_shape=Size(), event_shape=Size(), validate_args=None):
        self._batch_shape, self._event_shape = Size(batch_shape), Size(event_shape)
        self._validate_args = _validate_default[0] if validate_args is None else validate_args
        if self._validate_args:
            for name, constraint in self.arg_constraints.items():
                if constraints.is_dependent(constraint) or (name not in self.__dict__ and not isinstance(
                        getattr(type(self), name, None), property)):
                    continue  # (a parameter given the other way: probs for logits; a property is checked: Chi2.df)
                value = getattr(self, name)
                if not constraint.check(value).all().item():
                    raise ValueError(f"Expected parameter {name} ({type(value).__name__} of shape "
                                     f"{tuple(value.shape)}) of distribution {self!r} to satisfy the constraint "
                                     f"{constraint!r}, but found invalid values:\n{value}")

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    @property
    def mean(self):
        raise NotImplementedError

    @property
    def mode(self):
        raise NotImplementedError(f"{self.__class__} does not implement mode")

    @property
    def variance(self):
        raise NotImplementedError

    @property
    def stddev(self):
        return self.variance.sqrt()

    def expand(self, batch_shape, _instance=None):
        """This distribution with its batch shape broadcast to batch_shape (torch's expand): every tensor attribute
        and inner distribution led by the batch shape is expanded (views: no copies, no draws), the rest shared."""
        batch_shape = Size(batch_shape)
        new = _instance if _instance is not None else type(self).__new__(type(self))
        n = len(self._batch_shape)
        for name, value in self.__dict__.items():
            if isinstance(value, Tensor) and tuple(value.shape[:n]) == tuple(self._batch_shape):
                value = value.expand(*batch_shape, *value.shape[n:])
            elif isinstance(value, Distribution) and tuple(value.batch_shape[:n]) == tuple(self._batch_shape):
                value = value.expand(Size(tuple(batch_shape) + tuple(value.batch_shape[n:])))
            new.__dict__[name] = value
        new._batch_shape = batch_shape
        return new

    def _get_checked_instance(self, cls, _instance=None):
        """The instance a subclass's expand fills: _instance, or a new uninitialized one of this type (refused when
        this type's __init__ is not cls's: such a subclass must define its own expand, as torch says)."""
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(f"Subclass {type(self).__name__} of {cls.__name__} that defines a custom "
                                      "__init__ method must also define a custom .expand() method.")
        return type(self).__new__(type(self)) if _instance is None else _instance

    def _extended_shape(self, sample_shape=Size()):
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def sample(self, sample_shape=Size()):
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=Size()):
        raise NotImplementedError

    def sample_n(self, n):
        return self.sample(Size((n,)))

    def log_prob(self, value):
        raise NotImplementedError

    def cdf(self, value):
        raise NotImplementedError

    def icdf(self, value):
        raise NotImplementedError

    def enumerate_support(self, expand=True):
        raise NotImplementedError

    def entropy(self):
        raise NotImplementedError

    def perplexity(self):
        return self.entropy().exp()

    def _validate_sample(self, value):
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        if not self._validate_args:
            return
        shape, expected = value.size(), self._batch_shape + self._event_shape
        if shape[len(shape) - len(self._event_shape):] != self._event_shape:
            raise ValueError(f"The right-most size of value must match event_shape: {shape} vs {self._event_shape}.")
        if any(i != 1 and j != 1 and i != j for i, j in zip(reversed(shape), reversed(expected))):
            raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: {shape} vs {expected}.")
        support = self.support
        if support is None:
            return
        if not support.check(value).all().item():
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape {tuple(value.shape)}) to be "
                             f"within the support ({support!r}) of the distribution {self!r}, but found invalid "
                             f"values:\n{value}")

    def __repr__(self):
        names = [k for k in self.arg_constraints if k in self.__dict__]
        args = ", ".join(f"{k}: {self.__dict__[k].size() if self.__dict__[k].numel() != 1 else self.__dict__[k]}"
                         for k in names)
        return f"{type(self).__name__}({args})"


def clamp_probs(probs):
    """probs kept eps away from 0 and 1 (eps of its dtype), so their logits are finite, as torch's."""
    eps = _dtype.finfo(probs.dtype).eps
    return probs.clamp(eps, 1 - eps)


class ProbsOrLogits(Distribution):
    """A distribution given by `probs` or by `logits` (not both): the other is computed on first use."""

    def _set_param(self, probs, logits):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        self._param = probs if probs is not None else logits
        self.__dict__["probs" if probs is not None else "logits"] = self._param

    def __getattr__(self, name):
        if name == "probs":
            value = self._probs_from_logits(self.__dict__["logits"])
        elif name == "logits":
            value = self._logits_from_probs(self.__dict__["probs"])
        else:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        self.__dict__[name] = value
        return value

    @property
    def param_shape(self):
        return self._param.size()
