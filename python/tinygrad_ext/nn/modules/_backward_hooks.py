"""Module.register_full_backward_hook / register_full_backward_pre_hook: torch's BackwardHook.

A module call with such hooks passes its tensor positional arguments, and then its tensor outputs, through an
identity autograd Function (BackwardHookFunction, so outputs show grad_fn=<BackwardHookFunctionBackward>).
In backward the output node runs first: it records grad_output after the pre-hooks (which may replace it);
then the input node receives the gradients with respect to the inputs and calls the full hooks as
hook(module, grad_input, grad_output), a returned tuple replacing grad_input. grad_input has one entry per
positional argument (None for a non-tensor); when no argument requires grad the full hooks fire at the output
node, with grad_input all None, and warn as torch's."""
import warnings

from ...autograd.function import Function
from ...autograd.grad_mode import _state
from ...tensor import Tensor, zeros_like

_NO_INPUT_GRAD_WARNING = ("Full backward hook is firing when gradients are computed with respect to module outputs "
                          "since no inputs require gradients. See https://docs.pytorch.org/docs/main/generated/"
                          "torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for more details.")


class BackwardHookFunction(Function):
    @staticmethod
    def forward(ctx, on_backward, *tensors):
        ctx.on_backward = on_backward
        ctx.set_materialize_grads(False)  # (an output that got no gradient shows None, as torch's)
        outs = tuple(t.view_as(t) for t in tensors)
        ctx.mark_non_differentiable(*[o for o, t in zip(outs, tensors) if not t.requires_grad])
        return outs

    @staticmethod
    def backward(ctx, *grads):
        return (None, *ctx.on_backward(grads))


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


class BackwardHook:
    """One module call's hook state: the positions of its tensor arguments and the grad_output seen."""

    def __init__(self, module, full_hooks, pre_hooks):
        self.module, self.full_hooks, self.pre_hooks = module, full_hooks, pre_hooks
        self.n_args, self.arg_positions, self.grad_output, self.inputs_hooked = 0, [], None, False

    def _call_full_hooks(self, grad_input):
        for hook in self.full_hooks:
            r = hook(self.module, grad_input, self.grad_output)
            if r is not None:
                r = _as_tuple(r)
                if len(r) != len(grad_input):
                    raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got {len(r)}, but "
                                       f"expected {len(grad_input)}")
                grad_input = r
        return grad_input

    def setup_input_hook(self, args):
        self.n_args = len(args)
        self.arg_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = [args[i] for i in self.arg_positions]
        if not (_state[0] and any(t.requires_grad for t in tensors)):
            return args
        self.inputs_hooked = True

        def on_input_grads(grads):
            if self.grad_output is None:  # (the gradient reached the inputs without passing the outputs: no hook)
                return grads
            grad_input = [None] * self.n_args
            for i, g in zip(self.arg_positions, grads):  # an input not requiring grad shows zeros, as torch's
                grad_input[i] = g if g is not None or args[i].requires_grad else zeros_like(args[i])
            grad_input = self._call_full_hooks(tuple(grad_input))
            return tuple(grad_input[i] for i in self.arg_positions)

        wrapped = list(args)
        for i, t in zip(self.arg_positions, BackwardHookFunction.apply(on_input_grads, *tensors)):
            wrapped[i] = t
        return tuple(wrapped)

    def setup_output_hook(self, out):
        if not isinstance(out, (Tensor, tuple)):
            warnings.warn("For backward hooks to be called, module output should be a Tensor or a tuple of Tensors "
                          f"but received {type(out)}", UserWarning, stacklevel=3)
            return out
        single = isinstance(out, Tensor)
        outs = _as_tuple(out)
        positions = [i for i, o in enumerate(outs) if isinstance(o, Tensor)]
        tensors = [outs[i] for i in positions]
        if not (_state[0] and any(t.requires_grad for t in tensors)):
            return out

        def on_output_grads(grads):
            grad_output = list(grads)
            for hook in self.pre_hooks:
                r = hook(self.module, tuple(grad_output))
                if r is not None:
                    grad_output = list(_as_tuple(r))
            self.grad_output = tuple(grad_output)
            if not self.inputs_hooked and self.full_hooks:
                warnings.warn(_NO_INPUT_GRAD_WARNING, UserWarning, stacklevel=2)
                self._call_full_hooks((None,) * self.n_args)
            return tuple(grad_output)

        wrapped = list(outs)
        for i, t in zip(positions, BackwardHookFunction.apply(on_output_grads, *tensors)):
            wrapped[i] = t
        if single:
            return wrapped[0]
        return type(out)(*wrapped) if hasattr(out, "_fields") else tuple(wrapped)  # (a namedtuple stays one)


_NON_FULL = ("Using a non-full backward hook when {} is deprecated and will be removed in future versions. This hook "
             "will be missing some {}.")


def register_non_full_backward_hooks(module, hooks, args, result):
    """register_backward_hook's hooks (torch's deprecated kind): each goes on the grad_fn of the first tensor in
    result as hook(module, grad_inputs, grad_outputs) of that node, with torch's FutureWarning where the node is
    not the whole module."""
    var = result
    while not isinstance(var, Tensor):
        var = next(v for v in var.values() if isinstance(v, Tensor)) if isinstance(var, dict) else var[0]
    grad_fn = var.grad_fn
    if grad_fn is None:
        return
    for hook in hooks:
        grad_fn.register_hook(lambda grad_inputs, grad_outputs, hook=hook: hook(module, grad_inputs, grad_outputs))
    results = (result,) if isinstance(result, Tensor) else result
    if not (isinstance(results, tuple) and all(isinstance(r, Tensor) for r in results)):
        what = "a Module that does not return a single Tensor or a tuple of Tensors"
        return _warn_non_full(f"Using non-full backward hooks on {what} is deprecated and will be removed in "
                              "future versions. This hook will be missing some of the grad_output. Please use "
                              "register_full_backward_hook to get the documented behavior.")
    if not all(isinstance(a, Tensor) for a in args):
        what = "a Module that does not take as input a single Tensor or a tuple of Tensors"
        return _warn_non_full(f"Using non-full backward hooks on {what} is deprecated and will be removed in "
                              "future versions. This hook will be missing some of the grad_input. Please use "
                              "register_full_backward_hook to get the documented behavior.")
    out_fns = {r.grad_fn for r in results if r.grad_fn is not None}
    if not out_fns or (len(out_fns) == 1 and grad_fn not in out_fns):
        _warn_non_full(_NON_FULL.format("outputs are nested in python data structure", "grad_output"))
    elif len(out_fns) > 1:
        _warn_non_full(_NON_FULL.format("outputs are generated by different autograd Nodes", "grad_output") +
                       " Please use register_full_backward_hook to get the documented behavior.")
    elif {a.grad_fn for a in args if a.grad_fn is not None} != {n[0] for n in grad_fn.next_functions}:
        _warn_non_full(_NON_FULL.format("the forward contains multiple autograd Nodes", "grad_input") +
                       " Please use register_full_backward_hook to get the documented behavior.")


def _warn_non_full(message):
    warnings.warn(message, FutureWarning, stacklevel=4)
