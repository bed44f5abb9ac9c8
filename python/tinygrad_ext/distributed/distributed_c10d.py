"""torch.distributed's process groups and collectives, run by an existing engine: MPI (mpi4py) for CPU tensors,
NCCL for CUDA tensors. There is no transport of our own: each collective validates its tensors, hands the
engine a contiguous buffer (the tensor's own memory when it is contiguous, else a contiguous copy written
back when the collective completes) and returns a Work, or waits for it when async_op=False.

Waiting polls the engine's request with a deadline (the group's timeout), so a dead peer gives a
DistBackendError instead of a hang; after one, the group is unusable, as torch's NCCL groups are."""
import datetime
import enum
import importlib
import importlib.util
import os
import time
import warnings

from .. import _dtype
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor, cat, empty, tensor as _tensor

__all__ = ["Backend", "DebugLevel", "DistBackendError", "DistError", "GroupMember", "ProcessGroup", "ReduceOp",
           "Work", "all_gather", "all_gather_into_tensor", "all_reduce", "all_to_all", "all_to_all_single",
           "barrier", "broadcast", "destroy_process_group", "gather", "get_backend", "get_debug_level",
           "get_global_rank", "get_group_rank", "get_process_group_ranks", "get_rank", "get_world_size", "group",
           "init_process_group", "irecv", "is_available", "is_initialized", "is_mpi_available",
           "is_nccl_available", "isend", "new_group", "recv", "reduce", "reduce_scatter", "reduce_scatter_tensor",
           "scatter", "send", "set_debug_level", "set_debug_level_from_env"]

default_pg_timeout = datetime.timedelta(minutes=30)
_NCCL_TIMEOUT = datetime.timedelta(minutes=10)
_INSTALL_MPI = "pip install mpi4py mpich"


class DistError(RuntimeError):
    """torch.distributed.DistError: an error of the distributed package."""
    __module__ = "tinygrad_ext.distributed"


class DistBackendError(DistError):
    """An error reported by (or while waiting for) the backend: a peer died, a collective timed out."""
    __module__ = "tinygrad_ext.distributed"


