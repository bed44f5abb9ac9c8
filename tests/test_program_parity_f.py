"""Tutorial-style programs (spatial transformer, extending autograd) that differed from torch 2.13: affine_grid's
rounding (torch's linspace for the base coordinates, a plain in-order sum for small grids, a fused multiply-add
chain for the others), grid_sample reading +0.0 outside the input in nearest mode and rounding its bilinear sums
as torch's kernels, gradcheck's sequence of function and backward calls (and no random draws), gradgradcheck's
grad_outputs drawn as torch's, the messages, the module and qualified name of a custom Function's node class,
FunctionCtx, apply's keyword arguments and needs_input_grad under no_grad. Expected values written down from
torch."""
import math
import os
import warnings

import pytest

import tinygrad_ext as torch
import tinygrad_ext.nn.functional as F
from tinygrad_ext.autograd import Function, GradcheckError, gradcheck, gradgradcheck
from tinygrad_ext.autograd.function import FunctionCtx


# ------------------------------------------------------------------ affine_grid / grid_sample
_THETA = [[[0.8, -0.3, 0.1], [0.2, 1.1, -0.2]]]


def test_affine_grid_small_grid_rounds_as_torchs_plain_loop():
    # 4 x 5 positions: torch's bmm is a plain loop (each product rounded, summed in order from 0)
    g = F.affine_grid(torch.tensor(_THETA).expand(2, 2, 3), (2, 1, 4, 5), align_corners=True)
    assert g[1, 1].tolist() == [[-0.5999999642372131, -0.7666666507720947], [-0.20000001788139343, -0.6666666269302368],
                                [0.20000000298023224, -0.5666666626930237], [0.6000000238418579, -0.46666663885116577],
                                [1.0, -0.36666664481163025]]
    th3 = torch.tensor([[[0.9, 0.1, -0.2, 0.3], [0.2, 1.1, 0.1, -0.1], [-0.3, 0.2, 0.7, 0.2]]])
    g3 = F.affine_grid(th3, (1, 1, 2, 3, 4), align_corners=False)
    assert g3[0, 1, 2].tolist() == [
        [-0.40833330154418945, 0.5333333611488342, 0.9083333611488342],
        [0.04166671633720398, 0.6333333253860474, 0.7583333253860474],
        [0.49166667461395264, 0.7333333492279053, 0.6083333492279053],
        [0.9416666030883789, 0.8333333134651184, 0.4583333134651184]]


@pytest.mark.skipif(bool(os.environ.get("TG_SANITIZED")), reason="the sanitizer build is -O1, where GCC forms no "
                    "fused multiply-adds in the GEMM's direct loops: these products round an ulp apart there")
def test_affine_grid_large_grid_keeps_the_fused_chain():
    g = F.affine_grid(torch.tensor(_THETA), (1, 1, 9, 8), align_corners=False)  # 72 positions: a GEMM in torch
    assert g[0, 2, :3].tolist() == [[-0.46666666865348816, -0.8638888597488403],
                                    [-0.2666666805744171, -0.8138889074325562],
                                    [-0.06666664034128189, -0.7638888955116272]]


def test_affine_grid_float64_base_coordinates_are_torchs_linspace():
    ident = torch.tensor([[[1.0, 0, 0], [0, 1.0, 0]]], dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the unit-size grid warning)
        xs = F.affine_grid(ident, (1, 1, 1, 7), align_corners=True)[0, 0, :, 0].tolist()
    assert xs == [-1.0, -0.6666666666666667, -0.33333333333333337, 5.551115123125783e-17, 0.33333333333333337,
                  0.6666666666666667, 1.0]
    xs = F.affine_grid(ident, (1, 1, 1, 11), align_corners=False)[0, 0, :, 0].tolist()
    assert xs == [-0.9090909090909091, -0.7272727272727273, -0.5454545454545454, -0.3636363636363636,
                  -0.18181818181818177, -5.0464682937507114e-17, 0.18181818181818177, 0.3636363636363636,
                  0.5454545454545454, 0.7272727272727273, 0.9090909090909091]


