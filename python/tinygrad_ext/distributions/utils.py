"""torch.distributions.utils: broadcast_all, the probs/logits conversions, clamp_probs, lazy_property and the
lower-triangle <-> vector packing, with torch's names and behaviour."""
import functools

from .. import _dtype
from ..autograd.grad_mode import enable_grad
from ..tensor import arange
from .distribution import broadcast_all, clamp_probs
from .independent import _sum_rightmost  # noqa: F401 (torch keeps this private helper here)

__all__ = ["broadcast_all", "logits_to_probs", "clamp_probs", "probs_to_logits", "lazy_property",
           "tril_matrix_to_vec", "vec_to_tril_matrix"]

euler_constant = 0.57721566490153286060  # the Euler-Mascheroni constant


def logits_to_probs(logits, is_binary=False):
    """Probabilities from logits: sigmoid of log-odds (is_binary) or softmax over the last dim."""
    return logits.sigmoid() if is_binary else logits.softmax(-1)


def probs_to_logits(probs, is_binary=False):
    """Logits from probabilities (clamped into (0, 1) first): log-odds (is_binary) or log-probabilities."""
    p = clamp_probs(probs)
    return p.log() - (-p).log1p() if is_binary else p.log()


class lazy_property:
    """A decorator: the wrapped method runs (with grad enabled) on first access and its value replaces it as an
    instance attribute; on the class it reads as a property."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        functools.update_wrapper(self, wrapped)

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):
    """A lazy_property seen on the class: also a property (what validation and documentation tools look for)."""

    def __init__(self, wrapped):
        property.__init__(self, wrapped)


def _tril_mask(n, diag, device):
    idx = arange(n, device=device)
    return idx < idx.view(-1, 1) + (diag + 1)


def tril_matrix_to_vec(mat, diag=0):
    """The entries on and below diagonal `diag` of the (batched) square matrix mat, row by row."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    return mat[..., _tril_mask(n, diag, mat.device)]


def vec_to_tril_matrix(vec, diag=0):
    """The (batched) square matrix whose entries on and below diagonal `diag` are vec's, row by row (zeros
    elsewhere): the inverse of tril_matrix_to_vec."""
    b = 1 + 2 * diag
    n = (-b + (b ** 2 + 8 * vec.shape[-1] + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    if round(n) - n > _dtype.finfo(vec.dtype).eps:  # (as torch: only a root rounded up is refused)
        raise ValueError(f"The size of last dimension is {vec.shape[-1]} which cannot be expressed as the lower "
                         "triangular part of a square D x D matrix.")
    n = round(n)
    mat = vec.new_zeros(tuple(vec.shape[:-1]) + (n, n))
    mat[..., _tril_mask(n, diag, vec.device)] = vec
    return mat
