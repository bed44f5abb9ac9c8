"""The op registry: every elementwise kernel op, declared once.

An entry names the op (torch's name), its C++ functor (csrc/ops/elementwise.h), its family (the dtype
rule), the derivative of each differentiable input written with Tensor ops, and optionally a fused
backward kernel that specializes that formula when no higher-order graph is built. From it:

- at build time, CMake runs this file (`python _registry.py --generate DIR`) to write the X-macro lists
  that csrc/cpu, csrc/cuda and csrc/bindings expand (the kernels, the CUDA stubs, the `_C` functions), and
  the declarations and bindings of the other front ends (FRONT_ENDS);
- at import, _ops.py makes one autograd op class per entry with formulas, tensor.py the Tensor method
  and its in-place `name_`, and __init__.py the torch.<name> function with `out=`;
- in the tests, tests/test_registry.py checks every entry's value against its numpy reference (`ref`)
  and its gradients with gradcheck.

Families (dtype rules, as torch's):
  unary_float   integer and bool inputs compute in the default float dtype (exp, sin, ...)
  unary_floating  floating inputs only, integer and bool inputs raise NotImplementedError (gelu, elu, ...)
  unary         keeps the input dtype (neg, abs, floor, ...)
  unary_int     bool and integer inputs only (bitwise_not)
  binary        the promoted dtype of both operands (add, mul, ...)
  binary_float  the promoted dtype, integers promoted to the default float dtype (div, hypot, ...)
  binary_floating  the promoted dtype, which must be floating (logaddexp, lerp, ...)
  compare       bool result (eq, lt, logical_and, ...)
  binary_int    bool and integer operands only (bitwise_and, <<, ...)

Scalar parameters (elu's alpha, softplus's beta and threshold) are `params=(("alpha", 1.0), ...)`: the
functor gets them as its members in that order (`struct EluOp { double alpha, scale, input_scale; ... }`),
the Python side as arguments after the tensors, with those defaults, and the formulas by name. A fused
backward kernel of such an op is declared with the same params and receives the same values.

Formulas use `grad`, `self`, `other` and `result` (the forward output), as torch's derivatives.yaml;
binary gradients are summed back to each operand's shape automatically. `functional('name')` calls another
entry that has no Tensor method (i0's derivative is i1), and `not_implemented('what')` marks an input torch
has no derivative for (zeta's first: backward raises NotImplementedError, and the tests' gradcheck skips it;
`not_implemented('aten::name')` is torch's RuntimeError of an op without any formula, floor_divide's).
Formulas may call torch's named helpers (pow_backward, pow_backward_self, pow_backward_exponent: _ops.py) and
test `isinstance(other, Tensor)` where an operand may be a Python number. A binary op whose overloads torch names
apart gives `nodes` (tensor-tensor, tensor-scalar, scalar-tensor: pow's PowBackward1/0/2); an overload named
"torch::autograd::NotImplemented" (floor_divide) records that node, whose backward raises as torch's.

A unary op whose kernel is a hand-written `_C` function (clamp, leaky_relu, clone, _to_copy) names it in `kernel`
(called as kernel(input, *params), no functor: the row is left out of the C++ lists, the fusion and the generic
test rows; tests/test_registry_pointwise.py has its rows). A formula reading `self` only as self.dtype or
self.shape/self.device saves no tensor (torch's saved self.options()/self.sym_sizes()): clone and _to_copy keep no
input alive.
A kernel row with several operands lists them in `inputs` (each a Tensor, a number or None; the kernel gets them
in that order, then the params; `grad` has one formula or None per operand, over grad, the operands and the
params); its `nodes` is torch's node name, or the names when its last operand is a Tensor and when it is not
(masked_fill's MaskedFillBackward1/0: that operand then has an edge only when a Tensor). Its kernel is
`_C.<kernel>` or one of _ops._KERNELS (masked_fill: clone, then fill; _to_copy: to a device, then a dtype).
`python` says how the op reaches Python: "generated" (method, in-place, torch function with out=, all from this entry),
"functional" (only the autograd op and `_ops.functional(name)`, for nn.functional: gelu, elu, ...),
"manual" (tensor.py wires it by hand: operators with extra arguments such as alpha, or backward rules
with special cases, e.g. pow's), or None (an internal kernel such as a fused gradient).

This file must stay importable on its own (no package imports): the build runs it before the package
exists.
"""
import math
import sys

FAMILIES = ("unary_float", "unary_floating", "unary", "unary_int", "binary", "binary_float", "binary_floating",
            "compare", "binary_int")
MAX_PARAMS = 4  # OpParams in csrc/ops/elementwise.h


class Entry:
    __slots__ = ("name", "functor", "family", "grad", "fused", "ref", "python", "domain", "params", "nodes", "kernel",
                 "inputs")

    def __init__(self, name, functor, family, grad=None, fused=None, ref=None, python="generated", domain=None,
                 params=(), nodes=None, kernel=None, inputs=()):
        assert family in FAMILIES, family
        assert len(params) <= MAX_PARAMS, name
        self.name, self.functor, self.family = name, functor, family
        self.params = tuple(params)  # ((name, default), ...): the functor's members, in order
        self.grad = (grad,) if isinstance(grad, str) else grad  # one formula per input, None: not differentiable
        self.fused = fused      # (kernel, arg names): the formula as one fused kernel, used without create_graph
        self.ref = ref          # the numpy function the tests compare with ("np.exp", "lambda a: ...")
        self.python = python
        self.domain = domain    # (lo, hi) of the test inputs, where the op is only defined on part of the line
        self.nodes = nodes      # binary: torch's node names of its overloads (tensor-tensor, tensor-scalar,
        #                         scalar-tensor); unary: torch's node name where it is not the name's + "Backward0"
        self.kernel = kernel    # a hand-written `_C` function called as kernel(input, *params), no functor
        self.inputs = tuple(inputs)  # the operands of a kernel row with several (where's condition, self, other)

    @property
    def unary(self):
        return self.family.startswith("unary")

    def doc(self, name):
        """The docstring of Tensor.<name>, Tensor.<name>_ and torch.<name>: signature, dtype rule, derivatives."""
        args = (["input"] if self.unary else ["input", "other"]) + [f"{p}={d!r}" for p, d in self.params]
        head = f"{name}({', '.join(args)}{'' if name.endswith('_') else ', *, out=None'}) -> Tensor"
        what = f"In-place version of {self.name}." if name.endswith("_") else f"{self.name}, elementwise."
        grads = "; ".join(f"d/d{arg}: {g}" for arg, g in zip(("self", "other"), self.grad or ()) if g)
        return "\n".join([head, "", what, f"dtypes: {FAMILY_RULES[self.family]}.",
                          f"Derivative: {grads}." if grads else "Not differentiable."])


FAMILY_RULES = {
    "unary_float": "integer and bool inputs compute in the default float dtype",
    "unary_floating": "floating inputs only (integer and bool inputs raise NotImplementedError)",
    "unary": "the result keeps the input's dtype",
    "unary_int": "bool and integer inputs only",
    "binary": "the promoted dtype of both operands",
    "binary_float": "the promoted dtype, integers promoted to the default float dtype",
    "binary_floating": "the promoted dtype, which must be floating",
    "compare": "a bool result",
    "binary_int": "bool and integer operands only",
}


_LN2, _LN10, _2_SQRTPI = math.log(2.0), math.log(10.0), 2.0 / math.sqrt(math.pi)
_SQRTPI_2, _SQRT1_2, _1_SQRT2PI = math.sqrt(math.pi) / 2, math.sqrt(0.5), 1 / math.sqrt(2 * math.pi)
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946  # F.selu
ELU_PARAMS = (("alpha", 1.0), ("scale", 1.0), ("input_scale", 1.0))  # selu and celu are elu with these set
SOFTPLUS_PARAMS = (("beta", 1.0), ("threshold", 20.0))
_MASK = "{}.to(grad.dtype)"  # a comparison as 0/1 in the gradient's dtype
_ZERO = "grad.new_zeros(grad.shape)"  # piecewise constant: differentiable with a zero gradient, as torch's
# maximum/minimum (torch's): ties split the gradient half-half, the losing operand gets none; where an operand is NaN
# (no order) both get all of it. The arguments: where self loses, where other loses.


def _ties_halved(self_loses, other_loses):
    return tuple(f"(grad / 2).where(self == other, grad).masked_fill({loses}, 0)"
                 for loses in (self_loses, other_loses))


NOT_IMPLEMENTED = "torch::autograd::NotImplemented"  # torch's node where an overload has no derivative

