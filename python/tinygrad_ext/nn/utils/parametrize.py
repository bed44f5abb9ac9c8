"""torch.nn.utils.parametrize: a module's tensor recomputed from other tensors on every access.

register_parametrization(module, "weight", p) moves module.weight into module.parametrizations.weight.original
(or original0, original1, ... when p.right_inverse returns several tensors) and gives the module a subclass
Parametrized<Class> whose `weight` property returns p(original); state_dict keys are torch's
(parametrizations.weight.original, ...). Assigning module.weight = X stores right_inverse(X) in the originals.
Inside `with cached():` each parametrized tensor is computed once and reused."""
from contextlib import contextmanager

from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from ..modules.container import ModuleDict, ModuleList
from ..parameter import Parameter

__all__ = ["ParametrizationList", "cached", "is_parametrized", "register_parametrization", "remove_parametrizations",
           "type_before_parametrizations"]

_cache = {}  # (id(module), tensor name) -> the value computed inside cached()
_cache_enabled = [0]


@contextmanager
def cached():
    """Within the block, each parametrized tensor is computed on its first access and that value is reused."""
    _cache_enabled[0] += 1
    try:
        yield
    finally:
        _cache_enabled[0] -= 1
        if not _cache_enabled[0]:
            _cache.clear()


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor (applied in order) and its original tensor(s)."""

    def __init__(self, modules, original, unsafe=False):
        super().__init__(modules)
        self.unsafe = unsafe
        new = original
        if hasattr(modules[0], "right_inverse"):
            with no_grad():
                try:
                    new = modules[0].right_inverse(original)
                except NotImplementedError:  # (torch's: the identity then; assigning later raises)
                    pass
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            self._store("original", new, original)
        else:
            for i, t in enumerate(new):
                self._store(f"original{i}", t, original)

    def _store(self, name, value, like):
        if isinstance(like, Parameter):
            self.register_parameter(name, Parameter(value.detach().clone(), like.requires_grad))
        else:
            self.register_buffer(name, value.detach().clone())

    def originals(self):
        return [self.original] if self.is_tensor else [getattr(self, f"original{i}") for i in range(self.ntensors)]

    def right_inverse(self, value):
        """Stores the originals that make the parametrized tensor equal `value`."""
        with no_grad():
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    value = module.right_inverse(value)
                elif not self.unsafe and module is not self[0]:
                    raise RuntimeError(f"parametrization {type(module).__name__} does not implement right_inverse.")
            values = [value] if self.is_tensor else list(value)
            for original, v in zip(self.originals(), values):
                original.copy_(v)

    def forward(self):
        x = self[0](*self.originals())
        for module in list(self)[1:]:
            x = module(x)
        return x


def is_parametrized(module, tensor_name=None):
    """Whether module has parametrizations (on tensor_name, when given)."""
    plists = module.__dict__.get("_modules", {}).get("parametrizations")
    if not isinstance(plists, ModuleDict):
        return False
    return len(plists) > 0 if tensor_name is None else tensor_name in plists


def _property(name):
    def get(self):
        if not _cache_enabled[0]:
            return self.parametrizations[name]()
        key = (id(self), name)
        if key not in _cache:
            _cache[key] = self.parametrizations[name]()
        return _cache[key]

    def set(self, value):
        self.parametrizations[name].right_inverse(value)
    return property(get, set)


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """Makes module.<tensor_name> be parametrization(original), recomputed on each access; returns module."""
    if is_parametrized(module, tensor_name):
        module.parametrizations[tensor_name].append(parametrization)
        return module
    if tensor_name not in module._parameters and tensor_name not in module._buffers:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a parametrized element with "
                         f"name '{tensor_name}'")
    original = getattr(module, tensor_name)
    plist = ParametrizationList([parametrization], original, unsafe=unsafe)
    delattr(module, tensor_name)
    if not is_parametrized(module):
        cls = module.__class__
        module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), {"_unparametrized_class": cls})
        module.parametrizations = ModuleDict()
    module.parametrizations[tensor_name] = plist
    setattr(module.__class__, tensor_name, _property(tensor_name))
    return module


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Turns module.<tensor_name> back into a plain parameter (or buffer): its current parametrized value with
    leave_parametrized, else its original (single-tensor parametrizations only); returns module."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if leave_parametrized:
        with no_grad():
            value = getattr(module, tensor_name)
    elif plist.is_tensor:
        value = plist.original
    else:
        raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is parametrized "
                         "in terms of a sequence of tensors.")
    like = plist.originals()[0]
    delattr(module.__class__, tensor_name)
    del module.parametrizations[tensor_name]
    if isinstance(like, Parameter):
        module.register_parameter(tensor_name, Parameter(value.detach(), like.requires_grad))
    else:
        module.register_buffer(tensor_name, value.detach())
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = module._unparametrized_class
    return module


def type_before_parametrizations(module):
    """The module's class before register_parametrization gave it a Parametrized subclass."""
    return module._unparametrized_class if is_parametrized(module) else type(module)
