"""Program-level parity with torch 2.13 for the advanced-autograd tutorials and recipes (forward-mode AD,
torch.func, double backward with custom functions, fusing conv + batch norm, parametrizations, pruning): each
test pins a behaviour a tutorial program showed differing from torch's, with torch's values hard-coded."""
import pytest

import tinygrad_ext as torch
import tinygrad_ext.nn as nn
import tinygrad_ext.nn.functional as F
import tinygrad_ext.nn.utils.parametrize as P
from tinygrad_ext.nn.grad import (conv1d_input, conv1d_weight, conv2d_input, conv2d_weight, conv3d_input,
                                  conv3d_weight)


def _conv_inputs():
    x = (torch.arange(2 * 2 * 4 * 4, dtype=torch.float64).reshape(2, 2, 4, 4) % 7 - 3) / 4
    w = (torch.arange(3 * 2 * 2 * 2, dtype=torch.float64).reshape(3, 2, 2, 2) % 5 - 2) / 2
    go = torch.arange(2 * 3 * 3 * 3, dtype=torch.float64).reshape(2, 3, 3, 3) % 3 - 1
    return x, w, go


# ---------------------------------------------------------------- torch.nn.grad (the conv/bn fusion tutorial)
def test_nn_grad_conv2d_input_and_weight():
    x, w, go = _conv_inputs()
    gi = conv2d_input(x.shape, w, go, stride=2, padding=1)
    gw = conv2d_weight(x, w.shape, go, stride=2, padding=1)
    assert gi.sum().item() == -4.0 and gi.dtype == torch.float64
    assert gi[0, 1].tolist() == [[0.5, 0.0, 0.0, 0.5], [1.0, 0.0, 0.0, 0.0], [0.5, 0.0, 0.0, 0.5],
                                 [1.0, 0.0, 0.0, 0.0]]
    assert gw.tolist() == [[[[-0.5, 0.0], [-1.0, 0.5]], [[-0.25, -0.25], [1.0, 0.25]]]] * 3
    # equal to autograd's gradients of F.conv2d
    xr, wr = x.clone().requires_grad_(), w.clone().requires_grad_()
    ax, aw = torch.autograd.grad(F.conv2d(xr, wr, stride=2, padding=1), (xr, wr), go)
    assert torch.equal(ax, gi) and torch.equal(aw, gw)
    assert F.grad is torch.nn.grad


def test_nn_grad_conv2d_weight_is_differentiable():
    x, w, go = _conv_inputs()
    xr = x.clone().requires_grad_()
    gw = conv2d_weight(xr, w.shape, go, stride=2, padding=1)
    assert gw.grad_fn.name() == "ConvolutionBackwardBackward0"
    assert torch.autograd.grad((gw * w).sum(), xr)[0][1, 0].tolist() == [[-1.0, 0.0, 0.0, -0.5],
                                                                         [-0.5, 0.0, 0.0, -1.0]] * 2
    with torch.no_grad():
        assert not conv2d_weight(xr, w.shape, go, stride=2, padding=1).requires_grad


def test_nn_grad_conv1d():
    x, w, _ = _conv_inputs()
    x1, w1 = x.reshape(2, 2, 16)[:, :, :7], w[:, :, 0]
    go1 = torch.arange(2 * 3 * 3, dtype=torch.float64).reshape(2, 3, 3) % 4 - 1.5
    assert conv1d_input(x1.shape, w1, go1, stride=2, dilation=2).tolist() == [
        [[2.0, 0.0, 1.25, 0.0, -1.25, 0.0, -0.75], [-2.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]],
        [[-1.0, 0.0, -1.25, 0.0, -1.75, 0.0, -0.25], [-2.0, 0.0, 1.0, 0.0, 2.0, 0.0, -1.0]]]
    assert conv1d_weight(x1, w1.shape, go1, stride=2, dilation=2).tolist() == [
        [[0.875, 0.0], [0.0, 0.0]], [[-1.875, -2.0], [-2.0, 0.5]], [[-1.625, 1.0], [1.0, 1.0]]]


