"""Optimizer: the base of every optimizer. param_groups (a list of dicts: 'params' plus per-group options),
per-parameter state, zero_grad, add_param_group, state_dict / load_state_dict, with torch's validation."""
import copy
import functools
import warnings
from collections import OrderedDict, defaultdict
from itertools import chain

from .. import _C, _dtype, _registry
from ..autograd.grad_mode import enable_grad, no_grad
from ..nn.modules.module import RemovableHandle
from ..nn.parameter import zero_grads
from ..tensor import Tensor, _wrap, tensor
from . import _fused


class _RequiredParameter:
    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj):
    return obj.type() if isinstance(obj, Tensor) else type(obj).__name__


_global_optimizer_pre_hooks = OrderedDict()
_global_optimizer_post_hooks = OrderedDict()
_HOOK_DICTS = ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
               "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
               "_optimizer_load_state_dict_post_hooks")


def _add_hook(hooks, hook, prepend=False):
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def register_optimizer_step_pre_hook(hook):
    """hook(optimizer, args, kwargs) before every optimizer's step (torch.optim.optimizer's global hook)."""
    return _add_hook(_global_optimizer_pre_hooks, hook)


def register_optimizer_step_post_hook(hook):
    """hook(optimizer, args, kwargs) after every optimizer's step."""
    return _add_hook(_global_optimizer_post_hooks, hook)


def _hooked_step(step):
    """step wrapped as torch's: the global and the optimizer's pre-hooks (which may return new (args, kwargs)),
    then step, then its post-hooks and the global ones. Done once per class, so a subclass's own step is wrapped."""
    @functools.wraps(step)
    def wrapper(*args, **kwargs):
        self = args[0]
        for pre_hook in (*_global_optimizer_pre_hooks.values(), *self._optimizer_step_pre_hooks.values()):
            result = pre_hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, new_kwargs), but got "
                                       f"{result}.")
                args, kwargs = result
        out = step(*args, **kwargs)
        for post_hook in (*self._optimizer_step_post_hooks.values(), *_global_optimizer_post_hooks.values()):
            post_hook(self, args, kwargs)
        return out
    wrapper.hooked = True
    return wrapper


class Optimizer:
    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        for name in _HOOK_DICTS:
            setattr(self, name, OrderedDict())
        if not getattr(type(self).step, "hooked", False):
            type(self).step = _hooked_step(type(self).step)
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, but "
                            f"got {_typename(params)}")
        if isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in _HOOK_DICTS:
            self.__dict__.setdefault(name, OrderedDict())

    def __repr__(self):
        s = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"

    def add_param_group(self, param_group):
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        else:
            params = list(params)
        # named parameters: [(name, tensor), ...] records the names (checked by load_state_dict)
        if params and all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in params):
            param_group["param_names"] = [n for n, _ in params]
            params = [p for _, p in params]
        param_group = dict(param_group, params=params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {_typename(p)}")
            if not p.is_leaf and not (p._extra or {}).get("retains_grad"):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def register_step_pre_hook(self, hook):
        """hook(optimizer, args, kwargs) before step(); returning (new_args, new_kwargs) replaces them."""
        return _add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """hook(optimizer, args, kwargs) after step()."""
        return _add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        """hook(optimizer) before state_dict()."""
        return _add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """hook(optimizer, state_dict) after state_dict(); a returned dict replaces it."""
        return _add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """hook(optimizer, state_dict) before load_state_dict(); a returned dict is loaded instead."""
        return _add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """hook(optimizer) after load_state_dict()."""
        return _add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    def zero_grad(self, set_to_none=True):
        zero_grads(chain.from_iterable(g["params"] for g in self.param_groups), set_to_none)

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._update_group(group)
        return loss

    def _update_group(self, group):
        raise NotImplementedError

    def _params_with_state(self, group, init):
        """(p, state) for each parameter of the group that has a gradient; an empty state is filled with init(p)."""
        for p in group["params"]:
            if p._grad is None:
                continue
            st = self.state[p]
            if not st:
                st.update(init(p))
            yield p, st

    def _fused_step(self, group, name, pairs, states, hyper, per_param=None):
        """The registry's fused step `name` (optim/_fused.py) for each (parameter, state) of `pairs`: one
        multi-tensor core call for the group (group['foreach'] None or True, torch's foreach path) or one call per
        parameter (foreach=False), bit for bit the same. states: the state names the kernel updates, in its slot
        order; hyper: the hyperparameters shared by the group; per_param(p, state, step): a dict of those that
        vary per parameter (called in order, after the parameter's step count, where the entry keeps one, is
        incremented; the multi-tensor call increments the counters itself when there is no per_param)."""
        if not pairs:
            return
        entry = _registry.OPTIMIZER_STEPS_BY_NAME[name]
        counted, wants_step = entry.counted, "step" in entry.hyper
        if group.get("foreach") is False:
            kernel = getattr(_fused, name)
            for p, st in pairs:
                step = _next_step(st) if counted else None
                kw = dict(hyper, step=step) if wants_step else dict(hyper)
                if per_param is not None:
                    kw.update(per_param(p, st, step))
                kernel(p, p._grad, [st[n] for n in states], **kw)
            return
        params, grads, state_lists, steps, varying = [], [], [], [], {}
        for p, st in pairs:
            if per_param is not None:
                step = _next_step(st) if counted else None
                extra = dict(per_param(p, st, step), step=step) if wants_step else per_param(p, st, step)
                for k, v in extra.items():
                    varying.setdefault(k, []).append(v)
            elif counted:
                steps.append(_step_tensor(st)._impl)
            params.append(p._impl)
            grads.append(p._grad._impl)
            state_lists.append([st[n]._impl for n in states])
        _fused.foreach_impls(entry, params, grads, state_lists, steps, dict(hyper, **varying))

    # ------------------------------------------------------------ state dict
    def state_dict(self):
        """{'state': {index: {name: value}}, 'param_groups': [{options..., 'params': [indices]}]}; parameters
        are numbered across groups in order, as torch."""
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        index, start = {}, 0
        groups = []
        for g in self.param_groups:
            ids = list(range(start, start + len(g["params"])))
            index.update({id(p): i for p, i in zip(g["params"], ids)})
            start += len(ids)
            packed = {k: v for k, v in g.items() if k != "params"}
            packed["params"] = ids
            groups.append(packed)
        state = {index[id(p)]: dict(v) for p, v in self.state.items() if id(p) in index}
        state_dict = {"state": state, "param_groups": groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict):
        """Validates group count, sizes, parameter names (when both sides have them) and the state tensors'
        shapes before changing anything."""
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        if not isinstance(state_dict, dict) or "param_groups" not in state_dict or "state" not in state_dict:
            raise ValueError("optimizer state_dict must be a dict with 'state' and 'param_groups'")
        groups = self.param_groups
        saved = state_dict["param_groups"]
        if len(groups) != len(saved):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        for g, s in zip(groups, saved):
            if "param_names" in g and "param_names" in s and list(g["param_names"]) != list(s["param_names"]):
                raise ValueError(f"loaded state dict's parameter names {list(s['param_names'])} do not match the "
                                 f"optimizer's {list(g['param_names'])}")
        id_map = dict(zip(chain.from_iterable(s["params"] for s in saved),
                          chain.from_iterable(g["params"] for g in groups)))
        new_state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k not in id_map:
                continue
            p = id_map[k]
            new_state[p] = {name: _cast_state(p, k, name, value) for name, value in v.items()}
        new_groups = []
        for g, s in zip(groups, saved):
            ng = {k: copy.deepcopy(v) for k, v in s.items() if k != "params"}
            for k, v in self.defaults.items():  # a state dict from an older release lacks newer options
                ng.setdefault(k, v)
            ng["params"] = g["params"]
            new_groups.append(ng)
        self.state = new_state
        self.param_groups = new_groups
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)


