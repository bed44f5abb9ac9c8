"""DistributedDataParallel: one model replica per rank, gradients averaged over the ranks during backward.

At construction the parameters and buffers are broadcast from rank 0 and the parameters are cut into buckets
(reverse registration order, which is roughly the order backward produces their gradients; the first bucket
holds at most 1 MiB, the others bucket_cap_mb). Each parameter's post-accumulate-grad hook counts it ready;
when a bucket is complete its gradients are copied into one flat tensor and an asynchronous all_reduce starts
(the engine's non-blocking collective), so communication overlaps the rest of backward. Buckets start in index
order on every rank (collectives must be issued in the same order everywhere). The hook of the last parameter
waits for all of them and writes the averages back into .grad, so grads are averaged when backward returns."""
import contextlib
import weakref

from ... import distributed as dist
from ..._dtype import int32, int64
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ...tensor import Tensor, empty, tensor, zeros
from ..modules.module import Module

__all__ = ["DistributedDataParallel"]

_FIRST_BUCKET_BYTES = 1 << 20  # torch's dist._DEFAULT_FIRST_BUCKET_BYTES


class _Bucket:
    """Parameters whose gradients travel in one all_reduce, and their offsets in the flat buffer."""
    __slots__ = ("indices", "offsets", "numel", "flat", "pending", "work")

    def __init__(self, indices, params):
        self.indices = indices
        self.offsets, n = [], 0
        for i in indices:
            self.offsets.append(n)
            n += params[i].numel()
        self.numel = n
        p0 = params[indices[0]]
        self.flat = empty((n,), dtype=p0.dtype, device=p0.device)
        self.pending, self.work = len(indices), None


