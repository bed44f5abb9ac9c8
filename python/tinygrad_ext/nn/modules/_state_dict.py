"""Module._load_from_state_dict, torch's per-module step of load_state_dict: the module's load pre-hooks, then its
own parameters and persistent buffers (and its extra state) read from the state dict under its prefix, written as
they are read; problems go to the caller's missing/unexpected/error lists. load_state_dict walks the modules
through it (torch's protocol) when one of them overrides _load_from_state_dict or set_extra_state, so an
override that renames keys before calling super() loads as in torch."""
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from ..parameter import Parameter

EXTRA_STATE_KEY = "_extra_state"


def load_own_entries(module, state_dict, prefix, local_metadata, missing_keys, unexpected_keys, error_msgs,
                     has_extra_state):
    for hook in module._load_state_dict_pre_hooks.values():
        hook(state_dict, prefix, local_metadata, True, missing_keys, unexpected_keys, error_msgs)
    module._load_legacy_entries(state_dict, prefix, local_metadata.get("version"))
    local = {k: v for k, v in module._parameters.items() if v is not None}
    local.update((k, v) for k, v in module._buffers.items()
                 if v is not None and k not in module._non_persistent_buffers_set)
    assign = local_metadata.get("assign_to_params_buffers", False)
    for name, cur in local.items():
        key = prefix + name
        if key not in state_dict:
            missing_keys.append(key)
            continue
        src = state_dict[key]
        if isinstance(src, Tensor) and cur.dim() == 0 and src.dim() == 1 and src.shape[0] == 1:  # (old 0-d entries)
            src = src[0]
        error = entry_error(key, src, cur)
        if error:
            error_msgs.append(error)
            continue
        with no_grad():
            write_entry(module, name, cur, src, assign)
    extra_key = prefix + EXTRA_STATE_KEY
    if has_extra_state:
        if extra_key in state_dict:
            module.set_extra_state(state_dict[extra_key])
        else:
            missing_keys.append(extra_key)
    elif extra_key in state_dict:
        unexpected_keys.append(extra_key)
    for key in state_dict:
        if key.startswith(prefix) and key != extra_key:
            first, dot, _ = key[len(prefix):].partition(".")
            if (dot and first not in module._modules) or (not dot and first not in local):
                unexpected_keys.append(key)


def entry_error(key, src, cur):
    """torch's message for a state-dict entry src that cannot be loaded into cur (a parameter or buffer), or None."""
    if not isinstance(src, Tensor):
        return (f'While copying the parameter named "{key}", expected torch.Tensor or Tensor-like object from '
                f"checkpoint but received {type(src)}")
    if not getattr(cur, "_is_uninitialized", False) and src.shape != cur.shape:  # (a lazy placeholder takes any)
        return (f"size mismatch for {key}: copying a param with shape {src.shape} from checkpoint, the shape in "
                f"current model is {cur.shape}.")
    return None


def write_entry(module, name, cur, src, assign):
    """src into module's parameter or buffer `name` (now cur), under no_grad: copied (cast to cur's dtype, as
    torch's), or with assign put in cur's place (a Parameter keeping cur's requires_grad)."""
    if getattr(cur, "_is_uninitialized", False):
        cur.materialize(tuple(src.shape))
    if assign and name in module._parameters:
        module._parameters[name] = Parameter(src.detach(), cur.requires_grad)
    elif assign:
        module._buffers[name] = src.detach()
    else:
        cur.copy_(src.to(cur.device) if src.device != cur.device else src)