E = Entry
OPS = [
    # ---- unary, float result
    E("exp", "ExpOp", "unary_float", "grad * result", ref="np.exp"),
    E("log", "LogOp", "unary_float", "grad / self", ref="np.log", domain=(0.1, 3)),
    E("sqrt", "SqrtOp", "unary_float", "grad / (2 * result)", ref="np.sqrt", domain=(0.1, 3)),
    E("rsqrt", "RsqrtOp", "unary_float", "-0.5 * grad * result * result * result", ref="lambda a: 1 / np.sqrt(a)",
      domain=(0.1, 3)),
    E("tanh", "TanhOp", "unary_float", "grad * (1 - result * result)", fused=("tanh_backward", "grad", "result"),
      ref="np.tanh"),
    E("sigmoid", "SigmoidOp", "unary_float", "grad * result * (1 - result)",
      fused=("sigmoid_backward", "grad", "result"), ref="lambda a: 1 / (1 + np.exp(-a))"),
    E("sin", "SinOp", "unary_float", "grad * self.cos()", ref="np.sin"),
    E("cos", "CosOp", "unary_float", "-grad * self.sin()", ref="np.cos"),
    E("tan", "TanOp", "unary_float", "grad * (1 + result * result)", ref="np.tan", domain=(-1.2, 1.2)),
    E("asin", "AsinOp", "unary_float", "grad * (1 - self * self).rsqrt()", ref="np.arcsin", domain=(-0.9, 0.9)),
    E("acos", "AcosOp", "unary_float", "-grad * (1 - self * self).rsqrt()", ref="np.arccos", domain=(-0.9, 0.9)),
    E("atan", "AtanOp", "unary_float", "grad / (1 + self * self)", ref="np.arctan"),
    E("sinh", "SinhOp", "unary_float", "grad * self.cosh()", ref="np.sinh"),
    E("cosh", "CoshOp", "unary_float", "grad * self.sinh()", ref="np.cosh"),
    E("asinh", "AsinhOp", "unary_float", "grad * (self * self + 1).rsqrt()", ref="np.arcsinh"),
    E("acosh", "AcoshOp", "unary_float", "grad * (self * self - 1).rsqrt()", ref="np.arccosh", domain=(1.1, 4)),
    E("atanh", "AtanhOp", "unary_float", "grad / (1 - self * self)", ref="np.arctanh", domain=(-0.9, 0.9)),
    E("log1p", "Log1pOp", "unary_float", "grad / (1 + self)", ref="np.log1p", domain=(-0.5, 3), nodes="Log1PBackward0"),
    E("expm1", "Expm1Op", "unary_float", "grad * (result + 1)", ref="np.expm1"),
    E("log2", "Log2Op", "unary_float", f"grad / (self * {_LN2!r})", ref="np.log2", domain=(0.1, 3)),
    E("log10", "Log10Op", "unary_float", f"grad / (self * {_LN10!r})", ref="np.log10", domain=(0.1, 3)),
    E("exp2", "Exp2Op", "unary_float", f"grad * result * {_LN2!r}", ref="np.exp2"),
    E("erf", "ErfOp", "unary_float", f"grad * {_2_SQRTPI!r} * (-self * self).exp()",
      ref="lambda a: np.vectorize(math.erf, otypes=[float])(a)"),
    E("erfc", "ErfcOp", "unary_float", f"-grad * {_2_SQRTPI!r} * (-self * self).exp()",
      ref="lambda a: np.vectorize(math.erfc, otypes=[float])(a)"),
    E("reciprocal", "ReciprocalOp", "unary_float", "-grad * result * result", ref="lambda a: 1 / a",
      domain=(0.2, 3)),
    E("erfinv", "ErfinvOp", "unary_float", f"grad * {_SQRTPI_2!r} * (result * result).exp()", ref="special.erfinv",
      domain=(-0.9, 0.9)),
    E("lgamma", "LgammaOp", "unary_float", "grad * self.digamma()", ref="special.gammaln", domain=(0.2, 4)),
    E("digamma", "DigammaOp", "unary_float", "grad * self.polygamma(1)", ref="special.digamma", domain=(0.2, 4)),
    E("polygamma", "PolygammaOp", "unary_float", "grad * self.polygamma(int(n) + 1)", params=(("n", None),),
      ref="lambda a, n: special.polygamma(int(n), a)", domain=(0.2, 4), python="manual"),
    # ---- unary, floating inputs only: the activations (nn.functional calls them) and frac, round(decimals=)
    E("frac", "FracOp", "unary_floating", "grad", ref="lambda a: a - np.trunc(a)"),
    E("round_decimals", "RoundDecimalsOp", "unary_floating", _ZERO, params=(("decimals", 0),),
      ref="lambda a, decimals: np.round(a, int(decimals))", python="functional", nodes="RoundBackward1"),
    E("gelu", "GeluOp", "unary_floating",
      f"grad * (0.5 * (1 + (self * {_SQRT1_2!r}).erf()) + self * {_1_SQRT2PI!r} * (-0.5 * self * self).exp())",
      fused=("gelu_backward", "grad", "self"), ref=f"lambda a: 0.5 * a * (1 + special.erf(a * {_SQRT1_2!r}))",
      python="functional"),
    E("gelu_tanh", "GeluTanhOp", "unary_floating",
      "(lambda t: grad * (0.5 * (1 + t) + 0.5 * self * (1 - t * t) * 0.7978845608028654"
      " * (1 + 0.134145 * self * self)))"
      "((0.7978845608028654 * (self + 0.044715 * self * self * self)).tanh())",
      fused=("gelu_tanh_backward", "grad", "self"),
      ref="lambda a: 0.5 * a * (1 + np.tanh(0.7978845608028654 * (a + 0.044715 * a ** 3)))", python="functional"),
    E("silu", "SiluOp", "unary_floating", "grad * self.sigmoid() * (1 + self * (1 - self.sigmoid()))",
      fused=("silu_backward", "grad", "self"), ref="lambda a: a / (1 + np.exp(-a))", python="functional"),
    E("mish", "MishOp", "unary_floating",
      "(lambda t: grad * (t + self * self.sigmoid() * (1 - t * t)))(self.exp().log1p().tanh())",
      fused=("mish_backward", "grad", "self"), ref="lambda a: a * np.tanh(np.logaddexp(0, a))", python="functional"),
    E("elu", "EluOp", "unary_floating",
      "(grad * scale).where(self > 0, grad * (scale * alpha * input_scale) * (self * input_scale).exp())",
      fused=("elu_backward", "grad", "self"), params=ELU_PARAMS, python="functional",
      ref="lambda a, alpha, scale, input_scale: np.where(a > 0, scale * a, scale * alpha * np.expm1(a * input_scale))"),
    E("softplus", "SoftplusOp", "unary_floating", "grad.where(self * beta > threshold, grad * (self * beta).sigmoid())",
      fused=("softplus_backward", "grad", "self"), params=SOFTPLUS_PARAMS, python="functional",
      ref="lambda a, beta, threshold: np.where(a * beta > threshold, a, np.logaddexp(0, a * beta) / beta)"),
    E("hardsigmoid", "HardsigmoidOp", "unary_floating", "grad * " + _MASK.format("((self > -3) & (self < 3))") + " / 6",
      fused=("hardsigmoid_backward", "grad", "self"), ref="lambda a: np.clip(a + 3, 0, 6) / 6", python="functional"),
    E("hardswish", "HardswishOp", "unary_floating",
      "(grad * (self / 3 + 0.5)).where(self <= 3, grad) * " + _MASK.format("(self >= -3)"),
      fused=("hardswish_backward", "grad", "self"), ref="lambda a: a * np.clip(a + 3, 0, 6) / 6", python="functional"),
    E("logsigmoid", "LogsigmoidOp", "unary_floating", "grad * (-self).sigmoid()", nodes="LogSigmoidBackward0",
      fused=("logsigmoid_backward", "grad", "self"), ref="lambda a: -np.logaddexp(0, -a)", python="functional"),
    E("softshrink", "SoftshrinkOp", "unary_floating", "grad * " + _MASK.format("(self.abs() > lambd)"),
      params=(("lambd", 0.5),), ref="lambda a, lambd: np.where(np.abs(a) > lambd, a - np.sign(a) * lambd, 0)",
      python="functional"),
    E("hardshrink", "HardshrinkOp", "unary_floating", "grad * " + _MASK.format("(self.abs() > lambd)"),
      params=(("lambd", 0.5),), ref="lambda a, lambd: np.where(np.abs(a) > lambd, a, 0)"),
    # ---- unary, same dtype
    E("neg", "NegOp", "unary", "-grad", ref="np.negative", python="manual"),
    E("abs", "AbsOp", "unary", "grad * self.sign()", ref="np.abs", python="manual"),
    E("relu", "ReluOp", "unary", "grad * (1 - (result <= 0).to(grad.dtype))",  # (torch saves the result)
      fused=("relu_backward", "grad", "result"), ref="lambda a: np.maximum(a, 0)"),
    E("sign", "SignOp", "unary", _ZERO, ref="np.sign"),
    E("floor", "FloorOp", "unary", _ZERO, ref="np.floor"),
    E("ceil", "CeilOp", "unary", _ZERO, ref="np.ceil"),
    E("round", "RoundOp", "unary", _ZERO, ref="np.round", python="manual"),
    E("trunc", "TruncOp", "unary", _ZERO, ref="np.trunc"),
    E("square", "SquareOp", "unary", "2 * grad * self", ref="np.square", nodes="PowBackward0"),  # (torch: pow(x, 2))
    E("hardtanh", "HardtanhOp", "unary", "grad * " + _MASK.format("((self > min_val) & (self < max_val))"),
      params=(("min_val", -1.0), ("max_val", 1.0)), ref="lambda a, min_val, max_val: np.clip(a, min_val, max_val)",
      python="functional"),
    E("threshold", "ThresholdOp", "unary", "grad * " + _MASK.format("(self > threshold)"),
      params=(("threshold", None), ("value", None)),
      ref="lambda a, threshold, value: np.where(a > threshold, a, value)",
      python="functional"),
    E("nan_to_num", "NanToNumOp", "unary", "grad * " + _MASK.format("self.isfinite()"),
      params=(("nan", 0.0), ("posinf", None), ("neginf", None)), python="manual",
      ref="lambda a, nan, posinf, neginf: np.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)"),
    E("bitwise_not", "BitwiseNotOp", "unary_int", ref="np.invert", python="manual"),
    # ---- binary
    E("add", "AddOp", "binary", ("grad", "grad"), ref="np.add", python="manual"),
    E("sub", "SubOp", "binary", ("grad", "-grad"), ref="np.subtract", python="manual"),
    E("mul", "MulOp", "binary", ("grad * other", "grad * self"), ref="np.multiply", python="manual"),
    E("div", "DivOp", "binary_float", ("grad / other", "-grad * self / other / other"), ref="np.true_divide",
      python="manual"),
    E("pow", "PowOp", "binary", ("pow_backward_self(grad, self, other) if isinstance(other, Tensor) else "
                                 "pow_backward(grad, self, other)", "pow_backward_exponent(grad, self, other, result)"),
      ref="np.power", python="manual", domain=(0.2, 3), nodes=("PowBackward1", "PowBackward0", "PowBackward2")),
    E("maximum", "MaximumOp", "binary", _ties_halved("self < other", "self > other"), ref="np.maximum",
      python="manual"),
    E("minimum", "MinimumOp", "binary", _ties_halved("self > other", "self < other"), ref="np.minimum",
      python="manual"),
    E("floor_divide", "FloorDivideOp", "binary", ("not_implemented('aten::floor_divide')",) * 2,
      ref="np.floor_divide", python="manual", nodes=(NOT_IMPLEMENTED,) * 3),
    # (number % tensor: torch has no derivative; ours keeps one, README's "Deliberately not copied")
    E("remainder", "RemainderOp", "binary", ("grad", "-grad * Tensor.div(self, other, rounding_mode='floor')"),
      ref="np.remainder", python="manual", nodes=("RemainderBackward1", "RemainderBackward0", "RemainderBackward0")),
    E("hypot", "HypotOp", "binary_floating", ("grad * self / result", "grad * other / result"), ref="np.hypot",
      domain=(0.2, 3)),
    E("atan2", "Atan2Op", "binary_float",
      ("grad * other / (self * self + other * other)", "-grad * self / (self * self + other * other)"),
      ref="np.arctan2", domain=(0.2, 3)),
    E("copysign", "CopysignOp", "binary_float", ("grad * self.sign() * result.sign()", _ZERO), ref="np.copysign"),
    E("nextafter", "NextafterOp", "binary_floating", ("grad", _ZERO), ref="np.nextafter"),
    E("xlogy", "XlogyOp", "binary_float",
      ("grad.xlogy(other).masked_fill((self == 0) & (other <= 0), 0.0)", "grad * self / other"),
      ref="lambda a, b: np.where(a == 0, 0.0, a * np.log(b))", domain=(0.2, 3)),
    E("fmod", "FmodOp", "binary", ("grad", "-grad * (self / other).trunc()"), ref="np.fmod"),
    E("logaddexp", "LogaddexpOp", "binary_floating",
      ("grad / (1 + (other - self).exp())", "grad / (1 + (self - other).exp())"), ref="np.logaddexp"),
    E("logaddexp2", "Logaddexp2Op", "binary_floating",
      ("grad / (1 + (other - self).exp2())", "grad / (1 + (self - other).exp2())"), ref="np.logaddexp2"),
    E("prelu", "PreluOp", "binary_floating", ("grad.where(self > 0, grad * other)",
                                               "grad * self * " + _MASK.format("(self <= 0)")),
      ref="lambda a, w: np.where(a > 0, a, w * a)", python="functional"),
    E("glu", "GluOp", "binary_floating",
      ("grad * other.sigmoid()", "(lambda s: grad * self * s * (1 - s))(other.sigmoid())"),
      ref="lambda a, b: a / (1 + np.exp(-b))", python="functional"),
    E("lerp", "LerpOp", "binary_floating", ("grad * (1 - weight)", "grad * weight"), params=(("weight", None),),
      ref="lambda a, b, weight: a + weight * (b - a)", python="manual"),
    # add(self, other, alpha=) / sub of floating tensors: one fused multiply-add, as torch's kernel (tensor.py)
    E("_add_alpha", "AddAlphaOp", "binary_floating", ("grad", "grad * alpha"), params=(("alpha", 1.0),),
      ref="lambda a, b, alpha: a + alpha * b", python="functional"),
    # addcmul(self, t, t, value=): the optimizers' squares, the last multiply and the add fused as torch's kernel
    E("_addcmul_sq", "AddcmulSqOp", "binary_floating", ("grad", "2 * value * grad * other"), params=(("value", 1.0),),
      ref="lambda a, b, value: a + value * b * b", python="functional"),
    # ---- torch.special (functional: only torch.special names them; i0, igamma and igammac are torch's too).
    # not_implemented(what): torch has no derivative there (backward raises); functional(name): another entry.
    E("erfcx", "ErfcxOp", "unary_float", f"grad * (2 * self * result - {_2_SQRTPI!r})", ref="special.erfcx",
      python="functional", nodes="SpecialErfcxBackward0"),
    E("i0", "I0Op", "unary_float", "grad * functional('i1')(self)", ref="special.i0"),
    E("i0e", "I0eOp", "unary_float", "grad * (functional('i1e')(self) - self.sign() * result)", ref="special.i0e",
      python="functional", nodes="SpecialI0EBackward0"),
    E("i1", "I1Op", "unary_float", "grad * (self.i0() - result / self).masked_fill(self == 0, 0.5)",
      ref="special.i1", python="functional", nodes="SpecialI1Backward0"),
    E("i1e", "I1eOp", "unary_float",
      "grad * (functional('i0e')(self) - result * (self.sign() + self.reciprocal())).masked_fill(self == 0, 0.5)",
      ref="special.i1e", python="functional", nodes="SpecialI1EBackward0"),
    E("zeta", "ZetaOp", "binary_float",
      ("not_implemented('zeta')", "-grad * self * functional('zeta')(self + 1, other)"), ref="special.zeta",
      domain=(1.2, 4), python="functional",
      nodes=("SpecialZetaBackward0", "SpecialZetaBackward2", "SpecialZetaBackward1")),
    E("igamma", "IgammaOp", "binary_floating",
      ("not_implemented('igamma: input')", "grad * ((self - 1) * other.log() - other - self.lgamma()).exp()"),
      ref="special.gammainc", domain=(0.2, 3)),
    E("igammac", "IgammacOp", "binary_floating",
      ("not_implemented('igammac: input')", "-grad * ((self - 1) * other.log() - other - self.lgamma()).exp()"),
      ref="special.gammaincc", domain=(0.2, 3)),
    # fused gradient kernels (the specializations named by `fused` above)
    E("relu_backward", "ReluBackwardOp", "binary", python=None),
    E("tanh_backward", "TanhBackwardOp", "binary", python=None),
    E("sigmoid_backward", "SigmoidBackwardOp", "binary", python=None),
    E("gelu_backward", "GeluBackwardOp", "binary_floating", python=None),
    E("gelu_tanh_backward", "GeluTanhBackwardOp", "binary_floating", python=None),
    E("silu_backward", "SiluBackwardOp", "binary_floating", python=None),
    E("mish_backward", "MishBackwardOp", "binary_floating", python=None),
    E("elu_backward", "EluBackwardOp", "binary_floating", params=ELU_PARAMS, python=None),
    E("softplus_backward", "SoftplusBackwardOp", "binary_floating", params=SOFTPLUS_PARAMS, python=None),
    E("hardsigmoid_backward", "HardsigmoidBackwardOp", "binary_floating", python=None),
    E("hardswish_backward", "HardswishBackwardOp", "binary_floating", python=None),
    E("logsigmoid_backward", "LogsigmoidBackwardOp", "binary_floating", python=None),
    # ---- comparisons and logical ops: bool results
    E("eq", "EqOp", "compare", ref="np.equal", python="manual"),
    E("ne", "NeOp", "compare", ref="np.not_equal", python="manual"),
    E("lt", "LtOp", "compare", ref="np.less", python="manual"),
    E("le", "LeOp", "compare", ref="np.less_equal", python="manual"),
    E("gt", "GtOp", "compare", ref="np.greater", python="manual"),
    E("ge", "GeOp", "compare", ref="np.greater_equal", python="manual"),
    E("logical_and", "LogicalAndOp", "compare", ref="np.logical_and", python="manual"),
    E("logical_or", "LogicalOrOp", "compare", ref="np.logical_or", python="manual"),
    E("logical_xor", "LogicalXorOp", "compare", ref="np.logical_xor", python="manual"),
    # ---- bitwise: bool and integer operands
    E("bitwise_and", "BitwiseAndOp", "binary_int", ref="np.bitwise_and", python="manual"),
    E("bitwise_or", "BitwiseOrOp", "binary_int", ref="np.bitwise_or", python="manual"),
    E("bitwise_xor", "BitwiseXorOp", "binary_int", ref="np.bitwise_xor", python="manual"),
    E("bitwise_left_shift", "LeftShiftOp", "binary_int", ref="np.left_shift", python="manual"),
    E("bitwise_right_shift", "RightShiftOp", "binary_int", ref="np.right_shift", python="manual"),
    # ---- hand-written kernels (`kernel`), called as kernel(input, *params)
    E("clamp", None, "unary", "clamp_backward(grad, self, min, max)", params=(("min", None), ("max", None)),
      kernel="clamp", nodes="ClampBackward1", python="manual",
      ref="lambda a, min, max: np.clip(a, -np.inf if min is None else min, np.inf if max is None else max)"),
    E("leaky_relu", None, "unary_floating", "grad.where(self > 0, grad * negative_slope)",
      params=(("negative_slope", 0.01),), kernel="leaky_relu", python="manual",
      ref="lambda a, negative_slope: np.where(a > 0, a, a * negative_slope)"),
    E("clone", None, "unary", "grad", kernel="clone", python="manual", ref="np.copy"),
    E("_to_copy", None, "unary", "grad.to(self.device, self.dtype)", params=(("dtype", None), ("device", None)),
      kernel="to_copy", python="manual", ref="lambda a, dtype, device: a.astype(dtype)"),
    # values with a zero derivative almost everywhere (torch's zeros_like(grad)): div with a rounding mode (a composite
    # kernel) and bernoulli's draw (ref: its value for probabilities 0 and 1, which the tests give it)
    E("div_rounding", None, "binary", ("zeros_like(grad)", "zeros_like(grad)"), inputs=("self", "other"),
      params=(("rounding_mode", None),), kernel="div_rounding", nodes="DivBackward2", python="manual",
      ref="lambda a, b, rounding_mode: np.floor_divide(a, b) if rounding_mode == 'floor' else np.trunc(a / b)"),
    E("bernoulli", None, "unary_floating", "zeros_like(grad)", kernel="bernoulli", nodes="BernoulliBackward0",
      python="manual", ref="lambda p: p"),
    E("_cdist_sqrt", None, "unary_float", "(grad / (2 * result)).masked_fill(result == 0, 0)", kernel="sqrt",
      nodes="EuclideanDistBackward0", python=None, ref="np.sqrt"),  # (cdist: no gradient where a distance is 0)
    E("where", None, "binary", (None, "grad.where(condition, 0.0)", "grad.masked_fill(condition, 0.0)"),
      inputs=("condition", "self", "other"), kernel="where", python="manual",
      ref="lambda c, a, b: np.where(c, a, b)"),
    E("masked_fill", None, "unary", ("grad.masked_fill(mask, 0.0)", None, "masked_fill_backward(grad, mask)"),
      inputs=("self", "mask", "value"), kernel="masked_fill", nodes=("MaskedFillBackward1", "MaskedFillBackward0"),
      python="manual", ref="lambda a, mask, value: np.where(mask, value, a)"),
    E("clamp_tensor", None, "binary", ("clamp_backward(grad, self, min, max)",
                                       "clamp_backward_min_max(grad, self, min, max, 0)",
                                       "clamp_backward_min_max(grad, self, min, max, 1)"),
      inputs=("self", "min", "max"), kernel="clamp_tensor", nodes="ClampBackward0",
      python="manual", ref="lambda a, min, max: np.minimum(np.maximum(a, min), max)"),
]
del E
BY_NAME = {e.name: e for e in OPS}
assert len(BY_NAME) == len(OPS), "an op is declared twice"