def _tensors_in(obj):
    """Every Tensor in a forward output (nested tuples, lists and dicts)."""
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _tensors_in(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors_in(o)


def _reachable_leaves(outputs):
    """ids of the leaf tensors the autograd graph of outputs reaches (find_unused_parameters)."""
    seen, leaves = set(), set()
    stack = [t.grad_fn for t in _tensors_in(outputs) if t.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        leaf = getattr(node, "variable", None)  # AccumulateGrad
        if leaf is not None:
            leaves.add(id(leaf))
        stack.extend(n for n, _ in node.next_functions)
    return leaves


class DistributedDataParallel(Module):
    """Data parallelism over the ranks of a process group: wrap the model, run forward and backward as usual;
    after backward every rank holds the gradients averaged over all ranks."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, delay_all_reduce_named_params=None,
                 param_to_hook_all_reduce=None, mixed_precision=None, device_mesh=None):
        super().__init__()
        for name, value in (("delay_all_reduce_named_params", delay_all_reduce_named_params),
                            ("param_to_hook_all_reduce", param_to_hook_all_reduce),
                            ("mixed_precision", mixed_precision), ("device_mesh", device_mesh)):
            if value is not None:
                raise NotImplementedError(f"DistributedDataParallel: {name} is not supported by tinygrad_ext")
        self.module = module
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter "
                               "that requires a gradient.")
        devices = {p.device for p in params}
        if device_ids is not None or output_device is not None:
            if any(d.type == "cpu" for d in devices) or len(device_ids or []) > 1:
                raise ValueError("DistributedDataParallel device_ids and output_device arguments only work with "
                                 "single-device/multiple-device GPU modules or CPU modules, but got device_ids "
                                 f"{device_ids}, output_device {output_device}, and module parameters {devices}.")
        self.process_group = process_group
        self.world_size = dist.get_world_size(process_group)  # ValueError when there is no default group
        self.device_ids, self.output_device, self.dim = device_ids, output_device, dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph  # a hint for torch's reducer; the buckets here need none
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self._params = params
        self._src = 0 if process_group is None else dist.get_global_rank(process_group, 0)  # rank 0 of the group
        self._verify_same_model()
        self._sync_module_states()
        self._buckets = self._make_buckets()
        self._where = {i: b for b, bucket in enumerate(self._buckets) for i in bucket.indices}
        self._prepared = False  # this forward's backward will average the gradients
        self._fired = 0
        self._next = 0
        self._used = None
        ref = weakref.ref(self)
        for i, p in enumerate(params):
            p.register_post_accumulate_grad_hook(lambda _, i=i: _grad_ready(ref, i))

    # ---- construction
    def _verify_same_model(self):
        mine = [len(self._params), sum(p.numel() for p in self._params)]
        device = self._params[0].device
        gathered = [zeros(2, dtype=int64, device=device) for _ in range(self.world_size)]
        dist.all_gather(gathered, tensor(mine, dtype=int64, device=device), group=self.process_group)
        for j, g in enumerate(gathered):
            if g.tolist() != mine:
                raise RuntimeError(f"DDP expects same model across all ranks, but Rank {dist.get_rank()} has "
                                   f"{mine[0]} params ({mine[1]} elements), while rank {j} has inconsistent "
                                   f"{g.tolist()[0]} params ({g.tolist()[1]} elements).")

    def _sync_module_states(self):
        """Rank 0's parameters and buffers, on every rank."""
        for t in [*self.module.parameters(), *self.module.buffers()]:
            dist.broadcast(t, self._src, group=self.process_group)

    def _make_buckets(self):
        order = list(range(len(self._params)))[::-1]
        buckets, current, size, cap = [], [], 0, min(_FIRST_BUCKET_BYTES, self.bucket_bytes_cap)
        for i in order:
            p = self._params[i]
            if current and (size >= cap or p.dtype is not self._params[current[0]].dtype or
                            p.device != self._params[current[0]].device):
                buckets.append(_Bucket(current, self._params))
                current, size, cap = [], 0, self.bucket_bytes_cap
            current.append(i)
            size += p.numel() * p.element_size()
        buckets.append(_Bucket(current, self._params))
        return buckets

    # ---- forward
    def forward(self, *inputs, **kwargs):
        if self._prepared and self._fired:
            self._prepared = False
            missing = [i for i in range(len(self._params)) if not self._used[i]]
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a new one. This error "
                "indicates that your module has parameters that were not used in producing loss. You can enable "
                "unused parameter detection by passing the keyword argument `find_unused_parameters=True` to "
                "`torch.nn.parallel.DistributedDataParallel`, and by making sure all `forward` function outputs "
                f"participate in calculating loss.\nParameter indices which did not receive grad for rank "
                f"{dist.get_rank()}: {' '.join(map(str, missing))}")
        if self.require_forward_param_sync and self.broadcast_buffers:
            for b in self.module.buffers():
                dist.broadcast(b, self._src, group=self.process_group)
        out = self.module(*inputs, **kwargs)
        self._prepared = is_grad_enabled() and self.require_backward_grad_sync
        if self._prepared:
            self._prepare_for_backward(out)
        return out

    def _prepare_for_backward(self, out):
        for bucket in self._buckets:
            bucket.pending, bucket.work = len(bucket.indices), None
        self._fired, self._next = 0, 0
        self._used = [0] * len(self._params)
        if self.find_unused_parameters:
            reached = _reachable_leaves(out)
            for i, p in enumerate(self._params):
                if id(p) not in reached:
                    self._buckets[self._where[i]].pending -= 1
            self._launch_ready()

    @contextlib.contextmanager
    def no_sync(self):
        """Backward passes inside only accumulate local gradients; the first synced backward after averages the
        accumulated sum."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    # ---- backward
    def _grad_ready(self, i):
        if not self._prepared:
            return
        self._fired += 1
        self._used[i] = 1
        bucket = self._buckets[self._where[i]]
        bucket.pending -= 1
        if bucket.pending == 0:
            self._launch_ready()
        else:
            for b in self._buckets[:self._next]:
                b.work.is_completed()  # drives the engine's progress while backward runs

    def _launch_ready(self):
        buckets = self._buckets
        while self._next < len(buckets) and buckets[self._next].pending == 0:
            bucket = buckets[self._next]
            with no_grad():
                for i, off in zip(bucket.indices, bucket.offsets):
                    p = self._params[i]
                    view = bucket.flat.narrow(0, off, p.numel())
                    if p.grad is None:
                        view.zero_()
                    elif p.grad.data_ptr() != view.data_ptr():  # (a gradient_as_bucket_view grad is there)
                        view.copy_(p.grad.reshape(-1))
            bucket.work = dist.all_reduce(bucket.flat, group=self.process_group, async_op=True)
            self._next += 1
        if self._next == len(buckets):
            self._finish_reduction()

    def _finish_reduction(self):
        used = None
        if self.find_unused_parameters:
            used = tensor(self._used, dtype=int32)
            dist.all_reduce(used, op=dist.ReduceOp.MAX, group=self.process_group)
            used = used.tolist()
        for bucket in self._buckets:
            bucket.work.wait()
            bucket.work = None
            with no_grad():
                bucket.flat.div_(self.world_size)
                for i, off in zip(bucket.indices, bucket.offsets):
                    if used is not None and not used[i]:
                        continue  # no rank used it: its .grad stays as it is, as torch
                    p = self._params[i]
                    avg = bucket.flat.narrow(0, off, p.numel()).view(p.shape)
                    if self.gradient_as_bucket_view:
                        p.grad = avg  # .grad is a view of the bucket: the next backward accumulates into it
                    elif p.grad is None:
                        p.grad = avg.clone()
                    else:
                        p.grad.copy_(avg)
        self._prepared = False


def _grad_ready(ref, i):
    ddp = ref()
    if ddp is not None:
        ddp._grad_ready(i)
