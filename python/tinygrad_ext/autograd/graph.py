"""torch.autograd.graph: the graph's node type and the saved-tensor contexts.

Node is the base of every grad_fn (isinstance(t.grad_fn, Node) holds, AccumulateGrad's too). save_on_cpu and
disable_saved_tensors_hooks change nothing here: saved tensors stay where they are (on the CPU already, or on the
GPU: offloading them would only save memory). saved_tensors_hooks (user pack/unpack hooks) is not supported:
entering it raises, rather than running without the hooks."""
from .. import _C
from .function import Function as Node


class saved_tensors_hooks:
    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self):
        raise NotImplementedError("torch.autograd.graph.saved_tensors_hooks (pack/unpack hooks on the tensors saved "
                                  "for backward) is not supported by tinygrad_ext")

    def __exit__(self, *exc):
        return False


class save_on_cpu:
    """Saved tensors stay where they are (see the module's docstring); pin_memory and device_type are accepted."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        self.pin_memory, self.device_type = pin_memory, device_type

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class disable_saved_tensors_hooks:
    """No saved-tensor hooks run here, so the context changes nothing."""

    def __init__(self, error_message):
        self.error_message = error_message

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def increment_version(tensor):
    """Bumps the version counter of tensor (or of each tensor of an iterable), as an in-place write would."""
    for t in (tensor,) if hasattr(tensor, "_impl") else tensor:
        _C.bump_version(t._impl)


__all__ = ["Node", "disable_saved_tensors_hooks", "increment_version", "save_on_cpu", "saved_tensors_hooks"]
