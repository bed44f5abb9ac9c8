"""torch._foreach_<op>: the op applied to every tensor of a list (torch's multi-tensor API, which optimizers, EMA
and gradient-clipping code call directly). The other operand is a number, a list of numbers or of tensors (one
per tensor) or one tensor; out-of-place forms return a tuple, in-place forms (`_`) write each tensor and return
the list they were given, as torch's. Each element is the Tensor op itself (its kernel, its checks)."""
from .tensor import Tensor

_UNARY = ("abs", "acos", "asin", "atan", "ceil", "cos", "cosh", "erf", "erfc", "exp", "expm1", "floor", "frac",
          "lgamma", "log", "log10", "log1p", "log2", "neg", "reciprocal", "round", "sigmoid", "sign", "sin", "sinh",
          "sqrt", "tan", "tanh", "trunc")
_BINARY = ("add", "sub", "mul", "div", "maximum", "minimum", "clamp_min", "clamp_max", "pow")
_TERNARY = ("addcmul", "addcdiv")


def _check(name, tensors, *others):
    """torch's list checks: a non-empty list of tensors, and every list operand as long as it."""
    if not isinstance(tensors, (list, tuple)) or not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError(f"_foreach_{name}(): argument 'self' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    if not tensors:
        raise RuntimeError("Tensor list must have at least one tensor.")
    for other in others:
        if isinstance(other, (list, tuple)) and len(other) != len(tensors):
            if all(isinstance(o, Tensor) for o in other):
                raise RuntimeError(f"Tensor lists must have the same number of tensors, got {len(tensors)} and "
                                   f"{len(other)}")
            raise RuntimeError("Tensor list must have same number of elements as scalar list.")


def _at(other, i):
    return other[i] if isinstance(other, (list, tuple)) else other


def _no_alpha(name, other, kwargs):
    """alpha= goes with a tensor operand only (torch's overloads: a number or a list of numbers take none)."""
    if kwargs and not (isinstance(other, Tensor) or isinstance(other, (list, tuple)) and other and
                       isinstance(other[0], Tensor)):
        raise TypeError(f"_foreach_{name}() received an invalid combination of arguments - got an alpha with "
                        f"{type(other).__name__} operands (alpha goes with a list of tensors or a tensor)")


def _unary(name):
    def fn(self):
        _check(name, self)
        return tuple(getattr(t, name)() for t in self)

    def fn_(self):
        _check(name + "_", self)
        for t in self:
            getattr(t, name + "_")()
        return self
    return fn, fn_


_WITH_NUMBER = {"maximum": "clamp_min", "minimum": "clamp_max"}  # (maximum/minimum of a tensor and a number)


def _method(name, operand):
    return _WITH_NUMBER.get(name, name) if not isinstance(operand, Tensor) else name


def _binary(name):
    def fn(self, other, **alpha):
        _check(name, self, other)
        _no_alpha(name, other, alpha)
        return tuple(getattr(t, _method(name, _at(other, i)))(_at(other, i), **alpha) for i, t in enumerate(self))

    def fn_(self, other, **alpha):
        _check(name + "_", self, other)
        _no_alpha(name + "_", other, alpha)
        for i, t in enumerate(self):
            method = _method(name, _at(other, i))
            if hasattr(Tensor, method + "_"):
                getattr(t, method + "_")(_at(other, i), **alpha)
            else:  # (maximum/minimum of two tensors have no in-place method: the result written back)
                t.copy_(getattr(t, method)(_at(other, i)))
        return self
    return fn, fn_


def _scalar_at(value, i):
    """The i-th of addcmul/addcdiv's `scalars`: a number, a list of numbers or a 1-D tensor of them."""
    return value[i].item() if isinstance(value, Tensor) else _at(value, i)


def _ternary(name):
    def fn(self, tensor1, tensor2, value=1):
        _check(name, self, tensor1, tensor2, value)
        return tuple(getattr(t, name)(tensor1[i], tensor2[i], value=_scalar_at(value, i)) for i, t in enumerate(self))

    def fn_(self, tensor1, tensor2, value=1):
        _check(name + "_", self, tensor1, tensor2, value)
        for i, t in enumerate(self):
            getattr(t, name + "_")(tensor1[i], tensor2[i], value=_scalar_at(value, i))
        return self
    return fn, fn_


def _lerp():
    def fn(self, tensors1, weight):
        _check("lerp", self, tensors1, weight)
        return tuple(t.lerp(tensors1[i], _at(weight, i)) for i, t in enumerate(self))

    def fn_(self, tensors1, weight):
        _check("lerp_", self, tensors1, weight)
        for i, t in enumerate(self):
            t.lerp_(tensors1[i], _at(weight, i))
        return self
    return fn, fn_


def _foreach_zero_(self):
    _check("zero_", self)
    for t in self:
        t.zero_()
    return self


def _foreach_copy_(self, src, non_blocking=False):
    _check("copy_", self, src)
    for t, s in zip(self, src):
        t.copy_(s, non_blocking=non_blocking)
    return self


def _foreach_norm(self, ord=2, dtype=None):
    _check("norm", self)
    return tuple(t.norm(ord, dtype=dtype) if dtype is not None else t.norm(ord) for t in self)


def _foreach_max(self):
    _check("max", self)
    return tuple(t.max() for t in self)


def _pow(self, exponent):
    """_foreach_pow(tensors, exponent), or (number, tensors): the number raised to each tensor."""
    if isinstance(self, (int, float)) and not isinstance(self, bool):
        _check("pow", exponent)
        return tuple(self ** t for t in exponent)
    return _binary_pow(self, exponent)


FUNCTIONS = {"_foreach_zero_": _foreach_zero_, "_foreach_copy_": _foreach_copy_, "_foreach_norm": _foreach_norm,
             "_foreach_max": _foreach_max}
for _names, _make in ((_UNARY, _unary), (_BINARY, _binary), (_TERNARY, _ternary), (("lerp",), lambda _: _lerp())):
    for _name in _names:
        _fn, _fn_ = _make(_name)
        _fn.__name__, _fn_.__name__ = f"_foreach_{_name}", f"_foreach_{_name}_"
        FUNCTIONS[_fn.__name__], FUNCTIONS[_fn_.__name__] = _fn, _fn_
_binary_pow = FUNCTIONS["_foreach_pow"]
FUNCTIONS["_foreach_pow"] = _pow
del _names, _make, _name, _fn, _fn_