class Reduction:
    """A reduction over dims (all of them for dim=None): torch.<name>(input, dim, keepdim=False, *, [dtype=None,]
    out=None), Tensor.<name>, their autograd op, the `_C.<name>` kernel (csrc/ops/reduce.h's functor) and the
    tests' rows, all from this entry. `kind` is the dtype rule (REDUCTION_KINDS); `grad` the derivative, written
    with Tensor ops over `grad` and `result` (both already expanded back to the input's shape), `self` and
    `dims` (the reduced dims, sorted and wrapped; None when no dim was given), `count` (the number of elements
    reduced into each output) and torch's helper prod_backward (_ops.py); `ref` the numpy reference, called as
    ref(a, axis=..., keepdims=...) on float64 (or the integer) array; `dim_default` torch's default dim (None or
    ()); `dims_in_turn`: torch checks each dim's range and repeats in turn (nansum), where the others check every
    range first.

    A reduction composed of other kernels (var, std, the vector norm, max() of everything) names its composite in
    `kernel` (_ops._REDUCTION_KERNELS, called as kernel(input, dims, keepdim, dtype, *params)) and has no functor:
    it stays out of the C++ list and of the generated torch.<name>/Tensor.<name> (tensor.py parses torch's
    arguments: unbiased=, correction=, p=, ...) and tests/test_registry_pointwise.py has its rows. `params` are its
    numbers after the dims ((name, default), ...: var's correction), which its formula reads by name; `node` is
    torch's node name where it is not the name's + "Backward0"; torch's helpers var_backward, std_backward,
    norm_backward and evenly_distribute_backward are _ops.py's."""
    __slots__ = ("name", "functor", "kind", "grad", "ref", "dim_default", "identity", "dims_in_turn", "kernel",
                 "params", "node")

    def __init__(self, name, functor, kind, grad=None, ref=None, dim_default=None, identity=0, dims_in_turn=False,
                 kernel=None, params=(), node=None):
        assert kind in REDUCTION_KINDS, kind
        self.name, self.functor, self.kind, self.grad, self.ref = name, functor, kind, grad, ref
        self.dim_default, self.dims_in_turn = dim_default, dims_in_turn
        self.identity = identity  # the value of an empty reduction (None: an empty reduction raises)
        self.kernel, self.params, self.node = kernel, tuple(params), node

    @property
    def takes_dtype(self):
        return self.kind in ("sum", "mean")

    def doc(self, name):
        args = ["input", f"dim={self.dim_default!r}", "keepdim=False"]
        kw = ["dtype=None"] if self.takes_dtype else []
        if not name.startswith("Tensor."):
            kw.append("out=None")
        head = f"{self.name}({', '.join(args)}{', *, ' + ', '.join(kw) if kw else ''}) -> Tensor"
        deriv = f"Derivative: {self.grad}." if self.grad else "Not differentiable."
        return "\n".join([head, "", f"{self.name} over dim (all dims when dim is {self.dim_default!r}).",
                          f"dtypes: {REDUCTION_KINDS[self.kind]}.", deriv])


REDUCTION_KINDS = {
    "sum": "bool and integer inputs give int64 (wrapping on overflow); dtype= casts the input first",
    "mean": "floating inputs (or a floating dtype=) only",
    "keep": "the result keeps the input's dtype; an empty reduction raises",
    "logical": "a bool result (uint8 inputs give uint8)",
}
_NAN = float("nan")
R = Reduction
# amax/amin: the gradient shared evenly by the tied extremes, as torch's
_TIES_SPLIT = "(lambda hit: grad * hit / hit.sum(dims, keepdim=True))((self == result).to(grad.dtype))"
REDUCTIONS = [
    R("sum", "SumOp", "sum", "grad", ref="np.sum"),
    R("nansum", "NansumOp", "sum", "grad.masked_fill(self.isnan(), 0)", ref="np.nansum", dims_in_turn=True),
    R("mean", "MeanOp", "mean", "grad / count", ref="np.mean", identity=_NAN),
    R("prod", "ProdOp", "sum", "prod_backward(grad, self, result, dims)", ref="np.prod", identity=1),
    R("amax", "AmaxOp", "keep", _TIES_SPLIT, ref="np.max", dim_default=(), identity=None),
    R("amin", "AminOp", "keep", _TIES_SPLIT, ref="np.min", dim_default=(), identity=None),
    R("any", "AnyOp", "logical", ref="np.any"),
    R("all", "AllOp", "logical", ref="np.all", identity=1),
    # ---- composed of other kernels (`kernel`): tensor.py parses their arguments
    R("var", None, "mean", "var_backward(grad, self, dims, correction, count)", kernel="var",
      params=(("correction", 1),), ref="lambda a, axis, keepdims, correction: np.var(a, axis, ddof=correction, "
      "keepdims=keepdims)"),
    R("std", None, "mean", "std_backward(result, grad, self, dims, correction, count)", kernel="std",
      params=(("correction", 1),), ref="lambda a, axis, keepdims, correction: np.std(a, axis, ddof=correction, "
      "keepdims=keepdims)"),
    R("linalg_vector_norm", None, "mean", "norm_backward(grad, self, ord, result, dims)", kernel="linalg_vector_norm",
      params=(("ord", 2),), ref="lambda a, axis, keepdims, ord: np.linalg.norm(a.reshape(-1) if axis is None else a, "
      "ord, axis, keepdims) if ord != 0 else np.count_nonzero(a, axis, keepdims=keepdims).astype(a.dtype)"),
    R("max_all", None, "keep", "evenly_distribute_backward(grad, self, result)", kernel="max_all", node="MaxBackward1",
      ref="lambda a, axis, keepdims: np.max(a)", identity=None),
    R("min_all", None, "keep", "evenly_distribute_backward(grad, self, result)", kernel="min_all", node="MinBackward1",
      ref="lambda a, axis, keepdims: np.min(a)", identity=None),
]
del R
REDUCTIONS_BY_NAME = {e.name: e for e in REDUCTIONS}
assert not set(REDUCTIONS_BY_NAME) & set(BY_NAME), "a reduction has an elementwise op's name"

class Scan:
    """A running op along one dim: torch.<name>(input, dim, *, [dtype=None,] out=None), Tensor.<name> (and
    Tensor.<name>_ where torch has it), their autograd op, the `_C.<name>(input, dim, dtype)` kernel (csrc/ops/scan.h's
    functor, the same for CPU and CUDA) and the tests' rows, all from this entry. `kind` is the dtype rule
    (SCAN_KINDS); an "indices" scan returns torch.return_types.<name>(values, indices). `grad` is the derivative,
    written with Tensor ops over `grad`, `self`, `result`, `dim` (wrapped), `indices` (the indices kind) and the
    helpers of _ops.py (_SCAN_HELPERS); a 0-d input is the identity, its gradient `grad`. `ref` is the numpy
    reference, called as ref(a, axis)."""
    __slots__ = ("name", "functor", "kind", "grad", "ref", "inplace")

    def __init__(self, name, functor, kind, grad, ref, inplace=False):
        assert kind in SCAN_KINDS, kind
        self.name, self.functor, self.kind, self.grad, self.ref, self.inplace = name, functor, kind, grad, ref, inplace

    @property
    def takes_dtype(self):
        return self.kind == "sum"

    def doc(self, name):
        kw = (["dtype=None"] if self.takes_dtype else []) + ([] if name.startswith("Tensor.") else ["out=None"])
        result = "(Tensor, LongTensor)" if self.kind == "indices" else "Tensor"
        return "\n".join([f"{self.name}(input, dim{', *, ' + ', '.join(kw) if kw else ''}) -> {result}", "",
                          f"{self.name} along dim: each output combines the inputs up to its position.",
                          f"dtypes: {SCAN_KINDS[self.kind]}.", f"Derivative: {self.grad}."])


SCAN_KINDS = {
    "sum": "bool and integer inputs give int64 (wrapping on overflow); dtype= casts the input first",
    "floating": "floating inputs only",
    "indices": "the values keep the input's dtype, the indices are int64 (of equal values the later index; a NaN "
               "wins and stays)",
}
S = Scan
SCANS = [
    S("cumsum", "CumsumOp", "sum", "grad.sum(dim, keepdim=True) - grad.cumsum(dim) + grad", "np.cumsum",
      inplace=True),
    S("cumprod", "CumprodOp", "sum", "cumprod_backward(grad, self, result, dim)", "np.cumprod", inplace=True),
    S("cummax", "CummaxOp", "indices", "self.new_zeros(self.shape).scatter_add(dim, indices, grad)",
      "np.maximum.accumulate"),
    S("cummin", "CumminOp", "indices", "self.new_zeros(self.shape).scatter_add(dim, indices, grad)",
      "np.minimum.accumulate"),
    S("logcumsumexp", "LogcumsumexpOp", "floating", "logcumsumexp_backward(grad, self, result, dim)",
      "np.logaddexp.accumulate"),
]
del S
SCANS_BY_NAME = {e.name: e for e in SCANS}
assert not set(SCANS_BY_NAME) & (set(BY_NAME) | set(REDUCTIONS_BY_NAME)), "a scan has another op's name"


class Selection:
    """An op picking elements of each slice along one dim, with their indices: Tensor.<name>(<signature>) and
    torch.<name>(input, <signature>, out=None), returning torch.return_types.<name>(values, indices), and the autograd
    op, from this entry. `signature` is torch's parameters after the input, as Python writes them; its `dim` and
    `keepdim` reach the formula (an op without keepdim keeps the dim: sort, topk). `kernel` names the function of
    _reduction_ops computing (values, indices) without a graph, called with the signature's arguments in order
    (mostly one `_C` call); `whole` the function answering the overloads without a dim (dim=None: max() is amax with
    its own backward, median() the flattened median; a tensor: max(a, b) is maximum), whole(input, dim, keepdim);
    `grad` the derivative in Tensor ops over `grad`, `indices`, `dim` (wrapped), `keepdim` and `sizes` (the
    input's); `overload` the number in torch's node name (MedianBackward1: median with a dim), or an expression of
    the arguments giving it (sort with stable= is torch's second overload); `summary` the docstring's sentence.
    `variants` are ops returning one field of this one's result, (name, signature, this op's arguments, field):
    Tensor.<name> and torch.<name>(..., out=None) (argsort is sort's indices, msort sort's values along dim 0)."""
    __slots__ = ("name", "kernel", "grad", "signature", "args", "whole", "overload", "summary", "variants")

    def __init__(self, name, kernel, grad, signature="dim=-1, keepdim=False", whole=None, overload=0,
                 summary="{name} of each slice along dim: its value and its index", variants=()):
        self.name, self.kernel, self.grad, self.signature, self.whole = name, kernel, grad, signature, whole
        self.overload, self.summary, self.variants = overload, summary.format(name=name), variants
        self.args = tuple(p.split("=")[0].strip() for p in signature.split(",") if p.strip() != "*")

    def doc(self, name):
        return "\n".join([_head(self.name, self.signature, name, "(Tensor, LongTensor)"), "", f"{self.summary}.",
                          f"Derivative: {self.grad}."])

    def variant_doc(self, variant, name):
        vname, signature, call, field = variant
        return "\n".join([_head(vname, signature, name, "LongTensor" if field == "indices" else "Tensor"), "",
                          f"The {field} of {self.name}(input, {call})."])


def _head(name, signature, qualname, result):
    """A docstring's first line: torch.<name>(input, <signature>, *, out=None) or Tensor.<name>(<signature>)."""
    return f"{name}({signature if qualname.startswith('Tensor.') else function_params(signature)}) -> {result}"


def function_params(signature):
    """torch.<name>'s parameters for a Tensor method's `signature` (after self): `input, <signature>, *, out=None`."""
    return ", ".join(p for p in ["input", signature, "out=None" if "*" in signature else "*, out=None"] if p)


def passed_on(signature):
    """The arguments passing a `signature`'s parameters on by name: `dim, descending, stable=stable`."""
    names = [p.split("=")[0].strip() for p in signature.split(",") if p.strip()]
    star = names.index("*") if "*" in names else len(names)
    return ", ".join(names[:star] + [f"{n}={n}" for n in names[star + 1:]])


_PICKED = "value_selecting_reduction_backward(grad, dim, indices, sizes, keepdim)"  # (torch's name)
_SORT = "dim=-1, descending=False, *, stable=None"
SELECTIONS = [
    Selection("max", "max_dim", _PICKED, "dim=None, keepdim=False", whole="max_whole"),
    Selection("min", "min_dim", _PICKED, "dim=None, keepdim=False", whole="min_whole"),
    Selection("kthvalue", "kthvalue_dim", _PICKED, "k, dim=-1, keepdim=False"),
    Selection("median", "median_dim", _PICKED, "dim=None, keepdim=False", whole="median_whole", overload=1),
    Selection("nanmedian", "nanmedian_dim", _PICKED, "dim=None, keepdim=False", whole="nanmedian_whole", overload=1),
    Selection("mode", "mode_dim", _PICKED),
    Selection("sort", "sort_dim", _PICKED, _SORT, overload="0 if stable is None else 1",
              summary="The slices along dim in ascending (descending) order, and where each value was; stable keeps "
                      "equal values in their order",
              variants=(("argsort", _SORT, "dim, descending, stable=stable", "indices"), ("msort", "", "0", "values"))),
    Selection("topk", "topk_dim", _PICKED, "k, dim=-1, largest=True, sorted=True",
              summary="The k largest (smallest) of each slice along dim, in order when sorted, and their indices"),
]
SELECTIONS_BY_NAME = {e.name: e for e in SELECTIONS}


class MatrixProduct:
    """A matrix product (mm, addmm, bmm, ..., dot): torch's name; `kernel` the function computing the product of
    its two matrix (vector) operands without a graph, kernel(a, b) on impls: a `_C` function or one of
    _ops._MATMUL_KERNELS (products composed of other kernels: mv, dot, outer, addbmm's one mm); `signature`
    torch's parameters, as Python writes them (the first is torch's `self`, which the formulas call `self`);
    `grad` the derivative of each tensor parameter in Tensor ops over `grad`, the parameters by name, `beta`,
    `alpha` and `<parameter>_column_major`, whether the parameter was a column-major matrix at the call (what
    torch's saved `mat2.sym_strides()` tells its formulas: the tensor itself is not saved for it) (torch's
    derivatives.yaml, with the helpers of _ops._MATMUL_HELPERS; an input added to the product is summed back to
    its own shape), `node` torch's node name, `ref` the numpy
    reference, ref(*tensors, beta, alpha).
    A scaled product (beta=1, alpha=1 keyword-only: addmm, baddbmm, addbmm, addmv, addr) is beta * input +
    alpha * kernel(a, b), input ignored when beta == 0 (its NaNs too; its gradient is still grad * beta); `fused`
    the `_C` function computing input + a @ b in one pass, used when beta == alpha == 1 (addmm's bias as the
    GEMM's initial C)."""
    __slots__ = ("name", "kernel", "signature", "params", "grad", "node", "ref", "fused")

    def __init__(self, name, kernel, signature, grad, node, ref, fused=None):
        self.name, self.kernel, self.signature, self.grad, self.node = name, kernel, signature, grad, node
        self.ref, self.fused = ref, fused
        self.params = tuple(p.split("=")[0].strip() for p in signature.split(",") if p.strip() != "*")

    @property
    def tensors(self):
        """The tensor parameters, as the formulas name them (torch's `self` for the first)."""
        return ("self",) + self.params[1:len(self.grad)]

    @property
    def scaled(self):
        return "beta" in self.params

    def doc(self, name):
        grads = "; ".join(f"d/d{arg}: {g}" for arg, g in zip(self.tensors, self.grad))
        return "\n".join([f"{name}({self.signature}) -> Tensor", "", f"Recorded as {self.node}.",
                          f"Derivative: {grads}."])