def test_nn_grad_conv3d_and_conv3d_output_is_contiguous():
    x, w, _ = _conv_inputs()
    x3, w3 = x.reshape(2, 2, 2, 2, 4), w.reshape(3, 2, 1, 2, 2)
    go3 = F.conv3d(x3, w3, padding=(0, 1, 0))
    # torch's conv3d output is contiguous (randn_like / empty_like of it draw in that order)
    assert tuple(go3.shape) == (2, 3, 2, 3, 3) and go3.is_contiguous() and go3.stride() == (54, 18, 9, 3, 1)
    gi = conv3d_input(x3.shape, w3, go3, padding=(0, 1, 0))
    assert gi.sum().item() == 4.4375
    assert gi[1, 1, 1].tolist() == [[-3.625, 0.5, 0.8125, -2.1875], [1.75, -0.0625, 3.75, -0.3125]]
    assert conv3d_weight(x3, w3.shape, go3, padding=(0, 1, 0)).reshape(-1).tolist() == [
        -6.46875, -2.03125, 2.71875, 3.5625, 5.90625, 0.5, -3.03125, -5.03125, 2.0625, 6.6875, -7.21875, -3.9375,
        1.25, -0.90625, 4.59375, 1.75, 0.75, -2.71875, 3.0, 8.25, -7.9375, -4.1875, 3.0, -0.0625]


def test_conv_transpose_1d_3d_node_names():
    a = torch.ones(1, 2, 3, 3, 3, requires_grad=True)
    w = torch.ones(2, 3, 2, 2, 2)
    for out in (F.conv_transpose3d(a, w, padding=1), F.conv_transpose3d(a, w, torch.ones(3)),
                F.conv_transpose1d(a[:, :, 0, 0], w[:, :, 0, 0])):
        assert out.grad_fn.name() == "ConvolutionBackward0"
    assert F.conv_transpose3d(a, w).is_contiguous()


# ---------------------------------------------------------------- parametrizations tutorial
class _Skew(nn.Module):
    def forward(self, X):
        A = X.triu(1)
        return A - A.transpose(-1, -2)


def test_matrix_exp_node_name():
    a = torch.ones(3, 3, requires_grad=True)
    assert torch.matrix_exp(a).grad_fn.name() == "LinalgMatrixExpBackward0"


def test_set_on_a_leaf_under_no_grad():
    p = nn.Parameter(torch.ones(2, 2))
    n = torch.zeros(2, 2)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        p.set_(n)
    with torch.no_grad():
        assert p.set_(n) is p
    assert p.data_ptr() == n.data_ptr() and p.requires_grad and p.is_leaf and type(p) is nn.Parameter


def test_register_parametrization_computes_it_once_and_keeps_the_original_object():
    calls = []

    class Noisy(nn.Module):
        def forward(self, X):
            calls.append(1)
            return X

    layer = nn.Linear(2, 2)
    w0 = layer.weight
    P.register_parametrization(layer, "weight", Noisy())
    assert len(calls) == 1  # (torch's check of dtype and shape, unless unsafe)
    assert layer.parametrizations.weight.original is w0
    P.register_parametrization(nn.Linear(2, 2), "weight", Noisy(), unsafe=True)
    assert len(calls) == 1
    P.remove_parametrizations(layer, "weight")
    assert layer.weight is w0 and type(layer).__name__ == "Linear"


def test_parametrization_without_right_inverse_cannot_be_assigned():
    class NoRightInverse(nn.Module):
        def forward(self, X):
            return X.triu()

    layer = nn.Linear(3, 3)
    P.register_parametrization(layer, "weight", NoRightInverse())
    with pytest.raises(RuntimeError, match=r"^parametrization NoRightInverse does not implement right_inverse\.$"):
        layer.weight = torch.rand(3, 3)


