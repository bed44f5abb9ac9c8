"""nn.Module: the base of every layer. Parameters, buffers and submodules live
in three ordered dicts (_parameters, _buffers, _modules) filled by attribute
assignment; __getattr__ finds them. __call__ is forward itself unless hooks are
registered, so a call costs one Python frame."""
from collections import OrderedDict, namedtuple
from functools import partial
from types import MappingProxyType

from ... import _dtype
from ..._device import as_device, device
from ...autograd.function import RemovableHandle
from ...autograd.grad_mode import no_grad
from ..._tensor_base import typename as _typename
from ...tensor import Tensor, empty_like
from ..parameter import Buffer, Parameter, zero_grads
from ._backward_hooks import BackwardHook, register_non_full_backward_hooks
from ._state_dict import EXTRA_STATE_KEY, entry_error, load_own_entries, write_entry

_global_forward_hooks = OrderedDict()
_compiler = [None]  # torch.compile, set by tinygrad_ext._compile (which sits above nn)
_global_forward_pre_hooks = OrderedDict()
_global_backward_hooks = OrderedDict()
_global_backward_pre_hooks = OrderedDict()


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


_STATE_DICT_HOOKS = ("_state_dict_hooks", "_state_dict_pre_hooks", "_load_state_dict_pre_hooks",
                     "_load_state_dict_post_hooks")


def _add_key_errors(errors, missing, unexpected):
    """torch's strict-load lines for missing and unexpected keys, ahead of the other errors."""
    if unexpected:
        errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in unexpected)))
    if missing:
        errors.insert(0, "Missing key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in missing)))


def _run_load_post_hooks(hooks, incompatible):
    for mod, hook in hooks:
        if hook(mod, incompatible) is not None:
            raise AssertionError("Hooks registered with ``register_load_state_dict_post_hook`` are not expected to "
                                 "return new values, if incompatible_keys need to be modified, it should be done "
                                 "inplace.")


def _raise_load_errors(module, errors):
    if errors:
        raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(type(module).__name__,
                                                                              "\n\t".join(errors)))


def _addindent(s, n):
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    return lines[0] + "\n" + "\n".join(" " * n + line for line in lines[1:])


def _registered(hooks, hook):
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def register_module_forward_hook(hook):
    return _registered(_global_forward_hooks, hook)


def register_module_forward_pre_hook(hook):
    return _registered(_global_forward_pre_hooks, hook)


def register_module_full_backward_hook(hook):
    """hook(module, grad_input, grad_output) for every module call, before the module's own full hooks."""
    return _registered(_global_backward_hooks, hook)


def register_module_full_backward_pre_hook(hook):
    """hook(module, grad_output) for every module call, before the module's own backward pre-hooks."""
    return _registered(_global_backward_pre_hooks, hook)