_SCALED = "*, beta=1, alpha=1"
_INPUT_GRAD = "maybe_multiply(grad, beta)"  # (torch's: grad * beta even for beta == 0, where the input is ignored)
_BATCHES = "grad.unsqueeze(0).expand({}.shape[0], -1, -1)"  # addbmm's grad, one copy per batch
M = MatrixProduct
MATMULS = [
    M("mm", "mm", "input, mat2",
      ("mm_mat1_backward(grad, mat2, self_column_major, 1)", "mm_mat2_backward(grad, self, mat2_column_major, 1)"),
      "MmBackward0", "lambda a, b: a @ b"),
    M("addmm", "mm", f"input, mat1, mat2, {_SCALED}",
      (_INPUT_GRAD, "mm_mat1_backward(grad, mat2, mat1_column_major, alpha)",
       "mm_mat2_backward(grad, mat1, mat2_column_major, alpha)"),
      "AddmmBackward0", "lambda c, a, b, beta=1, alpha=1: beta * c + alpha * (a @ b)", fused="addmm"),
    M("bmm", "bmm", "input, mat2", ("grad.bmm(mat2.transpose(1, 2))", "self.transpose(1, 2).bmm(grad)"),
      "BmmBackward0", "lambda a, b: a @ b"),
    M("baddbmm", "bmm", f"input, batch1, batch2, {_SCALED}",
      (_INPUT_GRAD, "maybe_multiply(grad.bmm(batch2.transpose(1, 2)), alpha)",
       "maybe_multiply(batch1.transpose(1, 2).bmm(grad), alpha)"),
      "BaddbmmBackward0", "lambda c, a, b, beta=1, alpha=1: beta * c + alpha * (a @ b)"),
    M("addbmm", "addbmm_product", f"input, batch1, batch2, {_SCALED}",
      (_INPUT_GRAD, f"maybe_multiply({_BATCHES.format('batch2')}.bmm(batch2.transpose(1, 2)), alpha)",
       f"maybe_multiply(batch1.transpose(1, 2).bmm({_BATCHES.format('batch1')}), alpha)"),
      "AddbmmBackward0", "lambda c, a, b, beta=1, alpha=1: beta * c + alpha * (a @ b).sum(0)"),
    M("mv", "mv", "input, vec", ("grad.outer(vec)", "self.t().mv(grad)"), "MvBackward0", "lambda a, b: a @ b"),
    M("addmv", "mv", f"input, mat, vec, {_SCALED}",
      (_INPUT_GRAD, "maybe_multiply(grad.outer(vec), alpha)", "maybe_multiply(mat.t().mv(grad), alpha)"),
      "AddmvBackward0", "lambda c, a, b, beta=1, alpha=1: beta * c + alpha * (a @ b)"),
    M("dot", "dot", "input, tensor", ("grad * tensor", "grad * self"), "DotBackward0", "lambda a, b: np.dot(a, b)"),
    M("vdot", "dot", "input, other", ("grad * other", "grad * self"), "VdotBackward0",
      "lambda a, b: np.vdot(a, b)"),
    M("addr", "outer", f"input, vec1, vec2, {_SCALED}",
      (_INPUT_GRAD, "maybe_multiply(grad.mv(vec2), alpha)", "maybe_multiply(grad.t().mv(vec1), alpha)"),
      "AddrBackward0", "lambda c, a, b, beta=1, alpha=1: beta * c + alpha * np.outer(a, b)"),
]
del M
MATMULS_BY_NAME = {e.name: e for e in MATMULS}


class View:
    """A view op: its output shares the input's storage (torch's view semantics: the version counter, in-place
    writes through the view reach the base and its history). `name` is torch's (an overload after a dot, as
    native_functions.yaml: squeeze.dim); `kernel` the function computing the view's impl, kernel(impl, *params):
    a `_C` function, or one of _ops._VIEW_KERNELS (views composed of strides in Python: t, diagonal, unfold);
    `params` the arguments after the input, in order; `grad` the derivative in Tensor ops over `grad`,
    `self_sizes` (the input's) and the params (torch's derivatives.yaml, with the helpers of _ops._VIEW_HELPERS);
    `node` torch's node name, `copied` the node's name when the kernel could not view and copied (reshape),
    `inplace` the node's name of torch's in-place variant (Tensor.t_, squeeze_, ...: self becomes the view);
    `ref` the numpy reference, ref(a, *params); `method` whether Tensor.<name> and torch.<name> are generated
    from the row (the others are written in tensor.py / _shape_ops.py: they parse size arguments or check
    their arguments before calling the row's op, _ops.VIEW_OPS[name])."""
    __slots__ = ("name", "kernel", "params", "grad", "node", "copied", "inplace", "ref", "method")

    def __init__(self, name, kernel, params, grad, node, ref, copied=None, inplace=None, method=False):
        self.name, self.kernel, self.params, self.grad, self.node = name, kernel, tuple(params), grad, node
        self.ref, self.copied, self.inplace, self.method = ref, copied, inplace, method

    def doc(self, name):
        return "\n".join([f"{name}({', '.join(('input',) + self.params)}) -> Tensor", "",
                          f"A view of input ({self.node}); writes through it reach input.",
                          f"Derivative: {self.grad}."])


V = View
VIEWS = [
    V("view", "view", ("size",), "grad.reshape(self_sizes)", "ViewBackward0", "lambda a, size: a.reshape(size)"),
    V("reshape", "reshape", ("shape",), "grad.reshape(self_sizes)", "ViewBackward0",
      "lambda a, shape: a.reshape(shape)", copied="UnsafeViewBackward0"),
    V("_unsafe_view", "reshape", ("size",), "grad.reshape(self_sizes)", "UnsafeViewBackward0",
      "lambda a, size: a.reshape(size)", copied="UnsafeViewBackward0"),  # (matmul's unfolding of its batch)
    V("alias", "alias", (), "grad", "AliasBackward0", "lambda a: a"),
    V("permute", "permute", ("dims",), "grad.permute(inverse_permutation(dims))", "PermuteBackward0",
      "lambda a, dims: np.transpose(a, dims)"),
    V("transpose", "transpose", ("dim0", "dim1"), "grad.transpose(dim0, dim1)", "TransposeBackward0",
      "lambda a, dim0, dim1: np.swapaxes(a, dim0, dim1) if a.ndim else a", inplace="TransposeBackward1", method=True),
    V("t", "t", (), "grad.t()", "TBackward0", "lambda a: a.T", inplace="TBackward1", method=True),
    V("expand", "expand", ("size",), "sum_to(grad, self_sizes)", "ExpandBackward0",
      "lambda a, size: np.broadcast_to(a, size)"),
    V("squeeze", "squeeze_all", (), "grad.reshape(self_sizes)", "SqueezeBackward0", "lambda a: np.squeeze(a)",
      inplace="SqueezeBackward3"),
    V("squeeze.dim", "squeeze", ("dim",), "grad.reshape(self_sizes)", "SqueezeBackward1",
      "lambda a, dim: np.squeeze(a, dim) if a.ndim and a.shape[dim] == 1 else a", inplace="SqueezeBackward4"),
    V("squeeze.dims", "squeeze_dims", ("dim",), "grad.reshape(self_sizes)", "SqueezeBackward2",
      "lambda a, dim: np.squeeze(a, tuple(d for d in dim if a.ndim and a.shape[d] == 1))", inplace="SqueezeBackward5"),
    V("unsqueeze", "unsqueeze", ("dim",), "grad.squeeze(dim)", "UnsqueezeBackward0",
      "lambda a, dim: np.expand_dims(a, dim)", inplace="UnsqueezeBackward1", method=True),
    V("select", "select", ("dim", "index"), "select_backward(grad, self_sizes, dim, index)", "SelectBackward0",
      "lambda a, dim, index: np.take(a, index, dim)"),
    V("slice", "slice", ("dim", "start", "end", "step"), "slice_backward(grad, self_sizes, dim, start, end, step)",
      "SliceBackward0", "lambda a, dim, start, end, step: a[(slice(None),) * dim + (slice(start, end, step),)]"),
    V("diagonal", "diagonal", ("offset", "dim1", "dim2"), "diagonal_backward(grad, self_sizes, offset, dim1, dim2)",
      "DiagonalBackward0", "lambda a, offset, dim1, dim2: np.diagonal(a, offset, dim1, dim2)"),
    V("unfold", "unfold", ("dimension", "size", "step"), "unfold_backward(grad, self_sizes, dimension, size, step)",
      "UnfoldBackward0", "lambda a, dimension, size, step: np.lib.stride_tricks.sliding_window_view("
      "a, size, axis=dimension)[(slice(None),) * dimension + (slice(None, None, step),)]"),
]
# Views with several outputs (torch's multi-output view ops): one node for all the pieces, whose formula reads
# `grads` (one per output, None where none flows; the helpers fill those with zeros); torch forbids in-place
# writes into the pieces while they require grad. kernel(impl, *params) returns the pieces' impls (dims wrapped).
MULTI_VIEWS = [
    V("unbind", "unbind", ("dim",), "unbind_backward(grads, self_sizes, dim)", "UnbindBackward0",
      "lambda a, dim: tuple(np.moveaxis(a, dim, 0))"),
    V("split", "split", ("split_size", "dim"), "split_backward(grads, self_sizes, split_size, dim)", "SplitBackward0",
      "lambda a, split_size, dim: tuple(np.split(a, list(range(split_size, a.shape[dim], split_size)), dim))"),
    V("split_with_sizes", "split_with_sizes", ("split_sizes", "dim"),
      "split_with_sizes_backward(grads, self_sizes, split_sizes, dim)", "SplitWithSizesBackward0",
      "lambda a, split_sizes, dim: tuple(np.split(a, list(np.cumsum(split_sizes)[:-1]), dim))"),
]
del V
VIEWS_BY_NAME = {e.name: e for e in VIEWS}


class Indexing:
    """An op that picks, writes or joins elements by index (advanced indexing, index_select, gather, scatter,
    cat, flip, the view scatters): its autograd op, _ops.INDEXING_OPS[name], from this row. `name` is torch's
    (an overload after a dot, as native_functions.yaml: scatter.value); `signature` the op's parameters in order
    (the public functions in tensor.py, _scatter_ops.py, ... parse torch's arguments and call
    INDEXING_OPS[name].apply with these); `kernel` the function of _ops._INDEXING_KERNELS computing the output
    impl from the same arguments (a `_C` call or a few); `grad` the derivative of each differentiable input, in
    Tensor ops over `grad`, `result`, the parameters and `<input>_sizes` (as torch's derivatives.yaml, with its
    helper names: _ops._INDEXING_HELPERS, and every row's op by its name); an input that is a list of tensors
    (cat's) gets a list of gradients from its formula, and inputs named together ("self, src") one formula
    giving a tuple. The first differentiable input is the first parameter. `node` is torch's node name, or an
    expression of the parameters giving it (__setitem__: torch's index_put_ or a copy into a view); `ref` the
    numpy reference, ref(*arrays and parameters), the tests' (with their helpers `along`, `put` and `add_at`)."""
    __slots__ = ("name", "signature", "kernel", "grad", "node", "ref")

    def __init__(self, name, signature, kernel, grad, node, ref):
        self.name, self.kernel, self.node, self.ref = name, kernel, node, ref
        self.signature = tuple(signature.split(", "))
        self.grad = grad  # {"input": formula, ...} in the signature's order, or {"self, src": formula}
        assert self.inputs[0] == self.signature[0] and set(self.inputs) <= set(self.signature), name

    @property
    def inputs(self):
        """The differentiable inputs, in order."""
        return tuple(n for names in self.grad for n in names.split(", "))


_INDEX_PUT_GRAD = {"self": "grad if accumulate else index_put(grad, dim, indices, grad.new_zeros(()), False)",
                   "values": "sum_to(index(grad, dim, indices), values_sizes)"}
_INDEX_PUT_REF = ("lambda a, dim, indices, values, accumulate: (add_at if accumulate else put)("
                  "a, (slice(None),) * dim + tuple(indices), values)")