def test_parametrization_dtype_and_shape_checks():
    class Double(nn.Module):
        def forward(self, X):
            return X.double()

    class First(nn.Module):
        def forward(self, X):
            return X[0]

    class Three(nn.Module):
        def forward(self, X):
            return 3

    with pytest.raises(ValueError) as e:
        P.register_parametrization(nn.Linear(2, 2), "weight", Double())
    assert str(e.value) == ("Registering a parametrization may not change the dtype of the tensor, unless `unsafe` "
                            "flag is enabled.\nunparametrized dtype: torch.float32\nparametrized dtype: "
                            "torch.float64")
    with pytest.raises(ValueError) as e:
        P.register_parametrization(nn.Linear(2, 2), "weight", First())
    assert str(e.value) == ("Registering a parametrization may not change the shape of the tensor, unless `unsafe` "
                            "flag is enabled.\nunparametrized shape: torch.Size([2, 2])\nparametrized shape: "
                            "torch.Size([2])")
    with pytest.raises(ValueError, match=r"^A parametrization must return a tensor\. Got int\.$"):
        P.register_parametrization(nn.Linear(2, 2), "weight", Three())
    m = P.register_parametrization(nn.Linear(2, 2), "weight", _Skew())
    with pytest.raises(ValueError) as e:
        P.register_parametrization(m, "weight", Double())
    assert str(e.value) == ("Registering a parametrization may not change the dtype of the tensor, unless the "
                            "`unsafe` flag is enabled.\nmodule.weight.dtype: torch.float32\n"
                            "parametrization(module.weight).dtype: torch.float64")
    with pytest.raises(ValueError) as e:
        P.register_parametrization(m, "weight", First())
    assert str(e.value) == ("Registering a parametrization may not change the shape of the tensor, unless the "
                            "`unsafe` flag is enabled.\nmodule.weight.shape: torch.Size([2, 2])\n"
                            "parametrization(module.weight).shape: torch.Size([2])")
    P.register_parametrization(m, "weight", Double(), unsafe=True)
    assert m.weight.dtype == torch.float64 and m.parametrizations.weight.unsafe


def test_parametrization_training_mode_follows_the_module():
    m = nn.Linear(2, 2).eval()
    sk = _Skew()
    P.register_parametrization(m, "weight", sk)
    assert not sk.training


# ---------------------------------------------------------------- forward-mode AD tutorial
fwAD = torch.autograd.forward_ad


def _dual_inputs():
    return torch.tensor([[1.0, -2.0], [0.5, 3.0]]), torch.tensor([[0.25, 1.0], [-1.0, 2.0]])


def test_forward_ad_api_and_messages():
    import tinygrad_ext.autograd.forward_ad as module
    assert module is fwAD
    assert fwAD.__all__ == ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual",
                            "dual_level"]
    p, t = _dual_inputs()
    with pytest.raises(RuntimeError, match=r"^Trying to create a dual Tensor for forward AD but no level exists, "
                                           r"make sure to enter_dual_level\(\) first\.$"):
        fwAD.make_dual(p, t)
    assert fwAD.unpack_dual(p) == (p, None) and fwAD.unpack_dual(p).primal is p
    with fwAD.dual_level() as level:
        assert level == 0
        with pytest.raises(RuntimeError, match="^Nested forward mode AD is not supported at the moment$"):
            fwAD.enter_dual_level()
        with pytest.raises(RuntimeError, match=r"^Trying to set a forward gradient that has a different size than "
                                               r"that of the original Tensor, this is not supported\. Tensor is of "
                                               r"size \[2, 2\] while the given forward gradient is of size \[3\]\.$"):
            fwAD.make_dual(p, torch.ones(3))
        with pytest.raises(ValueError, match="^Expected primal to be floating point or complex, but got: torch.int64$"):
            fwAD.make_dual(torch.ones(2, dtype=torch.long), torch.ones(2, dtype=torch.long))
        with pytest.raises(TypeError, match=r"^_unpack_dual\(\): argument 'dual' \(position 1\) must be Tensor, not "
                                            r"int$"):
            fwAD.unpack_dual(3)
        with pytest.raises(RuntimeError, match="^Trying to exit a forward AD level that was not the last one that "
                                               "was created. This is not supported.$"):
            fwAD.exit_dual_level(level=1)
    assert fwAD.enter_dual_level() == 0 and fwAD.exit_dual_level() is None


