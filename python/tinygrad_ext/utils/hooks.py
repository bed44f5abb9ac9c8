"""torch.utils.hooks: RemovableHandle, what every register_*_hook returns (handle.remove() unregisters the hook;
also a context manager that removes it at exit), for code that keeps hooks in a dict of its own."""
from ..nn.modules.module import RemovableHandle

__all__ = ["RemovableHandle", "unserializable_hook"]


def unserializable_hook(f):
    """Marks a hook as one that cannot be serialized (sets f.__torch_unserializable__); returns f."""
    f.__torch_unserializable__ = True
    return f