def test_grid_sample_nearest_on_the_small_grid_picks_torchs_pixels():
    g = F.affine_grid(torch.tensor(_THETA).expand(2, 2, 3), (2, 1, 4, 5), align_corners=True)
    img = torch.arange(40, dtype=torch.float).view(2, 1, 4, 5)
    out = F.grid_sample(img, g, mode="nearest", align_corners=True)
    assert out[1, 0, 1].tolist() == [21.0, 27.0, 27.0, 28.0, 29.0]  # (a y of exactly 0.5 before the fix: 22)


def test_grid_sample_nearest_zeros_padding_reads_positive_zero():
    inp = -torch.arange(1.0, 7.0).view(1, 1, 2, 3)
    grid = torch.tensor([[[[-3.0, 0.0], [0.0, 0.0], [2.5, -2.5]]]], requires_grad=True)
    out = F.grid_sample(inp, grid, mode="nearest", padding_mode="zeros", align_corners=False)
    assert out.tolist() == [[[[0.0, -2.0, 0.0]]]]
    assert out.signbit().tolist() == [[[[False, True, False]]]]
    out.sum().backward()
    assert grid.grad.tolist() == [[[[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]]]


def test_grid_sample_bilinear_rounds_as_torchs_kernels():
    # 2-D float32: torch's vectorized kernel, whose multiply-adds its compiler fuses (the unnormalized
    # coordinate and the sum of the corners); 3-D: its scalar kernel's ((x * y) * z) weights
    inp = torch.tensor([math.sin(0.37 * i) for i in range(30)]).view(1, 1, 5, 6)
    grid = torch.tensor([1.1 * math.cos(0.173 * i) for i in range(40)]).view(1, 4, 5, 2)
    out = F.grid_sample(inp, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    assert out.view(-1).tolist() == [
        -0.05616934224963188, -0.23365111649036407, -0.5610017776489258, 0.8911517858505249, -0.5721150040626526,
        0.0767778754234314, 0.3880181908607483, 0.004271721933037043, 0.0, 0.0, 0.0, 0.11436303704977036,
        0.5806896090507507, -0.781001627445221, 0.6966007351875305, -0.21755509078502655, -0.6580211520195007,
        -0.14323684573173523, -0.05323035269975662, -0.17658916115760803
    ]
    out = F.grid_sample(inp, grid, mode="bilinear", padding_mode="reflection", align_corners=True)
    assert out.view(-1).tolist() == [
        -0.6308457851409912, -0.7933011054992676, 0.10478635132312775, 0.6586997509002686, -0.6154358386993408,
        -0.1354781836271286, 0.4463970959186554, 0.219155415892601, 0.1400216966867447, 0.20293593406677246,
        0.0841967985033989, 0.42917510867118835, 0.25715821981430054, -0.8002235293388367, 0.4103005826473236,
        0.39979979395866394, -0.6185981631278992, -0.7085850834846497, -0.6005806922912598, -0.88637775182724
    ]
    inp3 = torch.tensor([math.cos(0.29 * i) for i in range(60)]).view(1, 1, 3, 4, 5)
    grid3 = torch.tensor([1.2 * math.sin(0.41 * i) for i in range(36)]).view(1, 2, 2, 3, 3)
    out = F.grid_sample(inp3, grid3, mode="bilinear", padding_mode="zeros", align_corners=False)
    assert out.view(-1).tolist() == [
        -0.5133271813392639, -0.0012341488618403673, -0.66847825050354, 0.12461355328559875, 0.03472534939646721,
        -0.629040539264679, -0.001787257380783558, -0.2960053086280823, 0.21401414275169373, 0.0027278766501694918,
        -0.45972350239753723, -0.003174570621922612
    ]


# ------------------------------------------------------------------ gradcheck / gradgradcheck
def test_gradcheck_draws_no_random_numbers_and_gradgradcheck_draws_uniform_grad_outputs():
    torch.manual_seed(0)
    x = torch.randn(3, dtype=torch.double, requires_grad=True)
    assert gradcheck(lambda t: t.sin(), (x,))
    assert torch.randn(2).tolist() == [0.5684312582015991, -1.0845223665237427]
    torch.manual_seed(0)
    x = torch.randn(3, dtype=torch.double, requires_grad=True)
    assert gradgradcheck(lambda t: t.sin(), (x,))
    assert torch.randn(2).tolist() == [0.5684312582015991, -0.7830641269683838]  # after 3 float64 uniform draws


def test_gradcheck_calls_function_and_backward_in_torchs_order():
    log = []

    class Logged(Function):
        @staticmethod
        def forward(ctx, a):
            log.append(("F", a.tolist()))
            ctx.save_for_backward(a)
            return torch.stack([a[0] * a[1], a[0] + a[1], a[1] * 2])

        @staticmethod
        def backward(ctx, g):
            a, = ctx.saved_tensors
            log.append(("B", g.tolist()))
            return torch.stack([g[0] * a[1] + g[1], g[0] * a[0] + g[1] + 2 * g[2]])

    a = torch.tensor([0.5, -2.0], dtype=torch.double, requires_grad=True)
    assert gradcheck(Logged.apply, (a,), eps=0.25)
    # the function; x - eps then x + eps per element; the Jacobian twice; zeros; the undefined-gradient check
    assert log == [("F", [0.5, -2.0]), ("F", [0.25, -2.0]), ("F", [0.75, -2.0]), ("F", [0.5, -2.25]),
                   ("F", [0.5, -1.75]), ("B", [1.0, 0.0, 0.0]), ("B", [0.0, 1.0, 0.0]), ("B", [0.0, 0.0, 1.0]),
                   ("B", [1.0, 0.0, 0.0]), ("B", [0.0, 1.0, 0.0]), ("B", [0.0, 0.0, 1.0]), ("B", [0.0, 0.0, 0.0]),
                   ("F", [0.5, -2.0]), ("B", [0.0, 0.0, 0.0])]


class _Double(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 3


def test_gradcheck_float32_mismatch_message_has_float32_numerical_values():
    x = torch.tensor([0.5, 1.5], requires_grad=True)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with pytest.raises(GradcheckError) as e:
            gradcheck(_Double.apply, (x,))
    assert str(e.value) == ("Jacobian mismatch for output 0 with respect to input 0,\n"
                            "numerical:tensor([[2.0266, 0.0000],\n        [0.0000, 1.9073]])\n"
                            "analytical:tensor([[3., 0.],\n        [0., 3.]])\n")
    assert [str(m.message) for m in w] == [
        "Input #0 requires gradient and is not a double precision floating point or complex. This check will likely "
        "fail if all the inputs are not of double precision floating point or complex. "]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert gradcheck(_Double.apply, (x,), raise_exception=False) is False


def test_gradcheck_reentrancy_and_grad_output_checks():
    count = [0]

    class NonReentrant(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            count[0] += 1
            return g * 2 + (count[0] > 2) * 1e-3

    x = torch.tensor([1.0, 2.0], dtype=torch.double, requires_grad=True)
    with pytest.raises(GradcheckError) as e:
        gradcheck(NonReentrant.apply, (x,), atol=1e-2)
    msg = str(e.value)
    assert msg.startswith("Backward is not reentrant, i.e., running backward with same input and grad_output "
                          "multiple times gives different values, although analytical gradient matches numerical "
                          "gradient.The tolerance for nondeterminism was 0.0.\n\nNOTE: If your op relies on")
    assert msg.endswith("  module_test entry to have `gradcheck_nondet_tol=<tol>`\n")

    class NotMul(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2 + (g == 0).all() * 1.0

    with pytest.raises(GradcheckError, match="^backward not multiplied by grad_output$"):
        gradcheck(NotMul.apply, (x,))


def test_gradcheck_input_checks():
    with pytest.raises(RuntimeError, match="^The 0th input has a dimension with stride 0. gradcheck only supports"):
        gradcheck(lambda t: t * 2, (torch.randn(1, dtype=torch.double).expand(3).requires_grad_(),))
    with pytest.raises(AssertionError, match="^Expected at least one of check_forward_ad or check_backward_ad"):
        gradcheck(lambda t: t * 2, (torch.ones(2, dtype=torch.double, requires_grad=True),), check_backward_ad=False)
    with pytest.raises(GradcheckError, match="^Numerical gradient for function expected to be zero$"):
        gradcheck(lambda t: t.detach() * 2, (torch.ones(2, dtype=torch.double, requires_grad=True),))


def test_custom_function_node_class_module_and_qualname():
    class Outer:
        class Inner(Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2

    y = Outer.Inner.apply(torch.ones(1, requires_grad=True))
    cls = type(y.grad_fn)
    assert (cls.__name__, cls.__qualname__, cls.__module__) == ("InnerBackward", "InnerBackward",
                                                               "tinygrad_ext.autograd.function")


class _Keywords(Function):
    @staticmethod
    def forward(ctx, x, y=None, k=2, flag=False):
        ctx.log = (ctx.needs_input_grad, y is not None, k, flag)
        return x * k + (0 if y is None else y)

    @staticmethod
    def backward(ctx, g):
        return g, g, None, None


def test_apply_moves_keyword_arguments_to_their_positions():
    x, t = torch.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    o = _Keywords.apply(x, y=t)
    assert o.grad_fn.log == ((True, True), True, 2, False)
    o.sum().backward()
    assert t.grad.tolist() == [1.0, 1.0]
    assert _Keywords.apply(x, None, 3, flag=1).grad_fn.log == ((True, False, False, False), False, 3, 1)
    assert _Keywords.apply(x=x, y=None, k=3).grad_fn.log == ((True, False, False), False, 3, False)
    for kwargs, msg in (({"flag": True, "k": 5}, "forward() missing required argument: 'y' (position 1)"),
                        ({"q": 1}, "forward() got an unexpected keyword argument 'q'")):
        with pytest.raises(TypeError) as e:
            _Keywords.apply(x, **kwargs)
        assert str(e.value) == msg
    with pytest.raises(TypeError) as e:
        _Keywords.apply(x, 1, y=2)
    assert str(e.value) == "forward() got multiple values for argument 'y'"


def test_setup_context_style_binds_defaults_and_needs_input_grad_ignores_grad_mode():
    seen = []

    class S(Function):
        @staticmethod
        def forward(x, k=2, flag=False):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            seen.append((len(inputs), inputs[1:], ctx.needs_input_grad))

        @staticmethod
        def backward(ctx, g):
            return g, None, None

    x = torch.ones(2, requires_grad=True)
    S.apply(x, flag=True)
    assert seen == [(3, (2, True), (True, False, False))]
    with torch.no_grad():
        out = _Keywords.apply(x)
    assert out.grad_fn is None and not out.requires_grad
    flags = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, a):
            flags.append(ctx.needs_input_grad)
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g

    with torch.no_grad():
        Probe.apply(x)
    Probe.apply(torch.ones(2))
    assert flags == [(True,), (False,)]


def test_function_ctx_is_the_ctx_base():
    assert issubclass(Function, FunctionCtx)
    ctx = FunctionCtx()
    for name in ("save_for_backward", "mark_dirty", "mark_non_differentiable", "set_materialize_grads"):
        assert callable(getattr(ctx, name))
    assert not hasattr(torch.autograd, "FunctionCtx")  # (torch.autograd.function's name only)
