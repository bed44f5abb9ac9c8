"""torch.func.functional_call (see nn/utils/stateless.py) and stack_module_state: the parameters and buffers of
several models of one class stacked along a new leading dim, for vmap over functional_call (model ensembling)."""
from ..nn.utils.stateless import _functional_call as functional_call
from ..tensor import stack

functional_call.__name__ = functional_call.__qualname__ = "functional_call"

__all__ = ["functional_call", "stack_module_state"]


def _stacked(named_lists):
    """{name: the tensors of that name stacked}; a result is a fresh leaf requiring grad where its inputs do."""
    out = {}
    for name in named_lists[0]:
        tensors = [named[name] for named in named_lists]
        result = stack([t.detach() for t in tensors])
        out[name] = result.requires_grad_() if any(t.requires_grad for t in tensors) else result
    return out


def stack_module_state(models):
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if any(m.training != models[0].training for m in models):
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")
    if any(type(m) is not type(models[0]) for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    params = _stacked([dict(m.named_parameters()) for m in models])
    buffers = _stacked([dict(m.named_buffers()) for m in models])
    return params, buffers