_SCATTERED = "lambda a, dim, index, src: put(a, along(index, dim), src[tuple(slice(0, n) for n in index.shape)])"
I = Indexing
INDEXING = [
    I("index", "self, dim, indices", "index",
      # (torch's grad.new_zeros(self_sizes), as an expanded zero that index_put's copy of it fills)
      {"self": "index_backward(grad.new_zeros(()).expand(self_sizes), dim, indices, grad)"}, "IndexBackward0",
      "lambda a, dim, indices: a[(slice(None),) * dim + tuple(indices)]"),
    # index_put with the index tensors on consecutive dims from dim (torch's _index_put_impl_ is index_backward's)
    I("index_put", "self, dim, indices, values, accumulate", "index_put", _INDEX_PUT_GRAD, "IndexPutBackward0",
      _INDEX_PUT_REF),
    I("_index_put_impl", "self, dim, indices, values, accumulate", "index_put", _INDEX_PUT_GRAD,
      "IndexPutImplBackward0", _INDEX_PUT_REF),
    I("index_add", "self, dim, index, source", "index_add", {"self": "grad", "source": "grad.index_select(dim, index)"},
      "IndexAddBackward0", "lambda a, dim, index, source: add_at(a, (slice(None),) * dim + (index,), source)"),
    I("index_select", "self, dim, index", "index_select",
      {"self": "index_select_backward(grad, self_sizes, dim, index)"}, "IndexSelectBackward0",
      "lambda a, dim, index: np.take(a, index, dim)"),
    I("gather", "self, dim, index", "gather", {"self": "grad.new_zeros(self_sizes).scatter_add(dim, index, grad)"},
      "GatherBackward0", "lambda a, dim, index: np.take_along_axis(a, index, dim)"),
    I("scatter_add", "self, dim, index, src", "scatter_add", {"self": "grad", "src": "grad.gather(dim, index)"},
      "ScatterAddBackward0", "lambda a, dim, index, src: add_at(a, along(index, dim), src)"),
    I("scatter.src", "self, dim, index, src", "scatter",
      {"self": "grad.scatter(dim, index, 0)", "src": "grad.gather(dim, index)"}, "ScatterBackward0", _SCATTERED),
    I("scatter.value", "self, dim, index, value", "scatter_value", {"self": "grad.scatter(dim, index, 0)"},
      "ScatterBackward1", "lambda a, dim, index, value: put(a, along(index, dim), value)"),
    I("scatter_reduce.two", "self, dim, index, src, reduce, include_self", "scatter_reduce",
      {"self, src": "scatter_reduce_backward(grad, self, dim, index, src, reduce, include_self, result)"},
      "ScatterReduceBackward0", "scatter_reduce_reference"),
    I("cat", "tensors, dim", "cat", {"tensors": "cat_tensors_backward(grad, tensors_sizes, dim)"}, "CatBackward0",
      "lambda arrays, dim: np.concatenate([a for a in arrays if a.shape != (0,)] or arrays, dim)"),  # (legacy: skipped)
    I("__setitem__", "self, key, value", "setitem",
      {"self": "__setitem__(grad, key, 0)", "value": "setitem_value_backward(grad[key], value_sizes)"},
      "'IndexPutBackward0' if puts_in_place(self, key) else 'torch::autograd::CopySlices'",
      "lambda a, key, value: put(a, key, value)"),
    I("flip", "self, dims", "flip", {"self": "grad.flip(dims)"}, "FlipBackward0", "lambda a, dims: np.flip(a, dims)"),
    I("as_strided_scatter", "self, src, size, stride, storage_offset", "as_strided_scatter",
      {"self": "as_strided_scatter(grad, grad.new_zeros(src_sizes), size, stride, storage_offset)",
       "src": "as_strided(grad, size, stride, storage_offset)"}, "AsStridedScatterBackward0",
      "lambda a, src, size, stride, storage_offset: put(a.reshape(-1), np.lib.stride_tricks.as_strided("
      "np.arange(a.size)[storage_offset:], size, [s * 8 for s in stride]), src).reshape(a.shape)"),
    # a view of a copy of self replaced by src (torch's *_scatter of the views)
    I("select_scatter", "self, src, dim, index", "into_view_select",
      {"self": "select_scatter(grad, grad.new_zeros(src_sizes), dim, index)", "src": "grad.select(dim, index)"},
      "SelectScatterBackward0", "lambda a, src, dim, index: put(a, (slice(None),) * (dim % a.ndim) + (index,), src)"),
    I("slice_scatter", "self, src, dim, start, end, step", "into_view_slice",
      {"self": "slice_scatter(grad, grad.new_zeros(src_sizes), dim, start, end, step)",
       "src": "slice(grad, dim, start, end, step)"}, "SliceScatterBackward0",
      "lambda a, src, dim, start, end, step: put(a, (slice(None),) * (dim % a.ndim) + (slice(start, end, step),), "
      "src)"),
    I("diagonal_scatter", "self, src, offset, dim1, dim2", "into_view_diagonal",
      {"self": "diagonal_scatter(grad, grad.new_zeros(src_sizes), offset, dim1, dim2)",
       "src": "grad.diagonal(offset, dim1, dim2)"}, "DiagonalScatterBackward0", "diagonal_scatter_reference"),
    # the backward of the views (VIEWS rows): zeros holding the gradient in the view, whose own derivative is the view
    I("select_backward", "grad_output, input_sizes, dim, index", "view_scatter_select",
      {"grad_output": "grad.select(dim, index)"}, "SelectBackwardBackward0",
      "lambda g, input_sizes, dim, index: put(np.zeros(input_sizes), (slice(None),) * dim + (index,), g)"),
    I("slice_backward", "grad_output, input_sizes, dim, start, end, step", "view_scatter_slice",
      {"grad_output": "slice(grad, dim, start, end, step)"}, "SliceBackwardBackward0",
      "lambda g, input_sizes, dim, start, end, step: put(np.zeros(input_sizes), (slice(None),) * dim + "
      "(slice(start, end, step),), g)"),
    I("diagonal_backward", "grad_output, input_sizes, offset, dim1, dim2", "view_scatter_diagonal",
      {"grad_output": "grad.diagonal(offset, dim1, dim2)"}, "DiagonalBackwardBackward0", "diagonal_backward_reference"),
    I("unfold_backward", "grad_in, input_sizes, dim, size, step", "unfold_backward",
      {"grad_in": "grad.unfold(dim, size, step)"}, "UnfoldBackwardBackward0", "unfold_backward_reference"),
]
del I
INDEXING_BY_NAME = {e.name: e for e in INDEXING}

# The neural-network kernels: templates over the element type T with one signature for both devices
# (tg::cpu::name in cpu/, tg::cuda::name in cuda/nn.cu, a throwing stub in cuda/unavailable.cpp), which
# core/nn_ops.cpp validates for, allocates for and dispatches to. (name, C++ parameters, what it computes.)
# Pointers are to contiguous memory; outputs are fully written unless stated.
NN_KERNELS = [
    ("conv2d_forward", "const ConvShape& s, const T* x, const T* w, const T* b, T* y",
     "y = conv(x, w) + b; b may be null"),
    ("conv2d_backward_input", "const ConvShape& s, const T* gy, const T* w, T* gx",
     "gx = d(sum gy * y)/dx, the transposed convolution of gy with w"),
    ("conv2d_backward_weight", "const ConvShape& s, const T* gy, const T* x, T* gw",
     "gw = d(sum gy * y)/dw, summed over the batch in a fixed order (deterministic)"),
    ("max_pool2d_forward", "const PoolShape& s, const T* x, T* y, int64_t* idx",
     "idx[p, oh, ow] = flat index (h * W + w) of the window's maximum in its plane; a NaN wins, as in torch"),
    ("max_pool2d_backward", "const PoolShape& s, const T* gy, const int64_t* idx, T* gx",
     "gx = 0, then gx[idx] += gy; indices outside the plane (padding-only windows) are skipped"),
    ("avg_pool2d_forward", "const PoolShape& s, bool count_include_pad, int64_t divisor, const T* x, T* y",
     "the window mean; divisor > 0 overrides the window size"),
    ("avg_pool2d_backward", "const PoolShape& s, bool count_include_pad, int64_t divisor, const T* gy, T* gx",
     "the gradient of avg_pool2d_forward"),
    ("softmax_forward", "int64_t outer, int64_t D, int64_t inner, bool log, const T* x, T* y",
     "(log_)softmax over the middle dim of an (outer, D, inner) block"),
    ("softmax_backward", "int64_t outer, int64_t D, int64_t inner, bool log, const T* gy, const T* y, T* gx",
     "its gradient from the forward output y"),
    ("class_loss_forward",
     "const ClassLossArgs& a, const T* x, const int64_t* t, const T* w, T* out, T* lse, T* total_weight",
     "cross entropy (a.log_softmax: fused log_softmax + nll, label smoothing) or nll_loss over input (N, C, S) "
     "and validated int64 targets (N, S); out: N*S values (reduction none) or one; lse: the rows' "
     "log-sum-exp (cross entropy only, may be null otherwise); total_weight: the non-ignored targets' weight sum"),
    ("class_loss_backward",
     "const ClassLossArgs& a, const T* g, const T* x, const int64_t* t, const T* w, const T* lse, "
     "const T* total_weight, T* gx",
     "its gradient; g: N*S values or one; total_weight is read on the tensors' device (no host sync)"),
    ("lstm_cell_forward",
     "int64_t N, int64_t H, const T* gates, const T* gates_t, const T* cx, T* hy, T* cy, T* act",
     "one LSTM step from the pre-activations gates (N, 4H) + gates_t^T (gates_t (4H, N), may be null; order "
     "i, f, g, o) and cx (N, H): act = (sigmoid(i), sigmoid(f), tanh(g), sigmoid(o)), cy = f * cx + i * g, "
     "hy = o * tanh(cy)"),
    ("lstm_cell_backward",
     "int64_t N, int64_t H, const T* grad_hy, const T* grad_hy_t, const T* grad_cy, const T* act, const T* cx, "
     "const T* cy, T* grad_gates, T* grad_cx",
     "its gradient w.r.t. the pre-activations (N, 4H) and cx from the forward's act and cy, for the gradient "
     "grad_hy (N, H) + grad_hy_t^T (grad_hy_t (H, N)) of hy and grad_cy of cy; any of the three may be null (zero)"),
    ("upsample_forward", "const UpsampleShape& s, const T* x, T* y",
     "interpolate's nearest / nearest-exact / (bi/tri)linear resampling of each plane (upsample_taps per dim)"),
    ("upsample_backward", "const UpsampleShape& s, const T* gy, T* gx",
     "its gradient: gx = 0, then every output's taps add their weight times gy"),
]


class NnOp:
    """A neural-network op over the nn kernels (conv, pooling, resampling, softmax, the losses), or an elementwise op
    with a kernel of its own (frexp's two outputs, the sampler _standard_gamma), as torch's
    native_functions.yaml + derivatives.yaml declare it: `name` torch's (an aten op; cross_entropy is torch's
    composite, fused here); `kernel` the function computing it without a graph, kernel(*input impls, *params) ->
    an impl or a tuple of impls (one of _ops._NN_KERNELS or a `_C` function); `inputs` the tensor arguments in order
    (an optional one may be None; torch's non-tensor arguments between them move to `params`, the rest of the
    signature, in order); `outputs` the kernel's outputs, of which the first `returns` are returned (the others,
    such as cross entropy's log-sum-exp, are kept for the formulas), integer ones not differentiable; `grad` the
    derivative of each differentiable input in Tensor ops, {input: formula} or {"input, weight, bias": formula
    returning a tuple} (torch's multi-input entries, which read `grad_input_mask`), over `grad` (`grads`: one per
    output of a multi-output op, None where none flows), the inputs (`<input>_sizes`: only its shape is kept, as
    torch's self_sizes), the params and the outputs, with the helpers of _ops._NN_ENV (torch's names); a formula
    calling a backward op (convolution_backward, nll_loss_backward, ...) calls that op's row, so double backward
    goes through rows as torch's does; `fused` the formula as one kernel where that kernel is not a row of its own
    (cross entropy's class_loss_backward), used when no graph is built; `node` torch's grad_fn name (a tuple: by
    the number of spatial dims, 1 to 3); `ref` the tests' float64 reference (tests/test_registry_nn.py: a function
    of its REFS, "vjp:<row>" for a backward op, checked against the numerical vector-Jacobian product of that
    row's reference, or "cdf:<name>" for a sampler, one random draw per element: its draws are checked against
    that CDF of its CDFS and its formula against the CDF's implicit derivative, -(dCDF/dparam) / pdf, instead of
    a value and gradcheck)."""
    __slots__ = ("name", "kernel", "inputs", "params", "outputs", "returns", "grad", "fused", "node", "ref")

    def __init__(self, name, kernel, inputs, params, grad, node, ref, outputs=("result",), returns=1, fused=None):
        self.name, self.kernel, self.inputs, self.params = name, kernel, tuple(inputs), tuple(params)
        self.outputs, self.returns, self.grad, self.fused = outputs, returns, grad, fused
        self.node, self.ref = node, ref

    @property
    def differentiable(self):
        """The inputs with a formula, in the inputs' order."""
        named = {n.strip() for key in self.grad for n in key.split(",")}
        return tuple(n for n in self.inputs if n in named)


_CONV = ("stride", "padding", "dilation", "transposed", "output_padding", "groups")
_POOL = ("kernel_size", "stride", "padding")
_AVG = _POOL + ("ceil_mode", "count_include_pad", "divisor_override")
_MAX = _POOL + ("dilation", "ceil_mode")
_UPSAMPLE = ("output_size", "align_corners", "scales")
_UPSAMPLE_BACKWARD = ("output_size", "input_size", "align_corners", "scales")
N = NnOp
NN_OPS = [
    N("convolution", "convolution", ("input", "weight", "bias"), _CONV,
      {"input, weight, bias": "convolution_backward(grad, input, weight, stride, padding, dilation, transposed, "
                              "output_padding, groups, grad_input_mask)"},
      "ConvolutionBackward0", "convolution"),
    N("convolution_backward", "convolution_backward", ("grad_output", "input", "weight"), _CONV + ("output_mask",),
      {"grad_output, input, weight": "_convolution_double_backward(grads, grad_output, weight, input, stride, "
                                     "padding, dilation, transposed, output_padding, groups, grad_input_mask)"},
      "ConvolutionBackwardBackward0", "vjp:convolution", outputs=("grad_input", "grad_weight", "grad_bias"),
      returns=3),
    N("max_pool2d_with_indices", "max_pool2d", ("self",), _MAX,
      {"self": "max_pool2d_with_indices_backward(grad, self, indices, kernel_size, stride, padding, dilation, "
               "ceil_mode)"},
      "MaxPool2DWithIndicesBackward0", "max_pool2d", outputs=("result", "indices"), returns=2),
    N("max_pool2d_with_indices_backward", "max_pool2d_with_indices_backward", ("grad_output", "self", "indices"),
      _MAX, {"grad_output": "max_pool_double_backward(grad, indices, 2)", "self": "zeros_like(self)"},
      "MaxPool2DWithIndicesBackwardBackward0", "vjp:max_pool2d_with_indices"),
    N("avg_pool2d", "avg_pool2d", ("self",), _AVG,
      {"self": "avg_pool2d_backward(grad, self, kernel_size, stride, padding, ceil_mode, count_include_pad, "
               "divisor_override)"},
      "AvgPool2DBackward0", "avg_pool2d"),
    N("avg_pool2d_backward", "avg_pool2d_backward", ("grad_output", "self"), _AVG,
      {"grad_output": "avg_pool2d(grad, kernel_size, stride, padding, ceil_mode, count_include_pad, "
                      "divisor_override)",
       "self": "zeros_like(self)"},
      "AvgPool2DBackwardBackward0", "vjp:avg_pool2d"),
    *(op for mode, nodes in (
        ("upsample_nearest", ("UpsampleNearest1D", "UpsampleNearest2D", "UpsampleNearest3D")),
        ("_upsample_nearest_exact", ("UpsampleNearestExact1D", "UpsampleNearestExact2D", "UpsampleNearestExact3D")),
        ("upsample_linear", ("UpsampleLinear1D", "UpsampleBilinear2D", "UpsampleTrilinear3D")))
      for op in (
        N(mode, mode, ("self",), _UPSAMPLE,
          {"self": f"{mode}_backward(grad, output_size, self_sizes, align_corners, scales)"},
          tuple(n + "Backward0" for n in nodes), mode),
        N(mode + "_backward", mode + "_backward", ("grad_output",), _UPSAMPLE_BACKWARD,
          {"grad_output": f"{mode}(grad, output_size, align_corners, scales)"},
          tuple(n + "BackwardBackward0" for n in nodes), "vjp:" + mode))),
    N("_softmax", "softmax", ("self",), ("dim",), {"self": "_softmax_backward_data(grad, result, dim, result.dtype)"},
      "SoftmaxBackward0", "softmax"),
    N("_softmax_backward_data", "softmax_backward_data", ("grad_output", "output"), ("dim", "input_dtype"),
      {"grad_output": "_softmax_backward_data(grad, output, dim, input_dtype)",
       "output": "grad * grad_output - grad * (grad_output * output).sum(dim, keepdim=True)"
                 " - grad_output * (grad * output).sum(dim, keepdim=True)"},
      "SoftmaxBackwardDataBackward0", "vjp:_softmax"),
    N("_log_softmax", "log_softmax", ("self",), ("dim",),
      {"self": "_log_softmax_backward_data(grad, result, dim, result.dtype)"}, "LogSoftmaxBackward0", "log_softmax"),
    N("_log_softmax_backward_data", "log_softmax_backward_data", ("grad_output", "output"), ("dim", "input_dtype"),
      {"grad_output": "grad - (grad * output.exp()).sum(dim, keepdim=True)",
       "output": "-grad * output.exp() * grad_output.sum(dim, keepdim=True)"},
      "LogSoftmaxBackwardDataBackward0", "vjp:_log_softmax"),
    # (torch's cross_entropy is log_softmax + nll_loss; fused here, its node named as the last of torch's)
    N("cross_entropy", "cross_entropy", ("self", "target", "weight"), ("reduction", "ignore_index", "label_smoothing"),
      {"self": "cross_entropy_backward(grad, self, target, weight, reduction, ignore_index, label_smoothing, "
               "total_weight)"},
      "NllLossBackward0", "cross_entropy", outputs=("result", "lse", "total_weight"),
      fused="class_loss_backward(grad, self, target, weight, lse, total_weight, reduction, ignore_index, "
            "label_smoothing)"),
    N("nll_loss", "nll_loss", ("self", "target", "weight"), ("reduction", "ignore_index"),
      {"self": "nll_loss_backward(grad, self, target, weight, total_weight, reduction, ignore_index)"},
      "NllLossBackward0", "nll_loss", outputs=("result", "total_weight")),
    N("nll_loss_backward", "nll_loss_backward", ("grad_output", "self", "target", "weight", "total_weight"),
      ("reduction", "ignore_index"),
      {"grad_output": "nll_loss(grad, target, weight, reduction, ignore_index)", "self": "zeros_like(grad)"},
      "NllLossBackwardBackward0", "vjp:nll_loss"),
    # (self and target broadcast: the gradients are summed back to their shapes)
    N("mse_loss", "mse_loss", ("self", "target"), ("reduction",),
      {"self": "sum_to(mse_loss_backward(grad, self, target, reduction), self.shape)",
       "target": "sum_to(mse_loss_backward(grad, target, self, reduction), target.shape)"}, "MseLossBackward0",
      "mse_loss"),
    N("mse_loss_backward", "mse_loss_backward", ("grad_output", "self", "target"), ("reduction",),
      {"grad_output": "sum_to(mse_loss_backward(grad, self, target, reduction), grad_output.shape)",
       "self": "sum_to(mse_loss_double_backward(grad * grad_output, grad, reduction), self.shape)",
       "target": "sum_to(-mse_loss_double_backward(grad * grad_output, grad, reduction), target.shape)"},
      "MseLossBackwardBackward0", "vjp:mse_loss"),
    N("embedding", "embedding", ("weight", "indices"), ("padding_idx",),
      {"weight": "embedding_dense_backward(grad, indices, weight_sizes[0], padding_idx)"}, "EmbeddingBackward0",
      "embedding"),
    N("embedding_dense_backward", "embedding_dense_backward", ("grad_output", "indices"),
      ("num_weights", "padding_idx"), {"grad_output": "embedding_dense_double_backward(grad, indices, padding_idx)"},
      "EmbeddingDenseBackwardBackward0", "vjp:embedding"),
    # (torch's ctc_loss has no second derivative: its backward is not a differentiable op)
    N("ctc_loss", "ctc_loss", ("log_probs", "targets"), ("input_lengths", "target_lengths", "blank", "zero_infinity"),
      {"log_probs": "_ctc_loss_backward(grad, log_probs, targets, input_lengths, target_lengths, result, "
                    "log_alpha, blank, zero_infinity)"},
      "CtcLossBackward0", "ctc_loss", outputs=("result", "log_alpha")),
    # one direction of one LSTM layer (torch's CPU LSTM op: weight0..3 = W_ih, W_hh, b_ih, b_hh; its workspace here
    # the cell states and the activated gates of each step)
    N("mkldnn_rnn_layer", "mkldnn_rnn_layer", ("input", "weight0", "weight1", "weight2", "weight3", "hx_", "cx_"),
      ("reverse",),
      {"input, weight0, weight1, weight2, weight3, hx_, cx_": "mkldnn_rnn_layer_backward(grads, input, weight0, "
       "weight1, weight2, weight3, hx_, cx_, output, cs, acts, reverse, grad_input_mask)"},
      "MkldnnRnnLayerBackward0", "mkldnn_rnn_layer", outputs=("output", "hy", "cy", "cs", "acts"), returns=3),
    # elementwise ops with a kernel of their own: two outputs (the exponent int32, not differentiable), a sampler
    N("frexp", "frexp", ("self",), (), {"self": "grad / exponent.exp2()"}, "FrexpBackward0", "frexp",
      outputs=("mantissa", "exponent"), returns=2),
    N("_standard_gamma", "_standard_gamma", ("self",), (), {"self": "grad * _standard_gamma_grad(self, result)"},
      "StandardGammaBackward0", "cdf:gamma"),
]
del N
NN_OPS_BY_NAME = {e.name: e for e in NN_OPS}
assert len(NN_OPS_BY_NAME) == len(NN_OPS), "an nn op is declared twice"