class ReduceOp:
    """torch.distributed.ReduceOp: ReduceOp.SUM etc. are RedOpType members (an IntEnum, as torch's)."""

    class RedOpType(enum.IntEnum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7
        PREMUL_SUM = 8
        UNUSED = 9

    SUM, AVG, PRODUCT, MIN, MAX = RedOpType.SUM, RedOpType.AVG, RedOpType.PRODUCT, RedOpType.MIN, RedOpType.MAX
    BAND, BOR, BXOR, PREMUL_SUM = RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR, RedOpType.PREMUL_SUM


class Backend(str):
    """torch.distributed.Backend: the backend's name, lower case ('mpi' or 'nccl' here)."""
    UNDEFINED, GLOO, NCCL, MPI = "undefined", "gloo", "nccl", "mpi"

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, but got: {type(name)}")
        value = name.lower()
        if value not in (cls.MPI, cls.NCCL):
            if value == cls.GLOO:
                raise ValueError("Invalid backend: 'gloo': tinygrad_ext runs CPU collectives on MPI: use "
                                 "backend='mpi' and launch with `mpirun -n N python script.py`")
            raise ValueError(f"Invalid backend: '{name}' (tinygrad_ext has 'mpi' for CPU tensors and 'nccl' for "
                             "CUDA tensors)")
        return super().__new__(cls, value)


class DebugLevel(enum.IntEnum):
    OFF = 0
    INFO = 1
    DETAIL = 2


_debug = [DebugLevel.OFF]


def set_debug_level(level):
    _debug[0] = DebugLevel(level)


def set_debug_level_from_env():
    """TORCH_DISTRIBUTED_DEBUG=OFF|INFO|DETAIL; DETAIL checks every collective's shapes and dtypes across ranks."""
    value = os.environ.get("TORCH_DISTRIBUTED_DEBUG", "OFF").upper()
    if value not in DebugLevel.__members__:
        raise ValueError(f"The value of TORCH_DISTRIBUTED_DEBUG must be OFF, INFO, or DETAIL, but is {value!r}.")
    _debug[0] = DebugLevel[value]


def get_debug_level():
    return _debug[0]


class ProcessGroup:
    """A set of ranks and the engine's communicator among them."""

    def __init__(self, engine, ranks, backend, timeout):
        self._engine, self._ranks, self._backend, self._timeout = engine, ranks, Backend(backend), timeout
        self._seq = 0
        self._broken = None  # the error that made this group unusable

    def rank(self):
        return self._engine.rank

    def size(self):
        return self._engine.size

    def name(self):
        return str(self._backend)

    def _device_type(self):
        return "cuda" if self._backend == Backend.NCCL else "cpu"

    def __repr__(self):
        return f"ProcessGroup(backend={self._backend!r}, ranks={self._ranks})"


class GroupMember:
    """GroupMember.WORLD is the default group once initialized; new_group gives NON_GROUP_MEMBER to non-members."""
    WORLD = None
    NON_GROUP_MEMBER = -100


group = GroupMember  # torch.distributed.group.WORLD
_groups = []  # every live group, the default one first


def _engine_error(pg, what, e):
    return DistBackendError(f"[Rank {get_rank()}] {pg._backend}: {what} failed: {e}")


def _poll(req, deadline):
    """True once req completes; False at the deadline. Spins briefly, then sleeps between tests so a waiting
    rank leaves the CPU to the ranks still computing."""
    spins = 0
    while not req.test():
        spins += 1
        if spins > 64:
            if time.monotonic() > deadline:
                return False
            time.sleep(5e-5 if spins < 20000 else 1e-3)
    return True


_abandoned = []  # requests of failed or timed-out collectives


class Work:
    """What an async_op=True collective returns: wait() blocks until it completes (or the timeout passes),
    is_completed() tests without blocking."""

    def __init__(self, pg, req, op_name, numel, finish, outputs):
        self._pg, self._req, self._op_name, self._numel = pg, req, op_name, numel
        self._finish, self._outputs = finish, outputs
        self._seq = pg._seq
        self._exc = None

    def _complete(self):
        self._req = None
        finish, self._finish = self._finish, None
        if finish is not None:
            finish()

    def _test(self):
        try:
            return self._req.test()
        except self._pg._engine.errors as e:
            self._fail(_engine_error(self._pg, self._op_name, e))

    def _fail(self, exc):
        self._exc = exc
        _abandoned.append(self._req)  # the engine may still write its buffers: they must outlive the process
        self._req = None
        self._pg._broken = exc
        self._pg._engine.mark_broken()
        raise exc

    def is_completed(self):
        if self._req is not None and self._exc is None and self._test():
            self._complete()
        return self._req is None

    def is_success(self):
        return self.is_completed() and self._exc is None

    def exception(self):
        return self._exc

    def result(self):
        return list(self._outputs)

    def wait(self, timeout=None):
        if self._exc is not None:
            raise self._exc
        if self._req is None:
            return True
        limit = self._pg._timeout if not timeout else timeout
        try:
            done = _poll(self._req, time.monotonic() + limit.total_seconds())
        except self._pg._engine.errors as e:
            self._fail(_engine_error(self._pg, self._op_name, e))
        if not done:
            ms = int(limit.total_seconds() * 1000)
            self._fail(DistBackendError(
                f"[Rank {get_rank()}] {self._op_name} (SeqNum={self._seq}, NumelIn={self._numel}) on backend "
                f"'{self._pg._backend}' timed out after {ms} ms: a peer rank has not joined it (it may have died or "
                "be running other code). This process group cannot be used any more."))
        self._complete()
        return True

    def __repr__(self):
        return f"Work({self._op_name}, SeqNum={self._seq}, completed={self._req is None})"


# ------------------------------------------------------------ initialization
def is_mpi_available():
    return importlib.util.find_spec("mpi4py") is not None


def is_nccl_available():
    return _nccl_engine().find_library() is not None


def is_available():
    """True when a backend's engine is installed: mpi4py (MPI), or NCCL with a GPU."""
    return is_mpi_available() or is_nccl_available()


def _nccl_engine():
    """The NCCL engine module (ctypes, sockets), loaded only when asked for, as the MPI one."""
    return importlib.import_module("tinygrad_ext.distributed._nccl")


def _mpi_engine():
    """The MPI engine module, loaded (libmpi) only when a group asks for it."""
    try:
        return importlib.import_module("tinygrad_ext.distributed._mpi")
    except ImportError as e:
        raise RuntimeError(f"the 'mpi' backend needs mpi4py and an MPI library ({e}): {_INSTALL_MPI}, then "
                           "launch with `mpirun -n N python script.py`") from None


def _env_int(name, required):
    value = os.environ.get(name)
    if value is None:
        if required:
            raise ValueError(f"Error initializing torch.distributed using env:// rendezvous: environment variable "
                             f"{name} expected, but not set")
        return -1
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"Error initializing torch.distributed using env:// rendezvous: environment variable {name}"
                         f" must be an integer, got {value!r}") from None


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Starts the default group. backend='mpi' (CPU tensors; rank and size come from MPI: launch with mpirun)
    or 'nccl' (CUDA tensors; rank and size from the arguments or torchrun's RANK/WORLD_SIZE)."""
    if _groups:
        raise ValueError("trying to initialize the default process group twice!")
    if store is not None:
        raise ValueError("init_process_group: store= is not supported by tinygrad_ext (the engines rendezvous "
                         "by themselves: MPI through mpirun, NCCL through env://)")
    if init_method not in (None, "env://"):
        raise ValueError(f"init_process_group: init_method={init_method!r} is not supported by tinygrad_ext; use "
                         "None or 'env://' (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT)")
    backend = Backend(Backend.MPI if backend is None else backend)
    if timeout is None:
        timeout = _NCCL_TIMEOUT if backend == Backend.NCCL else default_pg_timeout
    if not isinstance(timeout, datetime.timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got {type(timeout).__name__}")
    env = init_method == "env://"
    if rank == -1:
        rank = _env_int("RANK", env and backend == Backend.NCCL)
    if world_size == -1:
        world_size = _env_int("WORLD_SIZE", env and backend == Backend.NCCL)
    set_debug_level_from_env()
    if backend == Backend.MPI:
        mpi = _mpi_engine()
        mpi_rank, mpi_size = mpi.init()
        if world_size not in (-1, mpi_size) or rank not in (-1, mpi_rank):
            raise ValueError(f"init_process_group(backend='mpi'): rank {rank} of world_size {world_size} was asked "
                             f"for, but MPI started this process as rank {mpi_rank} of {mpi_size}: launch with "
                             f"`mpirun -n {world_size if world_size > 0 else 'N'} python script.py` (or python -m "
                             "tinygrad_ext.distributed.run --nproc-per-node N script.py)")
        engine = mpi.Engine(mpi.MPI.COMM_WORLD)
    else:
        engine = _nccl_engine().Engine.create(rank, world_size, device_id)
    pg = ProcessGroup(engine, list(range(engine.size)), backend, timeout)
    _groups.append(pg)
    GroupMember.WORLD = pg


def is_initialized():
    return bool(_groups)


def _default_group():
    if not _groups:
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
    return _groups[0]


def _member(group):
    """The group to run on, or None when this rank is not in it (the collective is then skipped, as torch)."""
    pg = _default_group() if group is None else group
    return None if pg is GroupMember.NON_GROUP_MEMBER else pg


def _not_member(op_name):
    warnings.warn(f"Running {op_name} on global rank {get_rank()} which does not belong to the given group.",
                  stacklevel=3)


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None, sort_ranks=True):
    """A group of `ranks` (global ranks; all by default). Every rank of the default group must call it."""
    world = _default_group()
    n = world.size()
    ranks = list(range(n)) if ranks is None else [int(r) for r in ranks]
    if sort_ranks:
        ranks.sort()
    for r in ranks:
        if not 0 <= r < n:
            raise ValueError(f"The new group's rank should be within the world_size set by init_process_group, "
                             f"got rank {r} for world_size {n}")
    if len(set(ranks)) != len(ranks):
        raise ValueError(f"new_group: ranks {ranks} contain duplicates")
    if backend is not None and Backend(backend) != world._backend:
        raise ValueError(f"new_group: backend {backend!r} differs from the default group's "
                         f"{str(world._backend)!r}")
    engine = world._engine.split(ranks)
    if engine is None:
        return GroupMember.NON_GROUP_MEMBER
    pg = ProcessGroup(engine, ranks, world._backend, world._timeout if timeout is None else timeout)
    _groups.append(pg)
    return pg


def destroy_process_group(group=None):
    """Frees a group (its communicator), or every group when group is None."""
    if group is GroupMember.NON_GROUP_MEMBER:
        return
    for pg in (list(_groups) if group is None else [group]):
        if pg not in _groups:
            raise ValueError("Invalid process group specified")
        if pg._broken is None:
            pg._engine.free()
        _groups.remove(pg)
    if not _groups or group is None:
        _groups.clear()
        GroupMember.WORLD = None


def get_rank(group=None):
    """This process's rank in group (the default group when None); -1 when it is not a member."""
    pg = _member(group)
    return -1 if pg is None else pg.rank()


def get_world_size(group=None):
    pg = _member(group)
    return -1 if pg is None else pg.size()


def get_backend(group=None):
    pg = _member(group)
    if pg is None:
        raise ValueError("Invalid process group specified")
    return pg._backend


def get_process_group_ranks(group):
    pg = _member(group)
    if pg is None:
        raise ValueError("Invalid process group specified")
    return list(pg._ranks)


def get_group_rank(group, global_rank):
    pg = _member(group)
    if global_rank not in pg._ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {pg}")
    return pg._ranks.index(global_rank)


def get_global_rank(group, group_rank):
    pg = _member(group)
    if not 0 <= group_rank < len(pg._ranks):
        raise ValueError(f"Group rank {group_rank} is not part of group {pg}")
    return pg._ranks[group_rank]


# ------------------------------------------------------------ argument checks
def _check_single_tensor(param, name):
    if not isinstance(param, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type torch.Tensor\n"
                        f"             but got {type(param)} instead.")


def _check_tensor_list(param, name):
    if not isinstance(param, list) or not all(isinstance(p, Tensor) for p in param):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type List[torch.Tensor]\n"
                        f"             but got {type(param)} instead.")