def test_forward_ad_tangents_and_repr():
    p, t = _dual_inputs()
    with fwAD.dual_level():
        d = fwAD.make_dual(p, t)
        assert fwAD.unpack_dual(d).tangent is t
        assert repr(d) == ("tensor([[ 1.0000, -2.0000],\n        [ 0.5000,  3.0000]],\n       tangent=tensor([[ 0.2500,"
                           "  1.0000],\n        [-1.0000,  2.0000]]))")
        y = d ** 2 + torch.ones(2, 2) * d
        u = fwAD.unpack_dual(y)
        assert type(u).__name__ == "UnpackedDualTensor" and u._fields == ("primal", "tangent")
        assert u.tangent.tolist() == [[0.75, -3.0], [-2.0, 14.0]] and u.primal.tolist() == [[2.0, 2.0], [0.75, 12.0]]
        assert repr(y.sum()) == "tensor(16.7500, tangent=9.75)"
        assert repr(u) == ("UnpackedDualTensor(primal=tensor([[ 2.0000,  2.0000],\n        [ 0.7500, 12.0000]]), "
                           "tangent=tensor([[ 0.7500, -3.0000],\n        [-2.0000, 14.0000]]))")
        # a tangent laid out otherwise than the primal is copied into the primal's layout
        dt = fwAD.make_dual(p, t.T)
        tt = fwAD.unpack_dual(dt).tangent
        assert tt is not t and tt.is_contiguous() and tt.tolist() == [[0.25, -1.0], [1.0, 2.0]]
        assert fwAD.unpack_dual(d.detach()).tangent is None and fwAD.unpack_dual(d.argmax()).tangent is None
        assert fwAD.unpack_dual(torch.zeros(2, 2) * d).tangent.tolist() == [[0.0, 0.0], [0.0, 0.0]]
        assert fwAD.unpack_dual(p).tangent is None
    assert fwAD.unpack_dual(y).tangent is None
    assert repr(y) == "tensor([[ 2.0000,  2.0000],\n        [ 0.7500, 12.0000]])"


def test_forward_ad_with_modules_and_functional_call():
    from tinygrad_ext.func import functional_call
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    x = torch.tensor([[1.0, 2.0, -1.0], [0.5, 0.0, 2.0]])
    tangents = {"weight": torch.tensor([[1.0, 0.0, 2.0], [0.0, -1.0, 1.0]]), "bias": torch.tensor([0.5, -0.5])}
    expected = [[-0.5, -3.5], [5.0, 1.5]]  # x @ tW.T + tb
    with fwAD.dual_level():
        dual = {n: fwAD.make_dual(p, tangents[n]) for n, p in model.named_parameters()}
        out = functional_call(model, dual, (x,))
        assert fwAD.unpack_dual(out).tangent.tolist() == expected
        assert out.requires_grad and out.grad_fn is not None  # (the parameters require grad)
        params = dict(model.named_parameters())
        for name, p in params.items():
            delattr(model, name)
            setattr(model, name, fwAD.make_dual(p, tangents[name]))
        assert fwAD.unpack_dual(model(x)).tangent.tolist() == expected


class _Exp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, foo):
        result = torch.exp(foo)
        ctx.result = result
        return result

    @staticmethod
    def jvp(ctx, gI):
        gO = gI * ctx.result
        del ctx.result
        return gO


def test_forward_ad_custom_function_jvp_and_gradcheck():
    primal = torch.tensor([[0.5, -1.0], [2.0, 0.25]], dtype=torch.float64, requires_grad=True)
    tangent = torch.tensor([[1.0, 2.0], [-1.0, 0.5]], dtype=torch.float64)
    with fwAD.dual_level():
        out = _Exp.apply(fwAD.make_dual(primal, tangent))
        assert torch.allclose(fwAD.unpack_dual(out).tangent, tangent * primal.detach().exp())
        # an output of a jvp is a dual too: the ops after it carry its tangent on
        d = fwAD.make_dual(primal.detach(), tangent)
        o2 = (_Exp.apply(d) * 2).sin()
        e = primal.detach().exp()
        assert torch.allclose(fwAD.unpack_dual(o2).tangent, (2 * e).cos() * 2 * e * tangent)
    assert torch.autograd.gradcheck(_Exp.apply, (primal,), check_forward_ad=True, check_backward_ad=False,
                                    check_undefined_grad=False, check_batched_grad=False)