class OptimizerStep:
    """One optimizer's update of one parameter as a single elementwise pass (csrc/ops/optim.h's functor): the
    `_C.<name>(param, grad, states, hyper)` kernel and the multi-tensor `_C.foreach_<name>(params, grads, states,
    steps, hyper)` (one call per param group, torch's foreach path), their CPU and CUDA dispatch and bindings, and
    optim._fused.<name>(param, grad, states, **hyper) and optim._fused.foreach_<name>(...), all from this entry.
    `states` names the state tensors the functor updates in place, in slot order (only those the functor's flags use
    are passed, in that order: Adam's max_exp_avg_sq only with amsgrad, RMSprop's grad_avg only when centered);
    `hyper` names the functor's members in order (numbers or flags, and the numbers the optimizer keeps per
    parameter: `step`, the parameter's step count after this step, from which the functor derives its bias
    corrections, and NAdam's `mu_product`, ASGD's `eta` and `mu`). `counted`: the optimizer keeps a 0-d 'step'
    state per parameter, which the multi-tensor call increments itself when given the counters (its new value is
    the `step` member). The param, its gradient and the states share shape, dtype and device (float16/bfloat16
    compute in float32, rounded once, as torch's fused kernels).

    `formula` is the update written with Tensor ops (Python statements over `param`, `grad`, the state names and
    the hyperparameters, rebinding `param` and the states to their new values; `math` and `addcmul_sq(a, t, value)`
    (torch's addcmul(a, t, t, value=): the last product fused with the add) are available; optim._fused.formula
    runs it): torch's single-tensor update op for op (its add(alpha=), addcmul and lerp are fused multiply-adds,
    as torch's kernels), the fused kernel its registered specialization, one rounding per operation in the same
    order, and the tests check the two agree bit for bit."""
    __slots__ = ("name", "functor", "states", "hyper", "formula", "counted")

    def __init__(self, name, functor, states, hyper, formula, counted=True):
        assert len(states) <= MAX_OPTIM_STATES and len(hyper) <= MAX_OPTIM_HYPER, name
        self.name, self.functor, self.states, self.hyper = name, functor, tuple(states), tuple(hyper)
        self.formula, self.counted = formula, counted

    @property
    def foreach_name(self):
        return "foreach_" + self.name


MAX_OPTIM_STATES = 3  # slots s0, s1, s2 of the functors (csrc/ops/optim.h)
MAX_OPTIM_HYPER = 12  # OptimHyper in csrc/ops/optim.h
_EFFECTIVE_GRAD = """
grad = -grad if maximize else grad
grad = grad.add(param, alpha=weight_decay) if weight_decay else grad
"""
# Adam's, NAdam's and RAdam's: the weight decay decoupled (AdamW's: param scaled first) or an L2 penalty; the moments
_DECOUPLED_GRAD = """
if decoupled and weight_decay:
    param = param * (1 - lr * weight_decay)
grad = -grad if maximize else grad
grad = grad.add(param, alpha=weight_decay) if weight_decay and not decoupled else grad
"""
_MOMENTS = """
exp_avg = exp_avg.lerp(grad, 1 - beta1)
exp_avg_sq = addcmul_sq(exp_avg_sq * beta2, grad, 1 - beta2)
"""
O = OptimizerStep
OPTIMIZER_STEPS = [
    O("sgd_step_", "SgdStepOp", ("momentum_buffer",),
      ("lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize", "first"), _EFFECTIVE_GRAD + """
if momentum:
    momentum_buffer = grad if first else (momentum_buffer * momentum).add(grad, alpha=1 - dampening)
    grad = grad.add(momentum_buffer, alpha=momentum) if nesterov else momentum_buffer
param = param.add(grad, alpha=-lr)
""", counted=False),
    O("adam_step_", "AdamStepOp", ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"),
      ("lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad", "maximize", "decoupled", "step"),
      _DECOUPLED_GRAD + _MOMENTS + """
if amsgrad:
    max_exp_avg_sq = max_exp_avg_sq.maximum(exp_avg_sq)
denom = (max_exp_avg_sq if amsgrad else exp_avg_sq).sqrt() / math.sqrt(1 - beta2 ** step) + eps
param = param + (exp_avg * -(lr / (1 - beta1 ** step))) / denom
"""),
    O("rmsprop_step_", "RmspropStepOp", ("square_avg", "grad_avg", "momentum_buffer"),
      ("lr", "alpha", "eps", "weight_decay", "momentum", "centered", "maximize"), _EFFECTIVE_GRAD + """
square_avg = addcmul_sq(square_avg * alpha, grad, 1 - alpha)
if centered:
    grad_avg = grad_avg.lerp(grad, 1 - alpha)
    avg = addcmul_sq(square_avg, grad_avg, -1.0).sqrt() + eps
else:
    avg = square_avg.sqrt() + eps
if momentum > 0:
    momentum_buffer = momentum_buffer * momentum + grad / avg
    param = param.add(momentum_buffer, alpha=-lr)
else:
    param = param + (grad * -lr) / avg
"""),
    O("adagrad_step_", "AdagradStepOp", ("sum",), ("lr", "lr_decay", "eps", "weight_decay", "maximize", "step"),
      _EFFECTIVE_GRAD + """
sum = addcmul_sq(sum, grad, 1.0)
param = param + (grad * -(lr / (1 + (step - 1) * lr_decay))) / (sum.sqrt() + eps)
"""),
    O("adamax_step_", "AdamaxStepOp", ("exp_avg", "exp_inf"),
      ("lr", "beta1", "beta2", "eps", "weight_decay", "maximize", "step"), _EFFECTIVE_GRAD + """
exp_avg = exp_avg.lerp(grad, 1 - beta1)
exp_inf = (exp_inf * beta2).maximum(grad.abs() + eps)
param = param + (exp_avg * -(lr / (1 - beta1 ** step))) / exp_inf
"""),
    O("adadelta_step_", "AdadeltaStepOp", ("square_avg", "acc_delta"),
      ("lr", "rho", "eps", "weight_decay", "maximize"), _EFFECTIVE_GRAD + """
square_avg = addcmul_sq(square_avg * rho, grad, 1 - rho)
delta = ((acc_delta + eps).sqrt() / (square_avg + eps).sqrt()) * grad
acc_delta = addcmul_sq(acc_delta * rho, delta, 1 - rho)
param = param.add(delta, alpha=-lr)
"""),
    O("nadam_step_", "NadamStepOp", ("exp_avg", "exp_avg_sq"),
      ("lr", "beta1", "beta2", "eps", "weight_decay", "momentum_decay", "maximize", "decoupled", "step",
       "mu_product"), _DECOUPLED_GRAD + _MOMENTS + """
mu = beta1 * (1 - 0.5 * 0.96 ** (step * momentum_decay))
mu_next = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
denom = (exp_avg_sq / (1 - beta2 ** step)).sqrt() + eps
param = param + (grad * -(lr * (1 - mu) / (1 - mu_product))) / denom
param = param + (exp_avg * -(lr * mu_next / (1 - mu_product * mu_next))) / denom
"""),
    O("radam_step_", "RadamStepOp", ("exp_avg", "exp_avg_sq"),
      ("lr", "beta1", "beta2", "eps", "weight_decay", "maximize", "decoupled", "step"), _DECOUPLED_GRAD + _MOMENTS + """
bias_correction2 = 1 - beta2 ** step
update = (exp_avg / (1 - beta1 ** step)) * lr
rho_inf = 2 / (1 - beta2) - 1
rho_t = rho_inf - 2 * step * beta2 ** step / bias_correction2
if rho_t > 5:
    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
    update = update * (bias_correction2 ** 0.5 / (exp_avg_sq.sqrt() + eps))
    update = update * rect
param = param - update
"""),
    O("asgd_step_", "AsgdStepOp", ("ax",), ("lambd", "eta", "mu", "weight_decay", "maximize"), _EFFECTIVE_GRAD + """
param = param * (1 - lambd * eta)
param = param.add(grad, alpha=-eta)
ax = ax + (param - ax) * mu if mu != 1 else param
"""),
]
del O
OPTIMIZER_STEPS_BY_NAME = {e.name: e for e in OPTIMIZER_STEPS}


class Linalg:
    """A torch.linalg op with its own graph node (torch's derivatives.yaml entry): the autograd op
    (_ops.LINALG_OPS[name]: apply(*inputs, *params) returns the output, or torch.return_types.<name> for several),
    its return type and the tests' rows, all from this entry. `signature` is torch's (native_functions.yaml:
    `Tensor A, *, bool upper=False`): its Tensor arguments are the inputs, the others the params, passed to the
    kernel and the formulas by name. `kernel` names the function computing the outputs' impls from the inputs'
    impls and the params (`_C.<kernel>`, or one of _ops._LINALG_KERNELS composing _C calls); `outputs` torch's
    names of the results; `grad` maps the differentiable inputs (one name, or several, "A, B", for a formula
    giving a tuple) to the derivative in Tensor ops over `grad` (the first output's gradient), `grad_<output>`
    (None where no gradient reached that output), the inputs, the outputs, the params and `grad_input_mask`,
    calling torch's helpers (_ops._LINALG_HELPERS: svd_backward, cholesky_backward, ...); `node` torch's node
    name; `nondiff` the outputs without a gradient (pivots, info); `ref` the numpy reference, ref(*arrays,
    *params) -> the outputs (the tests name the helpers it calls)."""
    __slots__ = ("name", "signature", "kernel", "outputs", "grad", "node", "nondiff", "ref", "inputs", "params")

    def __init__(self, name, signature, kernel, outputs, grad, node, ref, nondiff=()):
        self.name, self.signature, self.kernel, self.outputs = name, signature, kernel, tuple(outputs)
        self.grad, self.node, self.nondiff, self.ref = dict(grad), node, tuple(nondiff), ref
        args = [a.strip().split(" ", 1) for a in signature.split(",") if a.strip() != "*"]
        self.inputs = tuple(a[1] for a in args if a[0] == "Tensor")
        self.params = tuple(a[1].split("=")[0] for a in args if a[0] != "Tensor")  # (in torch's order)


# torch's: the reduced factors' part of a full_matrices svd (k = S.shape[-1] columns of U, rows of Vh)
_SVD_GRAD = ("svd_backward(grad_U.narrow(-1, 0, S.shape[-1]) if full_matrices and grad_U is not None else grad_U, "
             "grad_S, grad_Vh.narrow(-2, 0, S.shape[-1]) if full_matrices and grad_Vh is not None else grad_Vh, "
             "U.narrow(-1, 0, S.shape[-1]) if full_matrices else U, S, "
             "Vh.narrow(-2, 0, S.shape[-1]) if full_matrices else Vh)")
