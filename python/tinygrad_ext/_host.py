"""CPU-only kernels for CUDA tensors: the factorizations (SVD, LU and the solvers on it, Cholesky, QR, eigh)
and ctc_loss have CPU kernels only (torch runs cuSOLVER, MAGMA and its own CTC kernel there). `on_host(fn)` makes
fn accept CUDA tensors as torch's does: it runs on host copies of the tensor arguments, made with the
differentiable `.cpu()` (so gradients flow back to the GPU tensors), and the results go back to the GPU. An
`out=` tensor is passed through as it is (the functions copy into it, across devices). Each call costs the two
copies and the host syncs they make."""
import functools

from ._tensor_base import Tensor


def _to(result, device):
    if isinstance(result, Tensor):
        return result.to(device)
    if isinstance(result, tuple):
        items = [_to(r, device) for r in result]
        return type(result)._make(items) if hasattr(result, "_make") else tuple(items)
    return result


def on_host(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        device = next((a.device for a in (*args, *kwargs.values()) if isinstance(a, Tensor) and a.is_cuda), None)
        if device is None:
            return fn(*args, **kwargs)
        args = [a.cpu() if isinstance(a, Tensor) else a for a in args]
        kwargs = {k: v.cpu() if isinstance(v, Tensor) and k != "out" else v for k, v in kwargs.items()}
        return _to(fn(*args, **kwargs), device)
    return wrapper