def test_forward_ad_custom_function_errors_and_save_for_forward():
    class NoJvp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class WrongJvp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            ctx.save_for_forward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 2 * g * x

        @staticmethod
        def jvp(ctx, t):
            x, = ctx.saved_tensors  # (save_for_forward's, inside jvp)
            return 3 * t * x

    with fwAD.dual_level():
        d = fwAD.make_dual(torch.ones(2), torch.ones(2))
        with pytest.raises(NotImplementedError, match="^You must implement the jvp function for custom "
                                                      "autograd.Function to use it with forward mode AD.$"):
            NoJvp.apply(d)
        assert NoJvp.apply(torch.ones(2)).tolist() == [2.0, 2.0]
    x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(WrongJvp.apply, (x,), check_undefined_grad=False)
    with pytest.raises(torch.autograd.GradcheckError, match="^Jacobian computed with forward mode mismatch for "
                                                            "output 0 with respect to input 0,\n"):
        torch.autograd.gradcheck(WrongJvp.apply, (x,), check_forward_ad=True, check_undefined_grad=False)

    class Bad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_forward(x, 3)
            return x * 2

    with pytest.raises(AssertionError, match="^save_for_forward expects all arguments to be tensors; you should save "
                                             "non-tensors as attributes on ctx.$"):
        Bad.apply(torch.ones(2))


# ---------------------------------------------------------------- double backward with custom functions
class _OnceSquare(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * 2 * x


def test_once_differentiable_gradients_come_out_of_an_error_node():
    x = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)
    go = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    gx, = torch.autograd.grad(_OnceSquare.apply(x), x, go, create_graph=True)
    assert gx.tolist() == [1.0, -4.0] and gx.requires_grad
    assert repr(gx) == "tensor([ 1., -4.], dtype=torch.float64, grad_fn=<Error>)"
    assert repr(gx.grad_fn).startswith("<Error object at ")
    assert torch.autograd.grad(gx.sum(), x, allow_unused=True) == (None,)  # (torch's: detached copies)
    with pytest.raises(RuntimeError, match="^trying to differentiate twice a function that was marked with "
                                           "@once_differentiable$"):
        gx.sum().backward()
    with pytest.raises(torch.autograd.GradcheckError, match="^Jacobian mismatch for output 0 with respect to input "
                                                            "0,\n"):
        torch.autograd.gradgradcheck(_OnceSquare.apply, (x,))
    # without a graph to build, plain gradients
    g2, = torch.autograd.grad(_OnceSquare.apply(x), x, torch.ones(2, dtype=torch.float64), create_graph=True)
    assert not g2.requires_grad and g2.grad_fn is None


def test_transfer_parametrizations_and_params():
    class Split(nn.Module):
        def forward(self, A, B):
            return A + B

        def right_inverse(self, X):
            return X / 2, X / 2

    assert P.__all__ == ["cached", "ParametrizationList", "register_parametrization", "is_parametrized",
                         "remove_parametrizations", "type_before_parametrizations",
                         "transfer_parametrizations_and_params"]
    a = nn.Linear(3, 3)
    P.register_parametrization(a, "weight", _Skew())
    P.register_parametrization(a, "bias", Split())
    b = nn.Linear(3, 3)
    assert P.transfer_parametrizations_and_params(a, b) is b and type(b).__name__ == "ParametrizedLinear"
    assert torch.equal(a.weight, b.weight) and torch.equal(a.bias, b.bias)
    assert b.parametrizations.weight.original is a.parametrizations.weight.original
    assert b.parametrizations.weight[0] is a.parametrizations.weight[0]
    assert [n for n, _ in b.named_parameters()] == ["parametrizations.weight.original",
                                                    "parametrizations.bias.original0",
                                                    "parametrizations.bias.original1"]
    c = nn.Module()
    P.transfer_parametrizations_and_params(a, c, "weight")
    assert [n for n, _ in c.named_parameters()] == ["parametrizations.weight.original"]
    assert type(c).__name__ == "ParametrizedModule" and tuple(c.weight.shape) == (3, 3)
    d = nn.Linear(3, 3)
    assert P.transfer_parametrizations_and_params(nn.Linear(2, 2), d) is d and type(d) is nn.Linear


def test_func_jvp_uses_a_custom_functions_jvp():
    from tinygrad_ext.func import jvp

    class OnlyJvp(torch.autograd.Function):  # (no backward: torch.func.jvp runs forward mode)
        @staticmethod
        def forward(foo):
            return torch.exp(foo)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_forward(output)

        @staticmethod
        def jvp(ctx, gI):
            result, = ctx.saved_tensors
            return gI * result

    p = torch.tensor([0.0, 1.0, -1.0], dtype=torch.float64)
    t = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    out, tangent = jvp(OnlyJvp.apply, (p,), (t,))
    assert torch.equal(out, p.exp()) and torch.equal(tangent, t * p.exp())
    assert not out.requires_grad and not tangent.requires_grad