_INFO = "np.zeros(a.shape[:-2], np.int32)"  # (info: 0, every matrix factored)
L = Linalg
LINALG = [
    L("linalg_svd", "Tensor A, bool full_matrices=True", "linalg_svd", ("U", "S", "Vh"), {"A": _SVD_GRAD},
      "LinalgSvdBackward0", "lambda a, full_matrices: np.linalg.svd(a, full_matrices=full_matrices)"),
    L("linalg_lu_factor_ex", "Tensor A, *, bool pivot=True, bool check_errors=False", "linalg_lu_factor_ex",
      ("LU", "pivots", "info"), {"A": "lu_factor_ex_backward(grad, LU, pivots, pivot)"}, "LinalgLuFactorExBackward0",
      "lambda a, pivot, check_errors: lu_factor_ref(a)", nondiff=("pivots", "info")),
    L("linalg_solve_ex", "Tensor A, Tensor B, *, bool left=True, bool check_errors=False", "linalg_solve_ex",
      ("result", "info"), {"A, B": "linalg_solve_backward(grad, result, A, left, grad_input_mask)"},
      "LinalgSolveExBackward0", "lambda a, b, left, check_errors: (np.linalg.solve(a, b) if left else "
      f"np.linalg.solve(a.swapaxes(-1, -2), b.swapaxes(-1, -2)).swapaxes(-1, -2), {_INFO})", nondiff=("info",)),
    L("linalg_inv_ex", "Tensor A, *, bool check_errors=False", "linalg_inv_ex", ("inverse", "info"),
      {"A": "-inverse.mT.matmul(grad.matmul(inverse.mT))"}, "LinalgInvExBackward0",
      f"lambda a, check_errors: (np.linalg.inv(a), {_INFO})", nondiff=("info",)),
    L("linalg_det", "Tensor A", "linalg_det", ("result",), {"A": "linalg_det_backward(grad, result, A)"},
      "LinalgDetBackward0", "np.linalg.det"),
    L("linalg_slogdet", "Tensor A", "linalg_slogdet", ("sign", "logabsdet"),
      {"A": "slogdet_backward(grad_sign, grad_logabsdet, A, sign)"}, "LinalgSlogdetBackward0", "np.linalg.slogdet"),
    L("linalg_solve_triangular", "Tensor A, Tensor B, *, bool upper, bool left=True, bool unitriangular=False",
      "linalg_solve_triangular", ("result",),
      {"A, B": "linalg_solve_triangular_backward(grad, A, result, upper, left, unitriangular, grad_input_mask)"},
      "LinalgSolveTriangularBackward0", "solve_triangular_ref"),
    L("linalg_cholesky_ex", "Tensor A, *, bool upper=False, bool check_errors=False", "linalg_cholesky_ex",
      ("L", "info"), {"A": "cholesky_backward(grad, upper, L)"}, "LinalgCholeskyExBackward0",
      f"lambda a, upper, check_errors: (np.linalg.cholesky(a).swapaxes(-1, -2) if upper else np.linalg.cholesky(a), "
      f"{_INFO})", nondiff=("info",)),
    L("linalg_qr", "Tensor A, str mode='reduced'", "linalg_qr", ("Q", "R"),
      {"A": "linalg_qr_backward(grad_Q, grad_R, Q, R, mode)"}, "LinalgQrBackward0", "qr_ref"),
    L("linalg_eigh", "Tensor A, str UPLO='L'", "linalg_eigh", ("eigenvalues", "eigenvectors"),
      {"A": "linalg_eig_backward(grad_eigenvalues, grad_eigenvectors, eigenvalues, eigenvectors, is_hermitian=True)"},
      "LinalgEighBackward0", "lambda a, UPLO: np.linalg.eigh(a, UPLO)"),
]
del L
LINALG_BY_NAME = {e.name: e for e in LINALG}


class FrontEnd:
    """A C++ front-end function bound one to one as `_C.<name>`: its declaration is written here only. The build
    writes it into the generated header its core header includes (`header`, e.g. core/nn_ops.h includes
    tg_front_ends_core_nn_ops.h) and its pybind11 binding into bind_generated() (tg_bindings.cpp). `decl` is the C++
    declaration without the semicolon (`Tensor mm(const Tensor& a, const Tensor& b)`); the parameters' names are the
    binding's argument names and their defaults its defaults (a Tensor's `nullptr` is Python's None, which any
    Tensor argument accepts as a null Tensor; a null Tensor returned is None). `gil` is how the call runs:
    "keep" holds the GIL, "release" releases it for the call, and a parameter's name releases it when that tensor
    has enough elements to be worth it (bindings/gil.h's ReleaseGil). `name` is the Python name where it is not the
    C++ one; `doc` the declaration's comment."""
    __slots__ = ("header", "decl", "gil", "name", "doc", "result", "function", "params")

    def __init__(self, header, decl, gil="keep", name=None, doc=""):
        self.header, self.decl, self.gil, self.doc = header, decl, gil, doc
        head, args = decl[:-1].split("(", 1)
        self.result, self.function = head.rsplit(" ", 1)
        self.name = name or self.function
        # (type, name, C++ default or None), split at the commas outside template arguments
        self.params, depth, start = [], 0, 0
        for i, c in enumerate(args + ","):
            depth += (c == "<") - (c == ">")
            if c == "," and depth == 0 and args[start:i].strip():
                param, _, default = args[start:i].partition("=")
                ptype, pname = param.strip().rsplit(" ", 1)
                self.params.append((ptype, pname, default.strip() or None))
                start = i + 1
        assert gil in ("keep", "release") or gil in [p[1] for p in self.params], (decl, gil)


_TENSOR, _OPS, _NN, _RNN = "core/tensor.h", "core/ops.h", "core/nn_ops.h", "core/rnn_ops.h"
_CTC, _SVD, _LU = "cpu/ctc.h", "cpu/linalg.h", "cpu/lu.h"
F = FrontEnd
FRONT_ENDS = [
    # dims and views (no copies; the views taking sizes are bound by hand: their sizes' TypeError)
    F(_TENSOR, "int64_t wrap_dim(int64_t dim, int64_t ndim)",
      doc="wraps a possibly negative dim into [0, ndim); IndexError in torch's words otherwise"),
    F(_TENSOR, "Tensor transpose(const Tensor& t, int64_t d0, int64_t d1)"),
    F(_TENSOR, "Tensor unsqueeze(const Tensor& t, int64_t dim)"),
    F(_TENSOR, "Tensor slice(const Tensor& t, int64_t dim, int64_t start, int64_t stop, int64_t step)"),
    F(_TENSOR, "Tensor select(const Tensor& t, int64_t dim, int64_t index)"),
    F(_TENSOR, "Tensor t(const Tensor& self)", doc="the transpose of a matrix; fewer dims: an alias"),
    F(_TENSOR, "Tensor squeeze_dims(const Tensor& self, const std::vector<int64_t>& dims)",
      doc="squeeze.dims: each listed dim of size 1 removed"),
    F(_TENSOR, "Tensor diagonal(const Tensor& self, int64_t offset, int64_t dim1, int64_t dim2)",
      doc="the strided view of a diagonal: dims dim1 and dim2 replaced by a last dim"),
    F(_TENSOR, "Tensor unfold(const Tensor& self, int64_t dimension, int64_t size, int64_t step)",
      doc="the windows of `size` every `step` along dimension, as a last dim"),
    F(_TENSOR, "Tensor alias(const Tensor& t)", doc="new TensorImpl, same view and version counter (detach)"),
    F(_TENSOR, "Tensor variable_data(const Tensor& t)",
      doc="new TensorImpl, same view, a version counter of its own (torch's .data: autograd does not see its writes)"),
    F(_OPS, "void bump_version(const Tensor& t)", doc="the in-place write counter torch's autograd checks"),
    F(_OPS, "void set_inference_mode(bool enabled)",
      doc="whether inference_mode is on (bump_version refuses an inference tensor's write outside it)"),
    # copies
    F(_OPS, "Tensor contiguous(const Tensor& t)", "t"),
    F(_OPS, "Tensor clone(const Tensor& t)", "t"),
    # elementwise with a hand-written kernel (the registry's `kernel` rows)
    F(_OPS, "Tensor leaky_relu(const Tensor& a, double slope, const Tensor& out = nullptr)"),
    # elementwise with two outputs (the NN_OPS row frexp)
    F(_OPS, "std::pair<Tensor, Tensor> frexp(const Tensor& self)", "self",
      doc="(mantissa, exponent int32) with self = mantissa * 2^exponent, |mantissa| in [0.5, 1), of a float32 or "
          "float64 tensor; zero, inf and NaN give themselves and exponent 0"),
    # reductions to values and indices
    F(_OPS, "std::pair<Tensor, Tensor> max_dim(const Tensor& a, int64_t dim, bool keepdim, bool is_max)", "a",
      doc="max(dim)/min(dim): (values, indices)"),
    F(_OPS, "Tensor argmax(const Tensor& a, std::optional<int64_t> dim, bool keepdim, bool is_max)",
      doc="argmax/argmin over a dim or the flattened tensor"),
    # linear algebra: products and gathers have enough work to always run without the GIL
    F(_OPS, "Tensor mm(const Tensor& a, const Tensor& b, const Tensor& out = nullptr)", "release",
      doc="a @ b; out: a compiled plan's buffer for the result (exactly its shape, dtype and device, contiguous)"),
    F(_OPS, "Tensor bmm(const Tensor& a, const Tensor& b)", "release"),
    F(_OPS, "Tensor addmm(const Tensor& bias, const Tensor& a, const Tensor& b, const Tensor& out = nullptr)",
      "release", doc="bias + a @ b, one pass; out: as mm's"),
    # indexing and joining
    F(_OPS, "Tensor index(const Tensor& a, int64_t dim, const std::vector<Tensor>& indices)", "release",
      doc="`indices` index consecutive dims starting at `dim` and broadcast together"),
    F(_OPS, "void index_put_(const Tensor& a, int64_t dim, const std::vector<Tensor>& indices, const Tensor& values, "
            "bool accumulate)", "release"),
    F(_OPS, "Tensor index_select(const Tensor& a, int64_t dim, const Tensor& index)", "release"),
    F(_OPS, "Tensor gather(const Tensor& a, int64_t dim, const Tensor& index)", "release"),
    F(_OPS, "void scatter_add_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src)", "release"),
    F(_OPS, "void scatter_reduce_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, "
            "const std::string& reduce)", "index",
      doc="scatter_ (reduce \"assign\"), scatter_add_ (\"sum\") and scatter_reduce_'s \"prod\", \"amax\", \"amin\" "
          "into self"),
    F(_OPS, "void check_scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src = nullptr)",
      doc="torch's scatter checks in its order and words (index dtype, src dtype, then for a non-empty index the "
          "ranks and sizes); src null: a value scattered"),
    F(_OPS, "Tensor nonzero(const Tensor& a)", doc="(n, ndim) int64"),
    F(_OPS, "Tensor masked_select(const Tensor& a, const Tensor& mask)"),
    F(_OPS, "Tensor cat(const std::vector<Tensor>& tensors, int64_t dim)"),
    F(_OPS, "Tensor flip(const Tensor& a, const Shape& dims)", "a",
      doc="a copy of a with the given (wrapped, distinct) dims reversed"),
    # sorting (core/sort.cpp): (values, indices int64)
    F(_OPS, "std::pair<Tensor, Tensor> sort(const Tensor& input, int64_t dim, bool descending, bool stable = true)",
      "release", doc="stable=false orders equal values as torch's CPU sort does (see cpu::sort), stable=true by "
                     "index"),
    F(_OPS, "std::pair<Tensor, Tensor> topk(const Tensor& a, int64_t k, int64_t dim, bool largest, bool sorted)",
      "release", doc="the rows are best first when `sorted`"),
    F(_OPS, "std::pair<Tensor, Tensor> kthvalue(const Tensor& a, int64_t k, int64_t dim, bool stable)", "release",
      doc="the k-th smallest along dim (kept as a size-1 dim): stable, the k-th in (value, index) order; else the "
          "index torch's quickselect gives among equal values"),
    F(_OPS, "std::pair<Tensor, Tensor> mode(const Tensor& a, int64_t dim, bool keepdim)", "release",
      doc="the most frequent value (the smallest of equally frequent ones), the index of its last"),
    F(_OPS, "Tensor searchsorted(const Tensor& seq, const Tensor& values, bool right)", "release",
      doc="insertion points of values into seq's sorted last dim (1-D seq: one row for all), int64"),
    # random numbers: CPU tensors draw from torch's CPU generator (core/generator.h: the same numbers as torch for a
    # seed), CUDA tensors from a Philox stream (seed, number of 128-bit blocks used); manual_seed seeds both
    F(_OPS, "void manual_seed(uint64_t seed)"),
    F(_OPS, "uint64_t initial_seed()", doc="the CPU generator's"),
    F(_OPS, "void cuda_manual_seed(uint64_t seed)"),
    F(_OPS, "std::pair<uint64_t, uint64_t> get_cuda_rng_state()"),
    F(_OPS, "void set_cuda_rng_state(uint64_t seed, uint64_t offset)"),
    F(_OPS, "void uniform_(const Tensor& t, double lo, double hi)"),
    F(_OPS, "void normal_(const Tensor& t, double mean, double std)"),
    F(_OPS, "void random_(const Tensor& t, int64_t lo, int64_t hi)", doc="integers in [lo, hi)"),
    F(_OPS, "void random_(const Tensor& t)", doc="torch's random_(): [0, 2^mantissa] or [0, max]"),
    F(_OPS, "void bernoulli_(const Tensor& t, double p)"),
    F(_OPS, "void exponential_(const Tensor& t, double lambd)"),
    F(_OPS, "void cauchy_(const Tensor& t, double median, double sigma)"),
    F(_OPS, "void log_normal_(const Tensor& t, double mean, double std)"),
    F(_OPS, "void geometric_(const Tensor& t, double p)"),
    F(_OPS, "Tensor poisson(const Tensor& rates)",
      doc="Poisson draws (float64) for a contiguous float64 CPU tensor of non-negative rates"),
    F(_OPS, "Tensor standard_gamma(const Tensor& alpha)", name="_standard_gamma",
      doc="torch's _standard_gamma on the CPU: a standard Gamma(alpha) draw per element (float32 or float64), in "
          "order"),
    F(_OPS, "Tensor binomial(const Tensor& count, const Tensor& prob)",
      doc="torch's binomial on the CPU: a Binomial(count, prob) draw per element (float32 or float64, one shape), "
          "in order"),

    # convolution: input (N, C, H, W) or (C, H, W), weight (O, C / groups, kh, kw), bias (O) or None
    F(_NN, "Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, Pair stride, Pair padding, "
           "Pair dilation, int64_t groups)", "release"),
    F(_NN, "std::tuple<Tensor, Tensor, Tensor> conv2d_backward(const Tensor& grad_output, const Tensor& input, "
           "const Tensor& weight, Pair stride, Pair padding, Pair dilation, int64_t groups, std::array<bool, 3> mask)",
      "release", doc="the gradients of conv2d; a false mask entry skips (returns None for) that gradient; grad_bias "
                     "is grad_output summed over (N, OH, OW)"),
    F(_NN, "Tensor conv2d_backward_input(const Tensor& grad_output, const Tensor& weight, const Shape& input_sizes, "
           "Pair stride, Pair padding, Pair dilation, int64_t groups)", "release",
      doc="the two linear maps on their own (double backward composes them): the input gradient given only the "
          "input's sizes, the weight gradient given only the weight's"),
    F(_NN, "Tensor conv2d_backward_weight(const Tensor& grad_output, const Tensor& input, const Shape& weight_sizes, "
           "Pair stride, Pair padding, Pair dilation, int64_t groups)", "release"),
    # pooling: input (N, C, H, W) or (C, H, W)
    F(_NN, "std::pair<Tensor, Tensor> max_pool2d(const Tensor& input, Pair kernel, Pair stride, Pair padding, "
           "Pair dilation, bool ceil_mode)", "input", doc="(values, int64 indices into each H*W plane)"),
    F(_NN, "Tensor max_pool2d_backward(const Tensor& grad_output, const Tensor& indices, const Shape& input_sizes)",
      "release"),
    F(_NN, "Tensor avg_pool2d(const Tensor& input, Pair kernel, Pair stride, Pair padding, bool ceil_mode, "
           "bool count_include_pad, std::optional<int64_t> divisor_override)"),
    F(_NN, "Tensor avg_pool2d_backward(const Tensor& grad_output, const Shape& input_sizes, Pair kernel, Pair stride, "
           "Pair padding, bool ceil_mode, bool count_include_pad, std::optional<int64_t> divisor_override)"),
    F(_NN, "Tensor upsample(const Tensor& input, const Shape& output_size, const std::vector<double>& scales, "
           "int64_t mode, bool align_corners)", "release",
      doc="interpolate's nearest (mode 0), nearest-exact (1) and linear (2) resampling of input (N, C, d1[, d2[, "
          "d3]]) to output_size (one per spatial dim); scales: the scale factor per dim, <= 0 for none (the sizes' "
          "ratio)"),
    F(_NN, "Tensor upsample_backward(const Tensor& grad_output, const Shape& input_sizes, "
           "const std::vector<double>& scales, int64_t mode, bool align_corners)", "release",
      doc="its gradient for an input of input_sizes"),
    F(_NN, "Tensor softmax(const Tensor& input, int64_t dim, bool log)", "input"),
    F(_NN, "Tensor softmax_backward(const Tensor& grad_output, const Tensor& output, int64_t dim, bool log)",
      "release", doc="output is softmax's (or log_softmax's) result"),
    # the classification losses: input (N, C, d1, ...) or (C,), target int64 (N, d1, ...) or () of class indices,
    # weight (C) or None; reduction: 0 none, 1 mean, 2 sum
    F(_NN, "std::tuple<Tensor, Tensor, Tensor> cross_entropy(const Tensor& input, const Tensor& target, "
           "const Tensor& weight, int64_t reduction, int64_t ignore_index, double label_smoothing)",
      doc="(loss, lse, total_weight)"),
    F(_NN, "Tensor cross_entropy_backward(const Tensor& grad_output, const Tensor& input, const Tensor& target, "
           "const Tensor& weight, const Tensor& lse, const Tensor& total_weight, int64_t reduction, "
           "int64_t ignore_index, double label_smoothing)"),
    F(_NN, "std::pair<Tensor, Tensor> nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight, "
           "int64_t reduction, int64_t ignore_index)", doc="(loss, total_weight)"),
    F(_NN, "Tensor nll_loss_backward(const Tensor& grad_output, const Tensor& input, const Tensor& target, "
           "const Tensor& weight, const Tensor& total_weight, int64_t reduction, int64_t ignore_index)"),

    F(_RNN, "std::tuple<Tensor, Tensor, Tensor> lstm_cell(const Tensor& gates, const Tensor& gates_t, "
            "const Tensor& cx, const Tensor& hy = nullptr)", "release",
      doc="the pre-activations are gates (N, 4H) (order i, f, g, o) + gates_t^T, gates_t (4H, N) or null (the "
          "recurrent part h W_hh^T computed as W_hh h^T); cx (N, H). Returns (hy, cy, act), act = the four activated "
          "gates; hy is written into `hy` when given (a contiguous (N, H) tensor, e.g. one step of the layer's "
          "output)"),
    F(_RNN, "std::tuple<Tensor, Tensor> lstm_cell_backward(const Tensor& grad_hy, const Tensor& grad_hy_t, "
            "const Tensor& grad_cy, const Tensor& act, const Tensor& cx, const Tensor& cy, "
            "const Tensor& grad_gates = nullptr)", "release",
      doc="hy's gradient is grad_hy (N, H) + grad_hy_t^T (H, N); grad_cy (N, H); any of them null (zero). Returns "
          "(grad of the pre-activations (N, 4H), grad_cx (N, H)), the first written into grad_gates when given"),

    F(_CTC, "std::pair<Tensor, Tensor> ctc_loss(const Tensor& log_probs, const Tensor& targets, "
            "const std::vector<int64_t>& input_lengths, const std::vector<int64_t>& target_lengths, int64_t blank)",
      "release", doc="log_probs (T, N, C) float32/float64; targets int64, padded (N, S) or the targets of all "
                     "samples concatenated (sum(target_lengths),); one length per sample. Returns "
                     "(neg_log_likelihood (N,), log_alpha (N, T, 2*max_S+1))"),
    F(_CTC, "Tensor ctc_loss_backward(const Tensor& grad, const Tensor& log_probs, const Tensor& targets, "
            "const std::vector<int64_t>& input_lengths, const std::vector<int64_t>& target_lengths, "
            "const Tensor& neg_log_likelihood, const Tensor& log_alpha, int64_t blank, bool zero_infinity)", "release",
      doc="the gradient with respect to log_probs (T, N, C) of sum_n grad[n] * nll[n], in torch's form (see "
          "ctc.cpp)"),

    F(_SVD, "std::tuple<Tensor, Tensor, Tensor> linalg_svd(const Tensor& A, bool full_matrices, bool compute_uv)",
      "release", doc="the SVD A = U diag(S) Vh of every matrix of A (..., m, n), float32/float64, k = min(m, n): S "
                     "(..., k) in descending order; U (..., m, m) and Vh (..., n, n) when full_matrices, else "
                     "(..., m, k) and (..., k, n). Without compute_uv, U and Vh are empty (0-element) tensors"),

    # every function takes a batch of matrices (..., m, n) in float32 or float64
    F(_LU, "std::tuple<Tensor, Tensor, Tensor> linalg_lu_factor(const Tensor& A)", "release",
      doc="P A = L U of every matrix of A (..., m, n): LU (..., m, n) holds U and L's strictly lower part (unit "
          "diagonal), pivots int32 (..., min(m, n)) are LAPACK's 1-based row swaps, info int32 (...) is 0 or the "
          "first zero pivot's 1-based index (the factorization still completes, as getrf's)"),
    F(_LU, "Tensor linalg_lu_solve(const Tensor& LU, const Tensor& pivots, const Tensor& B)", "release",
      doc="X with A X = B for LU and pivots of A (..., n, n) from linalg_lu_factor and B (..., n, k) of the same "
          "batch"),
    F(_LU, "Tensor linalg_solve_triangular(const Tensor& A, const Tensor& B, bool upper, bool unitriangular)",
      "release", doc="X with A X = B for A (..., n, n) triangular (only its upper or lower triangle read; a unit "
                     "diagonal assumed when unitriangular) and B (..., n, k) of the same batch"),
    F(_LU, "std::tuple<Tensor, Tensor> linalg_cholesky(const Tensor& A)", "release",
      doc="A = L L^T from A's lower triangle: L (..., n, n) lower, info int32 (...) 0 or the order of the first "
          "leading minor that is not positive-definite (L is then incomplete)"),
    F(_LU, "std::tuple<Tensor, Tensor> linalg_qr(const Tensor& A, bool complete, bool compute_q)", "release",
      doc="A = Q R by Householder reflections (LAPACK's signs): Q (..., m, m) and R (..., m, n) when complete, else "
          "Q (..., m, k) and R (..., k, n), k = min(m, n); without compute_q, Q is empty"),
    F(_LU, "std::tuple<Tensor, Tensor> linalg_eigh(const Tensor& A, bool upper, bool compute_v)", "release",
      doc="A = V diag(L) V^T of the symmetric matrix in A's lower (upper) triangle, by cyclic Jacobi rotations: L "
          "(..., n) ascending, V (..., n, n) orthonormal columns; without compute_v, V is empty"),
    F(_LU, "std::tuple<Tensor, Tensor> linalg_geqrf(const Tensor& A)", "release",
      doc="geqrf: A = Q R with R in the upper triangle of `a` (..., m, n) and the Householder vectors below it "
          "(their leading 1 implied), tau (..., min(m, n)) their scales: LAPACK's layout, as householder_product "
          "reads it"),
    F(_LU, "std::tuple<Tensor, Tensor, Tensor> linalg_ldl_factor(const Tensor& A)", "release",
      doc="P A P^T = L D L^T (Bunch-Kaufman, LAPACK's sytf2 on the lower triangle): LD (..., n, n) holds L's "
          "strictly lower part and D (1x1 and 2x2 blocks), pivots int32 (..., n) LAPACK's ipiv, info int32 (...) 0 "
          "or the first zero block's 1-based index"),
    F(_LU, "Tensor linalg_ldl_solve(const Tensor& LD, const Tensor& pivots, const Tensor& B)", "release",
      doc="X with A X = B from linalg_ldl_factor's (LD, pivots) and B (..., n, k) of the same batch"),
]
del F
FRONT_END_HEADERS = tuple(dict.fromkeys(e.header for e in FRONT_ENDS))