def _cast_state(p, index, name, value):
    """A loaded state value bound to parameter p: tensors (also inside lists, as LBFGS's history) copied to p's
    device and p's floating dtype, except 'step', which stays where it is (on the CPU), as torch."""
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(p, index, name, v) for v in value)
    if not isinstance(value, Tensor):
        return value
    if value.dim() > 0 and value.shape != p.shape and name not in _FLAT_STATE:
        raise ValueError(f"loaded state dict has a '{name}' of shape {list(value.shape)} for a parameter of shape "
                         f"{list(p.shape)} (parameter {index}): the state comes from another model or the parameter "
                         "order changed")
    if name != "step":
        value = value.to(p.device)
    if name != "step" and value.dtype.is_floating_point and p.dtype.is_floating_point:
        value = value.to(p.dtype)
    return value.detach().clone()  # never share state with the source optimizer


_FLAT_STATE = ("d", "old_dirs", "old_stps", "prev_flat_grad", "al", "ro", "H_diag")  # LBFGS: all parameters flat


def _zeros(p, value=0):
    """State buffer shaped like parameter p, filled with value."""
    pi = p._impl
    return _wrap(_C.full(list(pi.shape), value, pi.dtype, pi.device_type, pi.device_index))


def _scalar_state(value, p, on_device=False):
    """A 0-d state tensor such as 'step' ('mu_product', 'eta'): float32, float64 when that is the default dtype, as
    torch keeps them; on the CPU (reading it costs no GPU synchronization), on p's device with on_device (ASGD's,
    as torch's)."""
    dtype = _dtype.float64 if _dtype.get_default_dtype() is _dtype.float64 else _dtype.float32
    return tensor(value, dtype=dtype, device=p.device if on_device else None)


def _step_tensor(state):
    """state['step'], a 0-d tensor (a state dict written with an integer step gets one)."""
    step = state["step"]
    if not isinstance(step, Tensor):
        step = state["step"] = tensor(float(step), dtype=_dtype.float32)
    return step


def _next_step(state):
    """state['step'] += 1 in place; returns the new count as a Python float."""
    step = _step_tensor(state)._impl
    _C.add(step, 1, False, step)
    return _C.item(step)


def _check_not_differentiable(name, differentiable):
    if differentiable:
        raise NotImplementedError(f"{name}(differentiable=True) is not supported by tinygrad_ext: the update runs "
                                  "under no_grad; leave differentiable=False")


def _check(cond, message):
    if not cond:
        raise ValueError(message)