def _check_op(op, t, op_name):
    try:
        op = ReduceOp.RedOpType(op)
    except ValueError:
        raise ValueError(f"{op_name}: invalid reduce op {op!r} (use torch.distributed.ReduceOp)") from None
    if op in (ReduceOp.PREMUL_SUM, ReduceOp.RedOpType.UNUSED):
        raise ValueError(f"{op_name}: ReduceOp.{op.name} is not supported by tinygrad_ext")
    if t.dtype is _dtype.bool and op == ReduceOp.AVG:
        raise TypeError("Cannot use ReduceOp.AVG with boolean inputs")
    if t.dtype.is_floating_point and op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR):
        raise RuntimeError(f"{op_name}: ReduceOp.{op.name} needs integer or bool tensors, got {t.dtype}")
    return op


def _check_tensors(pg, op_name, tensors, dtype=None):
    """Every tensor on the backend's device, and of one dtype (the first's, unless given)."""
    device = pg._device_type()
    dtype = dtype or tensors[0].dtype
    for t in tensors:
        if t.device.type != device:
            fix = "use backend='nccl' for CUDA tensors" if device == "cpu" else "move them with .cuda()"
            raise RuntimeError(f"ProcessGroup{str(pg._backend).upper()}::{op_name}: tensors must be on the "
                               f"{device.upper()}, got one on {t.device} ({fix})")
        if t.dtype is not dtype:
            raise RuntimeError(f"ProcessGroup{str(pg._backend).upper()}::{op_name}: invalid tensor type (expected "
                               f"{dtype}, got {t.dtype})")