assert not ({e.foreach_name for e in OPTIMIZER_STEPS} | set(OPTIMIZER_STEPS_BY_NAME)) & (
    set(BY_NAME) | set(REDUCTIONS_BY_NAME)), "an optimizer step's name is taken"

# The C++ lists: one X-macro per list, expanded by cpu/, cuda/, bindings/ and core/.
_LISTS = {
    "TG_UNARY_FLOAT_OPS": ("unary_float",),
    "TG_UNARY_FLOATING_OPS": ("unary_floating",),
    "TG_UNARY_OPS": ("unary",),
    "TG_UNARY_INT_OPS": ("unary_int",),
    "TG_BINARY_OPS": ("binary", "binary_float", "binary_floating"),
    # subsets of TG_BINARY_OPS: instantiated for float and double only; integers promote to float / raise
    "TG_BINARY_FLOAT_OPS": ("binary_float", "binary_floating"),
    "TG_BINARY_FLOATING_OPS": ("binary_floating",),
    "TG_COMPARE_OPS": ("compare",),
    "TG_BINARY_INT_OPS": ("binary_int",),
}


def cpp_header():
    lines = ["// Generated from python/tinygrad_ext/_registry.py by CMake: do not edit.", "#pragma once", ""]
    for macro, families in _LISTS.items():
        items = [f"X({e.name}, {e.functor}, ({', '.join(f'p[{i}]' for i in range(len(e.params)))}))"
                 for e in OPS if e.family in families and not e.kernel]
        lines.append(f"#define {macro}(X) " + " ".join(items))
    # X(name, functor, kind, identity): the reductions (csrc/ops/reduce.h)
    items = [f"X({e.name}, {e.functor}, {e.kind}, {'NAN' if e.identity != e.identity else e.identity or 0})"
             for e in REDUCTIONS if not e.kernel]
    lines.append("#define TG_REDUCE_OPS(X) " + " ".join(items))
    # X(name, functor, kind): the scans (csrc/ops/scan.h)
    lines.append("#define TG_SCAN_OPS(X) " + " ".join(f"X({e.name}, {e.functor}, {e.kind})" for e in SCANS))
    # X(name, (parameters)): the nn kernels, declared by cpu/nn_kernels.h and cuda/nn_kernels.h
    lines += [f"// {name}: {what}" for name, _, what in NN_KERNELS]
    lines.append("#define TG_NN_KERNELS(X) " + " ".join(f"X({name}, ({params}))" for name, params, _ in NN_KERNELS))

    # X(name, functor, state slots, hyperparameters, index of `step` or -1, (p[0], p[1], ...)): the optimizer
    # steps (csrc/ops/optim.h)
    items = [f"X({e.name}, {e.functor}, {len(e.states)}, {len(e.hyper)}, "
             f"{e.hyper.index('step') if 'step' in e.hyper else -1}, "
             f"({', '.join(f'p[{i}]' for i in range(len(e.hyper)))}))" for e in OPTIMIZER_STEPS]
    lines.append("#define TG_OPTIM_STEPS(X) " + " ".join(items))
    lines.append(f"#define TG_MAX_OPTIM_HYPER {MAX_OPTIM_HYPER}")
    return "\n".join(lines) + "\n"


def _declaration(e):
    return "".join(f"// {line}\n" for line in _comment_lines(e.doc + ".")) * bool(e.doc) + e.decl + ";"


def _comment_lines(text, width=116):
    lines = [""]
    for word in text.split():
        lines[-1:] = [f"{lines[-1]} {word}".strip()] if len(lines[-1]) + len(word) < width else [lines[-1], word]
    return lines


def front_ends_header(header):
    """The declarations of `header`'s front ends (FRONT_ENDS), which that header includes once its types exist."""
    return "\n".join(["// Generated from python/tinygrad_ext/_registry.py (FRONT_ENDS) by CMake: do not edit.",
                      f"// The front ends {header} declares.", "#pragma once", "", "namespace tg {", "",
                      *(_declaration(e) for e in FRONT_ENDS if e.header == header), "", "}  // namespace tg", ""])


def front_ends_file(header):
    """The generated header holding `header`'s declarations: core/nn_ops.h -> tg_front_ends_core_nn_ops.h."""
    return "tg_front_ends_" + header[:-2].replace("/", "_") + ".h"


def _binding(e):
    args = "".join(f", py::arg(\"{n}\")" + ("" if d is None else f" = {'py::none()' if d == 'nullptr' else d}")
                   for _, n, d in e.params)
    if e.gil in ("keep", "release"):
        types = ", ".join(t for t, _, _ in e.params)
        fn = f"static_cast<{e.result} (*)({types})>(&tg::{e.function})"
        return f'  m.def("{e.name}", {fn}{args}{", release()" if e.gil == "release" else ""});'
    params = ", ".join(f"{t} {n}" for t, n, _ in e.params)
    call = f"tg::{e.function}({', '.join(n for _, n, _ in e.params)})"
    return (f'  m.def(\n      "{e.name}",\n      []({params}) {{\n        ReleaseGil nogil({e.gil}->numel());\n'
            f"        return {call};\n      }}{args});")


def bindings_source():
    """tg_bindings.cpp: bind_generated(m), the pybind11 binding of each FRONT_ENDS row (module.cpp calls it)."""
    return "\n".join([
        "// Generated from python/tinygrad_ext/_registry.py (FRONT_ENDS) by CMake: do not edit.",
        "#include <pybind11/pybind11.h>", "#include <pybind11/stl.h>", '#include "bindings/gil.h"',
        *(f'#include "{h}"' for h in FRONT_END_HEADERS), "", "namespace py = pybind11;", "using namespace tg;", "",
        "void bind_generated(py::module_& m) {", "  using release = py::call_guard<py::gil_scoped_release>;",
        *(_binding(e) for e in FRONT_ENDS), "}", ""])


def generated_files():
    """{file name: text} of everything the build generates from this registry."""
    return {"tg_op_lists.h": cpp_header(), "tg_bindings.cpp": bindings_source(),
            **{front_ends_file(h): front_ends_header(h) for h in FRONT_END_HEADERS}}


def main(argv):
    if len(argv) != 3 or argv[1] != "--generate":
        print("usage: python _registry.py --generate DIR", file=sys.stderr)
        return 2
    for name, text in generated_files().items():
        path = f"{argv[2]}/{name}"
        try:
            with open(path) as f:
                if f.read() == text:
                    continue  # unchanged: keep the timestamp, so nothing recompiles
        except OSError:
            pass
        with open(path, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