class Module:
    """Base class for all neural network modules; subclasses define forward()."""

    training: bool
    dump_patches = False
    _version = 1
    # (read-only defaults for modules made without __init__; __init__ gives each module its own)
    _backward_hooks = _backward_pre_hooks = MappingProxyType({})
    _state_dict_hooks = _state_dict_pre_hooks = MappingProxyType({})
    _load_state_dict_pre_hooks = _load_state_dict_post_hooks = MappingProxyType({})
    _is_full_backward_hook = None  # (True: full backward hooks registered; False: register_backward_hook's)
    _forward_hooks_with_kwargs = _forward_hooks_always_called = _forward_pre_hooks_with_kwargs = MappingProxyType({})

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() takes no arguments (Module.__init__ got "
                            f"{len(args)} positional and {sorted(kwargs)} keyword arguments)")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}  # (plain dicts, as torch's; the hook tables stay OrderedDicts)
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = {}
        d["_forward_hooks"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()
        d["_backward_hooks"] = OrderedDict()
        d["_backward_pre_hooks"] = OrderedDict()
        for name in _STATE_DICT_HOOKS:
            d[name] = OrderedDict()
        d["_forward_hooks_with_kwargs"] = OrderedDict()
        d["_forward_hooks_always_called"] = OrderedDict()
        d["_forward_pre_hooks_with_kwargs"] = OrderedDict()

    def forward(self, *input):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    _compiled_call_impl = None  # (set by compile())

    def __call__(self, *args, **kwargs):
        if self._compiled_call_impl is not None:
            return self._compiled_call_impl(*args, **kwargs)
        if (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks or self._backward_pre_hooks
                or _global_forward_hooks or _global_forward_pre_hooks or _global_backward_hooks
                or _global_backward_pre_hooks):
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def _call_impl(self, *args, **kwargs):
        """__call__ without the compiled path (what compile() compiles)."""
        if (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks or self._backward_pre_hooks
                or _global_forward_hooks or _global_forward_pre_hooks or _global_backward_hooks
                or _global_backward_pre_hooks):
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def compile(self, *args, **kwargs):
        """torch's: this module's calls go through torch.compile(self._call_impl, *args, **kwargs), in place (its
        state_dict keys do not change)."""
        self.__dict__["_compiled_call_impl"] = _compiler[0](self._call_impl, *args, **kwargs)

    def _call_with_hooks(self, args, kwargs):
        for hook_id, hook in (*_global_forward_pre_hooks.items(), *self._forward_pre_hooks.items()):
            if hook_id in self._forward_pre_hooks_with_kwargs:
                r = hook(self, args, kwargs)
                if r is not None:
                    if not (isinstance(r, tuple) and len(r) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, new_kwargs), "
                                           f"but got {r}.")
                    args, kwargs = r
            else:
                r = hook(self, args)
                if r is not None:
                    args = r if isinstance(r, tuple) else (r,)
        backward_hook = None
        full_hooks = [*_global_backward_hooks.values(),
                      *(self._backward_hooks.values() if self._is_full_backward_hook else ())]
        if full_hooks or self._backward_pre_hooks or _global_backward_pre_hooks:
            backward_hook = BackwardHook(self, full_hooks, [*_global_backward_pre_hooks.values(),
                                                            *self._backward_pre_hooks.values()])
            args = backward_hook.setup_input_hook(args)
        forward_hooks = (*_global_forward_hooks.items(), *self._forward_hooks.items())
        try:
            out = self.forward(*args, **kwargs)
        except Exception:
            for hook_id, hook in forward_hooks:  # always_call hooks see the failed call (output None)
                if hook_id in self._forward_hooks_always_called:
                    self._run_forward_hook(hook_id, hook, args, kwargs, None)
            raise
        for hook_id, hook in forward_hooks:
            r = self._run_forward_hook(hook_id, hook, args, kwargs, out)
            if r is not None:
                out = r
        if backward_hook is not None:
            out = backward_hook.setup_output_hook(out)
        if self._is_full_backward_hook is False and self._backward_hooks:
            register_non_full_backward_hooks(self, list(self._backward_hooks.values()), args, out)
        return out

    def _run_forward_hook(self, hook_id, hook, args, kwargs, out):
        if hook_id in self._forward_hooks_with_kwargs:
            return hook(self, args, kwargs, out)
        return hook(self, args, out)

    def _add_hook(self, store, hook, prepend, **flags):
        """hook added to `store` (a dict of this module's), first when prepend; each true flag names a dict of
        hook ids the hook joins (with_kwargs=..., always_call=...). Returns its RemovableHandle."""
        extra = [d for d, on in flags.values() if on]
        handle = RemovableHandle(store, extra_dict=extra)
        store[handle.id] = hook
        if prepend:
            store.move_to_end(handle.id, last=False)
        for d in extra:
            d[handle.id] = True
        return handle

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        return self._add_hook(self._forward_hooks, hook, prepend,
                              with_kwargs=(self._forward_hooks_with_kwargs, with_kwargs),
                              always_call=(self._forward_hooks_always_called, always_call))

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        return self._add_hook(self._forward_pre_hooks, hook, prepend,
                              with_kwargs=(self._forward_pre_hooks_with_kwargs, with_kwargs))

    def register_full_backward_hook(self, hook, prepend=False):
        """hook(module, grad_input, grad_output), called with the gradients with respect to the module's
        positional inputs and outputs; a returned tuple replaces grad_input (see _backward_hooks.py)."""
        self._set_backward_hook_kind(True)
        return self._add_hook(self._backward_hooks, hook, prepend)

    def register_backward_hook(self, hook):
        """torch's deprecated form: hook(module, grad_input, grad_output) on the node that made the output, its
        grad_input that node's input gradients (see _backward_hooks.register_non_full_backward_hooks)."""
        self._set_backward_hook_kind(False)
        return self._add_hook(self._backward_hooks, hook, False)

    def _set_backward_hook_kind(self, full):
        if self._is_full_backward_hook is (not full):
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks on a single Module. "
                               "Please use only one of them.")
        self.__dict__["_is_full_backward_hook"] = full

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """hook(module, grad_output), called before the module's input gradients are computed; a returned
        tuple replaces grad_output."""
        return self._add_hook(self._backward_pre_hooks, hook, prepend)

    # ------------------------------------------------------------ attributes
    def _weight_bias(self):
        """(self.weight, self.bias) for the layers' forward, fast when both are Parameters; a weight that
        nn.utils.weight_norm (or a hook) replaced by a plain attribute is found as self.weight would."""
        p = self._parameters
        return p["weight"] if "weight" in p else self.weight, p["bias"] if "bias" in p else self.bias

    def __getattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            s = d.get(store)
            if s is not None and name in s:
                return s[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._remove_from(name, d, d["_buffers"], d["_modules"])
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' (torch.nn.Parameter or "
                                "None expected)")
            params[name] = None
        elif isinstance(value, Module):
            modules = d.get("_modules")
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._remove_from(name, d, params, d["_buffers"])
            modules[name] = value
        elif d.get("_modules") is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' (torch.nn.Module or "
                                "None expected)")
            d["_modules"][name] = value
        elif isinstance(value, Buffer) or d.get("_buffers") is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' (torch.nn.Buffer, "
                                "torch.Tensor or None expected)")
            persistent = value.persistent if isinstance(value, Buffer) else \
                name not in d["_non_persistent_buffers_set"]
            self.register_buffer(name, value, persistent)
        else:
            object.__setattr__(self, name, value)

    @staticmethod
    def _remove_from(name, *stores):
        for s in stores:
            if s is not None and name in s:
                del s[name]

    def __delattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            s = d.get(store)
            if s is not None and name in s:
                del s[name]
                d["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        keys = list(super().__dir__()) + list(self._parameters) + list(self._modules) + list(self._buffers)
        return sorted(k for k in set(keys) if not k[0].isdigit())

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_compiled_call_impl", None)  # (torch's: a compiled call does not travel; compile() again)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_backward_hooks", "_backward_pre_hooks", *_STATE_DICT_HOOKS):  # (pickled before these existed)
            self.__dict__.setdefault(name, OrderedDict())
        for name in ("_forward_hooks_with_kwargs", "_forward_hooks_always_called", "_forward_pre_hooks_with_kwargs"):
            self.__dict__.setdefault(name, OrderedDict())

    # ----------------------------------------------------------- registration
    def register_parameter(self, name, param):
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' (torch.nn.Parameter "
                            "or None required)")
        if param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be created "
                             "explicitly. To express '{name}' as a function of another Tensor, compute the value in "
                             "the forward() method.")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' (torch Tensor or None "
                            "required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        _check_name(name, "module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target):
        mod = self
        if target == "":
            return mod
        for item in target.split("."):
            if item not in mod._modules:
                if hasattr(mod, item):
                    raise AttributeError(f"`{item}` is not an nn.Module")
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = mod._modules[item]
        return mod

    def _get_member(self, target, table, what):
        """get_parameter / get_buffer: the submodule's `target` entry of `table`, with torch's errors."""
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if not hasattr(mod, name):
            raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
        if name not in getattr(mod, table):
            raise AttributeError(f"`{name}` is not {what}")
        return getattr(mod, name)

    def get_parameter(self, target):
        return self._get_member(target, "_parameters", "an nn.Parameter")

    def get_buffer(self, target):
        return self._get_member(target, "_buffers", "a buffer")

    def set_submodule(self, target, module, strict=False):
        """Replaces (or, unless strict, adds) the submodule at the dotted path `target`."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        parent_path, _, name = target.rpartition(".")
        parent = self.get_submodule(parent_path)
        if strict and not hasattr(parent, name):
            raise AttributeError(f"{parent._get_name()} has no attribute `{name}`")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
            raise AttributeError(f"`{name}` is not an nn.Module")
        setattr(parent, name, module)

    # ------------------------------------------------------------- iteration
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        if memo is None:
            memo = set()
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            yield from module.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        memo = set()
        for name, module in self._modules.items():
            if module is not None and module not in memo:
                memo.add(module)
                yield name, module

    def children(self):
        for _, m in self.named_children():
            yield m

    def _walk(self, prefix):
        """[(prefix, module)] in named_modules' order, each module once; a list built without nested
        generators, since parameters() runs every training step (zero_grad, optimizers)."""
        out, seen, stack = [], set(), [(prefix, self)]
        while stack:
            pre, m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            out.append((pre, m))
            kids = [(pre + "." + n if pre else n, c) for n, c in m._modules.items() if c is not None]
            stack.extend(reversed(kids))
        return out

    def _named_members(self, store, prefix, recurse, remove_duplicate):
        memo = set()
        if not recurse:
            mods = [(prefix, self)]
        elif remove_duplicate:
            mods = self._walk(prefix)
        else:
            mods = self.named_modules(prefix=prefix, remove_duplicate=False)
        for mod_prefix, mod in mods:
            for name, v in mod.__dict__[store].items():
                if v is None or (remove_duplicate and id(v) in memo):
                    continue
                if remove_duplicate:
                    memo.add(id(v))
                yield mod_prefix + ("." if mod_prefix else "") + name, v

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ----------------------------------------------------------------- modes
    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")  # torch raises ValueError
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        zero_grads(self.parameters(), set_to_none)

    def apply(self, fn):
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------ device and dtype moves
    def _apply(self, fn, recurse=True):
        """Applies fn to every parameter, gradient and buffer; parameters keep their identity
        (optimizers holding them see the moved data)."""
        for m in (self.modules() if recurse else (self,)):
            with no_grad():
                for name, p in m._parameters.items():
                    if p is None:
                        continue
                    new = fn(p)
                    if new is not p:
                        p.data = new
                    if p._grad is not None:
                        g = fn(p._grad)
                        if g is not p._grad:
                            p._grad.data = g
                for name, b in m._buffers.items():
                    if b is not None:
                        m._buffers[name] = fn(b)
        return self

    def to(self, *args, **kwargs):
        dt, dev = kwargs.pop("dtype", None), kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        memory_format = kwargs.pop("memory_format", None)  # (applied to the 4-d and 5-d tensors, as torch's)
        if kwargs:
            raise TypeError(f"to() received an invalid combination of arguments: {sorted(kwargs)}")
        for a in args:
            if isinstance(a, _dtype.dtype):
                dt = a
            elif isinstance(a, (str, device, int)):
                dev = a
            elif isinstance(a, Tensor):
                dt, dev = a.dtype, a.device
            else:
                raise TypeError(f"to() received an invalid argument of type {type(a).__name__}")
        if dt is not None and not dt.is_floating_point:
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired dtype={dt}")
        if dev is not None:
            dev = as_device(f"cuda:{dev}" if isinstance(dev, int) else dev)

        def convert(t):
            if dev is not None:
                t = t.to(dev)
            if dt is not None and t.dtype.is_floating_point:
                t = t.to(dt)
            if memory_format is not None and t.dim() in (4, 5):
                t = t.to(memory_format=memory_format)
            return t
        return self._apply(convert)

    def to_empty(self, *, device, recurse=True):
        return self._apply(lambda t: empty_like(t, device=device), recurse=recurse)

    def cuda(self, device=None):
        return self._apply(lambda t: t.cuda(device))

    def cpu(self):
        return self._apply(lambda t: t.cpu())

    def type(self, dst_type):
        return self._apply(lambda t: t.type(dst_type))

    def float(self):
        return self._apply(lambda t: t.float() if t.dtype.is_floating_point else t)

    def double(self):
        return self._apply(lambda t: t.double() if t.dtype.is_floating_point else t)

    def half(self):
        return self._apply(lambda t: t.half() if t.dtype.is_floating_point else t)

    def bfloat16(self):
        return self._apply(lambda t: t.bfloat16() if t.dtype.is_floating_point else t)

    # ------------------------------------------------------------ state dict
    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        if args:  # the old positional form state_dict(destination, prefix, keep_vars)
            destination = args[0]
            if len(args) > 1:
                prefix = args[1]
            if len(args) > 2:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = {"version": self._version}
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            result = hook(self, destination, prefix, local_metadata)
            if getattr(hook, "_from_public_api", False):
                if result is not None:
                    raise RuntimeError("state_dict post-hook must return None")
            elif result is not None:  # (the private hook may return a new dict)
                destination = result
        return destination

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        """This module's own parameters and persistent buffers into destination (not its children's)."""
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        if type(self).get_extra_state is not Module.get_extra_state:
            destination[prefix + EXTRA_STATE_KEY] = self.get_extra_state()

    def get_extra_state(self):
        """What a module adds to its state_dict as '_extra_state' (a subclass overrides it with set_extra_state)."""
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never be called. Please file "
                           "an issue at https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml to "
                           "report this bug.")

    def set_extra_state(self, state):
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never be called. Please file "
                           "an issue at https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml to "
                           "report this bug.")

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        """torch's per-module load step (see _state_dict.py); subclasses override it to adapt old checkpoints."""
        load_own_entries(self, state_dict, prefix, local_metadata, missing_keys, unexpected_keys, error_msgs,
                         type(self).set_extra_state is not Module.set_extra_state)

    def _load_by_modules(self, state_dict, strict, assign, metadata):
        """load_state_dict as torch's recursion over _load_from_state_dict (entries written as they are read)."""
        missing, unexpected, errors = [], [], []

        def load(module, local_state_dict, prefix):
            local_metadata = dict({} if metadata is None else metadata.get(prefix[:-1], {}))
            if assign:
                local_metadata["assign_to_params_buffers"] = assign
            module._load_from_state_dict(local_state_dict, prefix, local_metadata, True, missing, unexpected, errors)
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    load(child, {k: v for k, v in local_state_dict.items() if k.startswith(child_prefix)},
                         child_prefix)
            _run_load_post_hooks([(module, h) for h in module._load_state_dict_post_hooks.values()],
                                 _IncompatibleKeys(missing, unexpected))
        load(self, state_dict, "")
        if strict:
            _add_key_errors(errors, missing, unexpected)
        _raise_load_errors(self, errors)
        return _IncompatibleKeys(missing, unexpected)

    def _register_state_dict_hook(self, hook):
        """hook(module, state_dict, prefix, local_metadata) after state_dict(); a returned dict replaces it."""
        return self._add_hook(self._state_dict_hooks, hook, False)

    def register_state_dict_post_hook(self, hook):
        """hook(module, state_dict, prefix, local_metadata) after state_dict(), changing it in place."""
        hook._from_public_api = True
        return self._add_hook(self._state_dict_hooks, hook, False)

    def register_state_dict_pre_hook(self, hook):
        """hook(module, prefix, keep_vars) before this module's entries are saved."""
        return self._add_hook(self._state_dict_pre_hooks, hook, False)

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        """hook([module,] state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)
        before this module's entries are read; it may change state_dict (a copy of the caller's)."""
        return self._add_hook(self._load_state_dict_pre_hooks, partial(hook, self) if with_module else hook, False)

    def register_load_state_dict_pre_hook(self, hook):
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def register_load_state_dict_post_hook(self, hook):
        """hook(module, incompatible_keys) after loading; it may edit the missing/unexpected key lists in place
        (what is left of them then fails a strict load)."""
        return self._add_hook(self._load_state_dict_post_hooks, hook, False)

    def _load_legacy_entries(self, state_dict, prefix, version):
        """Fills in entries that a state_dict saved by an older version of this module lacks (BatchNorm's)."""

    def _state_entries(self):
        """{key: (module, store, name, tensor)} for everything state_dict() would save."""
        out = {}
        for mod_prefix, mod in self.named_modules(remove_duplicate=False):
            pre = mod_prefix + "." if mod_prefix else ""
            for name, p in mod._parameters.items():
                if p is not None:
                    out[pre + name] = (mod, "_parameters", name, p)
            for name, b in mod._buffers.items():
                if b is not None and name not in mod._non_persistent_buffers_set:
                    out[pre + name] = (mod, "_buffers", name, b)
        return out

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copies state_dict's tensors into this module's parameters and buffers (cast to their dtypes, as
        torch's). Every problem is found before anything is written and all are reported at once; on error
        nothing changes (unless load post-hooks are registered: they see the loaded module, as torch's)."""
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "items"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)
        modules = list(self.named_modules(remove_duplicate=False))
        if any(type(m)._load_from_state_dict is not Module._load_from_state_dict or
               type(m).set_extra_state is not Module.set_extra_state for _, m in modules):
            return self._load_by_modules(state_dict, strict, assign, metadata)
        missing, unexpected, errors = [], [], []
        for mod_prefix, mod in modules:
            pre = mod_prefix + "." if mod_prefix else ""
            local_metadata = {} if metadata is None else metadata.get(mod_prefix, {})
            for hook in mod._load_state_dict_pre_hooks.values():
                hook(state_dict, pre, local_metadata, strict, missing, unexpected, errors)
            mod._load_legacy_entries(state_dict, pre, local_metadata.get("version"))
        entries = self._state_entries()
        missing += [k for k in entries if k not in state_dict]
        unexpected += [k for k in state_dict if k not in entries]
        plan = []
        post_hooks = [(mod, h) for _, mod in reversed(modules) for h in mod._load_state_dict_post_hooks.values()]
        for key, (mod, store, name, cur) in entries.items():
            if key in state_dict:
                error = entry_error(key, state_dict[key], cur)
                if error:
                    errors.append(error)
                else:
                    plan.append((mod, name, cur, state_dict[key]))
        if strict and not post_hooks:
            _add_key_errors(errors, missing, unexpected)
        _raise_load_errors(self, errors)
        with no_grad():
            for mod, name, cur, src in plan:
                write_entry(mod, name, cur, src, assign)
        incompatible = _IncompatibleKeys(missing, unexpected)
        _run_load_post_hooks(post_hooks, incompatible)
        if strict and post_hooks:
            _add_key_errors(errors, missing, unexpected)
            _raise_load_errors(self, errors)
        return incompatible

    # -------------------------------------------------------------- printing
    def extra_repr(self):
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): " + _addindent(repr(m), 2) for key, m in self._modules.items()]
        lines = extra_lines + child_lines
        s = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                s += extra_lines[0]
            else:
                s += "\n  " + "\n  ".join(lines) + "\n"
        return s + ")"


def _check_name(name, kind):
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain "."' + (f", got: {name}" if kind == "module" else ""))
