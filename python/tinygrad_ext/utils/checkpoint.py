"""torch.utils.checkpoint: activation checkpointing. The forward runs without recording a graph (its
activations are not kept); backward runs it again with the same random state, recording, and
backpropagates through that. Both of torch's variants (use_reentrant True and False) are computed this way
here; use_reentrant=False also takes keyword arguments and outputs that need no gradient."""
import warnings

from .._generator import global_states, restore_global_states
from ..autograd.engine import backward as _backward
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad, no_grad
from ..tensor import Tensor

_NO_REENTRANT = ("torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in "
                 "PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. use_reentrant=False "
                 "is recommended, but if you need to preserve the current default behavior, you can pass "
                 "use_reentrant=True. Refer to docs for more details on the differences between the two variants.")


class CheckpointFunction(Function):
    @staticmethod
    def forward(ctx, run, preserve_rng_state, *args):
        ctx.run, ctx.rng_state = run, global_states() if preserve_rng_state else None
        ctx.tensor_at = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.args = list(args)
        ctx.save_for_backward(*[args[i] for i in ctx.tensor_at])
        with no_grad():
            return run(*args)

    @staticmethod
    def backward(ctx, *grads):
        args = list(ctx.args)
        for i, t in zip(ctx.tensor_at, ctx.saved_tensors):
            args[i] = t.detach().requires_grad_(t.requires_grad)
        states = global_states()
        if ctx.rng_state is not None:
            restore_global_states(ctx.rng_state)
        try:
            with enable_grad():
                outputs = ctx.run(*args)
        finally:
            restore_global_states(states)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        pairs = [(o, g) for o, g in zip(outputs, grads) if isinstance(o, Tensor) and o.requires_grad and g is not None]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not necessary")
        _backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None, *[a.grad if isinstance(a, Tensor) else None for a in args])


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default", debug=False,
               preserve_rng_state=True, **kwargs):
    """function(*args, **kwargs), its activations recomputed during backward instead of kept."""
    if use_reentrant is None:
        warnings.warn(_NO_REENTRANT, stacklevel=2)
        use_reentrant = True
    if use_reentrant and kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    run = (lambda *a: function(*a, **kwargs)) if kwargs else function
    return CheckpointFunction.apply(run, preserve_rng_state, *args)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """A sequential model (or list of modules) run in `segments` checkpointed pieces (the last one normally)."""
    if use_reentrant is None:
        warnings.warn(_NO_REENTRANT, stacklevel=2)
        use_reentrant = True
    functions = list(functions.children()) if hasattr(functions, "children") else list(functions)

    def run_segment(start, end):
        def forward(x):
            for f in functions[start:end + 1]:
                x = f(x)
            return x
        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run_segment(start, end), input, use_reentrant=use_reentrant, **kwargs)
    return run_segment(end + 1, len(functions) - 1)(input)