def _check_sizes(pg, op_name, tensors, shape):
    for i, t in enumerate(tensors):
        if t.shape != shape:
            raise RuntimeError(f"ProcessGroup{str(pg._backend).upper()}::{op_name}: invalid tensor size at index {i} "
                               f"(expected ({', '.join(map(str, shape))}), got ({', '.join(map(str, t.shape))}))")


def _check_list_len(pg, op_name, what, tensors):
    if len(tensors) != pg.size():
        raise RuntimeError(f"ProcessGroup{str(pg._backend).upper()}::{op_name}: invalid {what} tensor list (expected "
                           f"length {pg.size()}, got {len(tensors)})")


def _group_peer(pg, op_name, rank, group_rank, what):
    """The group rank of a peer given as a global rank (rank=) or a group rank (group_rank=)."""
    if rank is not None and group_rank is not None:
        raise ValueError(f"Can not specify both group_{what} and {what}")
    if rank is None and group_rank is None:
        raise ValueError(f"Must specify either group_{what} or {what}")
    if group_rank is None:
        if rank not in pg._ranks:
            raise ValueError(f"{op_name}: invalid {what} rank {rank}: global rank {rank} is not part of group {pg}")
        return pg._ranks.index(rank)
    if not 0 <= group_rank < pg.size():
        raise ValueError(f"{op_name}: invalid group_{what} {group_rank} for a group of size {pg.size()}")
    return group_rank


# ------------------------------------------------------------ staging and launching
def _contiguous(t):
    """A detached contiguous tensor: t's own memory when t is contiguous, else a copy."""
    d = t.detach()
    return d if d.is_contiguous() else d.contiguous()


def _copy_into(dst, src):
    with no_grad():
        dst.detach().copy_(src.view(dst.shape))


def _average(buf, n):
    with no_grad():
        if buf.dtype.is_floating_point:
            buf.div_(n)
        else:
            buf.div_(n, rounding_mode="trunc")


_OPCODES = {}


def _debug_check(pg, op_name, t):
    """TORCH_DISTRIBUTED_DEBUG=DETAIL: every rank's (op, dtype, shape) of this collective must agree."""
    code = _OPCODES.setdefault(op_name, len(_OPCODES) + 1)
    shape = list(t.shape)[:8]
    mine = [pg._seq, code, t.dtype.id, t.dim(), *shape, *([0] * (8 - len(shape)))]
    row = _tensor(mine, dtype=_dtype.int64, device=t.device)
    rows = empty((pg.size(), len(mine)), dtype=_dtype.int64, device=t.device)
    Work(pg, pg._engine.allgather(row, rows), "debug fingerprint", len(mine), None, ()).wait()
    names = {v: k for k, v in _OPCODES.items()}

    def fingerprint(r):
        return (f"CollectiveFingerPrint(SequenceNumber={r[0]}, OpType={names.get(r[1], r[1])}, "
                f"TensorShape={r[4:4 + r[3]]}, TensorDtypes={_dtype.BY_ID[r[2]].name})")
    table = rows.tolist()
    for j, r in enumerate(table):
        if r != mine:
            raise RuntimeError(f"Detected mismatch between collectives on ranks. Rank {pg._ranks[pg.rank()]} is "
                               f"running collective: {fingerprint(mine)}, but Rank {pg._ranks[j]} is running "
                               f"collective: {fingerprint(r)}.")


def _launch(pg, op_name, start, numel, finish, async_op, outputs=(), check=None):
    """Starts one engine request (start(engine)); returns its Work (async_op) or waits for it."""
    if pg._broken is not None:
        raise DistBackendError(f"{op_name}: the process group is unusable after an earlier error: {pg._broken}")
    if check is not None and _debug[0] == DebugLevel.DETAIL:
        _debug_check(pg, op_name, check)
    pg._seq += 1
    try:
        req = start(pg._engine)
    except pg._engine.errors as e:
        raise _engine_error(pg, op_name, e) from None
    work = Work(pg, req, op_name, numel, finish, outputs)
    if async_op:
        return work
    work.wait()
    return None


def _finisher(*steps):
    steps = [s for s in steps if s is not None]
    if not steps:
        return None

    def finish():
        for s in steps:
            s()
    return finish


def _write_back(t, buf):
    """Copies buf into t when buf is t's contiguous copy (when t is contiguous, buf is t's own memory)."""
    return None if t.is_contiguous() else (lambda: _copy_into(t, buf))


def _write_back_rows(tensors, flat):
    """Copies flat's consecutive pieces into the tensors of a list."""
    def copy():
        off = 0
        for t in tensors:
            n = t.numel()
            _copy_into(t, flat.narrow(0, off, n))
            off += n
    return copy


def _flat(tensors, dtype):
    return cat([t.detach().reshape(-1) for t in tensors]) if tensors else empty((0,), dtype=dtype)


# ------------------------------------------------------------ collectives
def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduces tensor over the group; every rank gets the result in place."""
    _check_single_tensor(tensor, "tensor")
    pg = _member(group)
    if pg is None:
        return _not_member("all_reduce")
    op = _check_op(op, tensor, "allreduce")
    _check_tensors(pg, "allreduce", [tensor])
    buf = _contiguous(tensor)
    engine_op = ReduceOp.SUM if op == ReduceOp.AVG else op
    avg = (lambda: _average(buf, pg.size())) if op == ReduceOp.AVG else None
    return _launch(pg, "allreduce", lambda e: e.allreduce(buf, engine_op), tensor.numel(),
                   _finisher(avg, _write_back(tensor, buf)), async_op, [tensor], tensor)


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copies src's tensor into every rank's tensor."""
    _check_single_tensor(tensor, "tensor")
    pg = _member(group)
    if pg is None:
        return _not_member("broadcast")
    root = _group_peer(pg, "broadcast", src, group_src, "src")
    _check_tensors(pg, "broadcast", [tensor])
    buf = _contiguous(tensor)
    return _launch(pg, "broadcast", lambda e: e.broadcast(buf, root), tensor.numel(), _write_back(tensor, buf),
                   async_op, [tensor], tensor)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Reduces tensor over the group into dst's tensor (the other ranks' tensors are left as they are)."""
    _check_single_tensor(tensor, "tensor")
    pg = _member(group)
    if pg is None:
        return _not_member("reduce")
    root = _group_peer(pg, "reduce", dst, group_dst, "dst")
    op = _check_op(op, tensor, "reduce")
    _check_tensors(pg, "reduce", [tensor])
    buf = _contiguous(tensor)
    engine_op = ReduceOp.SUM if op == ReduceOp.AVG else op
    mine = pg.rank() == root
    avg = (lambda: _average(buf, pg.size())) if op == ReduceOp.AVG and mine else None
    back = _write_back(tensor, buf) if mine else None
    return _launch(pg, "reduce", lambda e: e.reduce(buf, engine_op, root), tensor.numel(), _finisher(avg, back),
                   async_op, [tensor], tensor)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """tensor_list[i] = rank i's tensor, on every rank."""
    _check_tensor_list(tensor_list, "tensor_list")
    _check_single_tensor(tensor, "tensor")
    pg = _member(group)
    if pg is None:
        return _not_member("all_gather")
    _check_list_len(pg, "allgather", "output", tensor_list)
    _check_tensors(pg, "allgather", [tensor, *tensor_list])
    _check_sizes(pg, "allgather", tensor_list, tensor.shape)
    buf = _contiguous(tensor)
    flat = empty((pg.size() * tensor.numel(),), dtype=tensor.dtype, device=tensor.device)
    return _launch(pg, "allgather", lambda e: e.allgather(buf, flat), tensor.numel(),
                   _write_back_rows(tensor_list, flat), async_op, tensor_list, tensor)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """output_tensor = the ranks' input tensors concatenated (or stacked) along dim 0."""
    _check_single_tensor(output_tensor, "output_tensor")
    _check_single_tensor(input_tensor, "input_tensor")
    pg = _member(group)
    if pg is None:
        return _not_member("all_gather_into_tensor")
    _check_tensors(pg, "_allgather_base", [output_tensor, input_tensor])
    if output_tensor.numel() != pg.size() * input_tensor.numel():
        raise ValueError(f"ProcessGroup{str(pg._backend).upper()}::_allgather_base: output tensor size must be equal "
                         f"to world_size times input tensor size (output {list(output_tensor.shape)}, input "
                         f"{list(input_tensor.shape)}, world_size {pg.size()})")
    buf, out = _contiguous(input_tensor), _contiguous(output_tensor)
    return _launch(pg, "_allgather_base", lambda e: e.allgather(buf, out), input_tensor.numel(),
                   _write_back(output_tensor, out), async_op, [output_tensor], input_tensor)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """output = the reduction over ranks of input_list[this rank]."""
    _check_single_tensor(output, "output")
    _check_tensor_list(input_list, "input_list")
    pg = _member(group)
    if pg is None:
        return _not_member("reduce_scatter")
    op = _check_op(op, output, "reduce_scatter")
    _check_list_len(pg, "reduce_scatter", "input", input_list)
    _check_tensors(pg, "reduce_scatter", [output, *input_list])
    _check_sizes(pg, "reduce_scatter", input_list, output.shape)
    return _reduce_scatter(pg, "reduce_scatter", output, _flat(input_list, output.dtype), op, async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """output = the reduction over ranks of this rank's slice of input (split evenly along dim 0)."""
    _check_single_tensor(output, "output")
    _check_single_tensor(input, "input")
    pg = _member(group)
    if pg is None:
        return _not_member("reduce_scatter_tensor")
    op = _check_op(op, output, "_reduce_scatter_base")
    _check_tensors(pg, "_reduce_scatter_base", [output, input])
    if input.numel() != pg.size() * output.numel():
        raise ValueError(f"ProcessGroup{str(pg._backend).upper()}::_reduce_scatter_base: input tensor must be the "
                         f"same size as output size times world size (input {list(input.shape)}, output "
                         f"{list(output.shape)}, world_size {pg.size()})")
    return _reduce_scatter(pg, "_reduce_scatter_base", output, _contiguous(input), op, async_op)


def _reduce_scatter(pg, op_name, output, flat, op, async_op):
    out = _contiguous(output)
    engine_op = ReduceOp.SUM if op == ReduceOp.AVG else op
    avg = (lambda: _average(out, pg.size())) if op == ReduceOp.AVG else None
    return _launch(pg, op_name, lambda e: e.reduce_scatter(flat, out, engine_op), flat.numel(),
                   _finisher(avg, _write_back(output, out)), async_op, [output], output)


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """On dst, gather_list[i] = rank i's tensor; gather_list must be None on the other ranks."""
    _check_single_tensor(tensor, "tensor")
    pg = _member(group)
    if pg is None:
        return _not_member("gather")
    root = _group_peer(pg, "gather", dst, group_dst, "dst")
    mine = pg.rank() == root
    if mine:
        if not gather_list:
            raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
        _check_tensor_list(gather_list, "gather_list")
        _check_list_len(pg, "gather", "output", gather_list)
        _check_sizes(pg, "gather", gather_list, tensor.shape)
    elif gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    _check_tensors(pg, "gather", [tensor, *(gather_list or [])])
    buf = _contiguous(tensor)
    flat = empty((pg.size() * tensor.numel(),), dtype=tensor.dtype, device=tensor.device) if mine else None
    return _launch(pg, "gather", lambda e: e.gather(buf, flat, root), tensor.numel(),
                   _write_back_rows(gather_list, flat) if mine else None, async_op, gather_list or [], tensor)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """tensor = src's scatter_list[this rank]; scatter_list must be None on the other ranks."""
    _check_single_tensor(tensor, "tensor")
    pg = _member(group)
    if pg is None:
        return _not_member("scatter")
    root = _group_peer(pg, "scatter", src, group_src, "src")
    mine = pg.rank() == root
    if mine:
        if not scatter_list:
            raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
        _check_tensor_list(scatter_list, "scatter_list")
        _check_list_len(pg, "scatter", "input", scatter_list)
        _check_sizes(pg, "scatter", scatter_list, tensor.shape)
    elif scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    _check_tensors(pg, "scatter", [tensor, *(scatter_list or [])])
    flat = _flat(scatter_list, tensor.dtype) if mine else None
    out = _contiguous(tensor)
    return _launch(pg, "scatter", lambda e: e.scatter(flat, out, root), tensor.numel(), _write_back(tensor, out),
                   async_op, [tensor], tensor)


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    """output_tensor_list[i] = rank i's input_tensor_list[this rank] (sizes may differ between pairs)."""
    _check_tensor_list(output_tensor_list, "output_tensor_list")
    _check_tensor_list(input_tensor_list, "input_tensor_list")
    pg = _member(group)
    if pg is None:
        return _not_member("all_to_all")
    _check_list_len(pg, "alltoall", "input", input_tensor_list)
    _check_list_len(pg, "alltoall", "output", output_tensor_list)
    _check_tensors(pg, "alltoall", [*input_tensor_list, *output_tensor_list])
    dtype = input_tensor_list[0].dtype
    flat_in = _flat(input_tensor_list, dtype)
    sizes_out = [t.numel() for t in output_tensor_list]
    flat_out = empty((sum(sizes_out),), dtype=dtype, device=input_tensor_list[0].device)
    sizes_in = [t.numel() for t in input_tensor_list]
    return _launch(pg, "alltoall", lambda e: e.alltoall(flat_in, sizes_in, flat_out, sizes_out), flat_in.numel(),
                   _write_back_rows(output_tensor_list, flat_out), async_op, output_tensor_list)


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None, group=None, async_op=False):
    """all_to_all on the dim-0 slices of one input and one output tensor (even splits unless sizes are given)."""
    _check_single_tensor(output, "output")
    _check_single_tensor(input, "input")
    pg = _member(group)
    if pg is None:
        return _not_member("all_to_all_single")
    _check_tensors(pg, "alltoall_base", [output, input])
    n = pg.size()

    def counts(t, splits, what):
        row = t.numel() // t.shape[0] if t.dim() and t.shape[0] else 0
        if not splits:
            if t.dim() == 0 or t.shape[0] % n:
                raise ValueError(f"all_to_all_single: {what} dim 0 ({t.shape[0] if t.dim() else 0}) must be "
                                 f"divisible by world_size {n} when no split sizes are given")
            return [t.numel() // n] * n
        if len(splits) != n or sum(splits) != t.shape[0]:
            raise ValueError(f"all_to_all_single: {what}_split_sizes {list(splits)} must have {n} entries summing "
                             f"to dim 0 of the {what} ({t.shape[0]})")
        return [s * row for s in splits]
    sizes_in, sizes_out = counts(input, input_split_sizes, "input"), counts(output, output_split_sizes, "output")
    buf, out = _contiguous(input), _contiguous(output)
    return _launch(pg, "alltoall_base", lambda e: e.alltoall(buf, sizes_in, out, sizes_out), input.numel(),
                   _write_back(output, out), async_op, [output])


def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    """Returns once every rank of the group has called it."""
    pg = _member(group)
    if pg is None:
        return _not_member("barrier")
    work = _launch(pg, "barrier", lambda e: e.barrier(), 0, None, True)
    if async_op:
        return work
    work.wait(timeout)
    return None


# ------------------------------------------------------------ point to point
def _p2p_peer(pg, op_name, rank, group_rank, what):
    peer = _group_peer(pg, op_name, rank, group_rank, what)
    if peer == pg.rank():
        kind = "destination" if what == "dst" else "source"
        raise ValueError(f"Invalid {kind} rank: {kind} rank should not be the same as the rank of the current "
                         "process.")
    return peer


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Sends tensor to dst without blocking; returns a Work."""
    _check_single_tensor(tensor, "tensor")
    pg = _member(group)
    if pg is None:
        return _not_member("isend")
    peer = _p2p_peer(pg, "send", dst, group_dst, "dst")
    _check_tensors(pg, "send", [tensor])
    buf = _contiguous(tensor)
    return _launch(pg, "send", lambda e: e.send(buf, peer, tag), tensor.numel(), None, True)


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receives into tensor from src (any rank when None) without blocking; returns a Work."""
    _check_single_tensor(tensor, "tensor")
    pg = _member(group)
    if pg is None:
        return _not_member("irecv")
    peer = None if src is None and group_src is None else _p2p_peer(pg, "recv", src, group_src, "src")
    _check_tensors(pg, "recv", [tensor])
    buf = _contiguous(tensor)
    return _launch(pg, "recv", lambda e: e.recv(buf, peer, tag), tensor.numel(), _write_back(tensor, buf), True,
                   [tensor])


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receives into tensor; returns the sender's global rank (-1 when this rank is not in group)."""
    work = irecv(tensor, src, group, tag, group_src)
    if work is None:
        return -1
    req = work._req
    work.wait()
    pg = _member(group)
    return pg._ranks[req.source()]
