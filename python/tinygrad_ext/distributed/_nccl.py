"""The NCCL engine: libnccl loaded through ctypes when a 'nccl' group is created (never at import), each
collective enqueued on the legacy default stream, where tinygrad_ext runs its CUDA kernels, so it is ordered
after the kernels that wrote its inputs and before those that read its outputs.

The library comes from the `nvidia-nccl-cu13` wheel (nvidia/nccl/lib/libnccl.so.2) or the system's libnccl.
The ranks exchange NCCL's unique id through MPI when mpirun started them, else through a socket at
MASTER_ADDR:MASTER_PORT (torchrun's variables): only those 128 bytes travel outside NCCL."""
import ctypes
import ctypes.util
import importlib.util
import os
import socket
import time

from .. import _dtype, cuda
from ..tensor import empty

_INSTALL = "pip install nvidia-nccl-cu13"
_ID_BYTES = 128
# ncclDataType_t and ncclRedOp_t (nccl.h); bool travels as uint8 with SUM/PRODUCT as MAX/MIN, as torch does
_TYPES = {_dtype.bool.id: 1, _dtype.uint8.id: 1, _dtype.int8.id: 0, _dtype.int32.id: 2, _dtype.int64.id: 4,
          _dtype.float16.id: 6, _dtype.float32.id: 7, _dtype.float64.id: 8, _dtype.bfloat16.id: 9}
_OPS = {0: 0, 2: 1, 4: 2, 3: 3}
_BOOL_OPS = {0: 2, 2: 3, 4: 2, 3: 3}


class NCCLError(RuntimeError):
    pass


errors = (NCCLError,)


class _UniqueId(ctypes.Structure):
    _fields_ = [("internal", ctypes.c_char * _ID_BYTES)]


def find_library():
    """The path of libnccl: the nvidia-nccl wheel's, else the system's; None when there is none."""
    spec = importlib.util.find_spec("nvidia")
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(root, "nccl", "lib", "libnccl.so.2")
        if os.path.exists(path):
            return path
    return ctypes.util.find_library("nccl")


_lib = []


def _library():
    if not _lib:
        if not cuda.is_available():
            raise RuntimeError("the 'nccl' backend needs a CUDA GPU and libnccl (" + _INSTALL + "), but "
                               f"torch.cuda.is_available() is False ({cuda.unavailable_reason()}); use "
                               "backend='mpi' for CPU tensors")
        path = find_library()
        if path is None:
            raise RuntimeError(f"the 'nccl' backend needs libnccl, which was not found: {_INSTALL}")
        lib = ctypes.CDLL(path)
        lib.ncclGetErrorString.restype = ctypes.c_char_p
        _lib.append(lib)
    return _lib[0]


def _check(status, what):
    if status != 0:
        msg = _lib[0].ncclGetErrorString(status).decode()
        raise NCCLError(f"NCCL error in {what}: {msg} (ncclResult {status})")


def _exchange_id(rank, world_size):
    """Rank 0's ncclUniqueId, on every rank."""
    uid = _UniqueId()
    if rank == 0:
        _check(_lib[0].ncclGetUniqueId(ctypes.byref(uid)), "ncclGetUniqueId")
    if world_size == 1:
        return uid
    if ("PMI_RANK" in os.environ or "OMPI_COMM_WORLD_RANK" in os.environ) and importlib.util.find_spec("mpi4py"):
        mpi = importlib.import_module("tinygrad_ext.distributed._mpi")
        mpi.init()
        uid.internal = mpi.MPI.COMM_WORLD.bcast(bytes(uid.internal) if rank == 0 else None, root=0)
        return uid
    addr = os.environ.get("MASTER_ADDR")
    port = os.environ.get("MASTER_PORT")
    if addr is None or port is None:
        raise ValueError("Error initializing torch.distributed using env:// rendezvous: environment variable "
                         f"{'MASTER_ADDR' if addr is None else 'MASTER_PORT'} expected, but not set")
    if rank == 0:
        with socket.create_server((addr, int(port))) as server:
            for _ in range(world_size - 1):
                conn, _ = server.accept()
                with conn:
                    conn.sendall(bytes(uid.internal))
        return uid
    deadline = time.monotonic() + 300
    while True:
        try:
            with socket.create_connection((addr, int(port)), timeout=60) as conn:
                data = b""
                while len(data) < _ID_BYTES:
                    chunk = conn.recv(_ID_BYTES - len(data))
                    if not chunk:
                        raise ConnectionError("rank 0 closed the connection")
                    data += chunk
            uid.internal = data
            return uid
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


class Request:
    """NCCL's work is stream-ordered: completing means the stream has run it."""
    __slots__ = ("engine",)

    def __init__(self, engine):
        self.engine = engine

    def test(self):
        cuda.synchronize()
        self.engine.check_async()
        return True

    def source(self):
        raise NCCLError("recv: NCCL cannot receive from any source: give src")


def _ptr(t):
    return ctypes.c_void_p(t.data_ptr() if t is not None else 0)


class Engine:
    errors = errors

    def __init__(self, comm, rank, size):
        self.comm, self.rank, self.size = comm, rank, size

    @classmethod
    def create(cls, rank, world_size, device_id=None):
        lib = _library()
        if rank < 0 or world_size < 1 or rank >= world_size:
            raise ValueError(f"init_process_group(backend='nccl'): needs rank and world_size (or the RANK and "
                             f"WORLD_SIZE environment variables), got rank={rank}, world_size={world_size}")
        uid = _exchange_id(rank, world_size)
        comm = ctypes.c_void_p()
        _check(lib.ncclCommInitRank(ctypes.byref(comm), world_size, uid, rank), "ncclCommInitRank")
        return cls(comm, rank, world_size)

    def check_async(self):
        result = ctypes.c_int()
        _check(_lib[0].ncclCommGetAsyncError(self.comm, ctypes.byref(result)), "ncclCommGetAsyncError")
        _check(result.value, "a collective")

    def split(self, ranks):
        new = ctypes.c_void_p()
        color = 0 if self.rank in ranks else -1  # NCCL_SPLIT_NOCOLOR
        key = ranks.index(self.rank) if self.rank in ranks else 0
        _check(_lib[0].ncclCommSplit(self.comm, color, key, ctypes.byref(new), None), "ncclCommSplit")
        return Engine(new, key, len(ranks)) if color == 0 else None

    def free(self):
        _check(_lib[0].ncclCommDestroy(self.comm), "ncclCommDestroy")

    def mark_broken(self):
        _lib[0].ncclCommAbort(self.comm)

    def _call(self, name, *args):
        _check(getattr(_lib[0], name)(*args, self.comm, None), name)
        return Request(self)

    @staticmethod
    def _type_op(t, op=0):
        ops = _BOOL_OPS if t.dtype is _dtype.bool else _OPS
        if op not in ops:
            raise NCCLError(f"ReduceOp {op} is not supported by NCCL (SUM, PRODUCT, MIN, MAX, AVG are)")
        if t.dtype.id not in _TYPES:
            raise NCCLError(f"Unsupported data type for NCCL process group: {t.dtype} (NCCL has no int16)")
        return ctypes.c_int(_TYPES[t.dtype.id]), ctypes.c_int(ops[op])

    def allreduce(self, t, op):
        dt, nop = self._type_op(t, op)
        return self._call("ncclAllReduce", _ptr(t), _ptr(t), ctypes.c_size_t(t.numel()), dt, nop)

    def broadcast(self, t, root):
        return self._call("ncclBroadcast", _ptr(t), _ptr(t), ctypes.c_size_t(t.numel()), self._type_op(t)[0], root)

    def reduce(self, t, op, root):
        dt, nop = self._type_op(t, op)
        return self._call("ncclReduce", _ptr(t), _ptr(t), ctypes.c_size_t(t.numel()), dt, nop, root)

    def allgather(self, t, out):
        return self._call("ncclAllGather", _ptr(t), _ptr(out), ctypes.c_size_t(t.numel()), self._type_op(t)[0])

    def reduce_scatter(self, t, out, op):
        dt, nop = self._type_op(t, op)
        return self._call("ncclReduceScatter", _ptr(t), _ptr(out), ctypes.c_size_t(out.numel()), dt, nop)

    def _group(self, sends, recvs):
        """Point-to-point sends [(tensor, offset, count, peer)] and receives, fused in one NCCL group."""
        lib = _lib[0]
        _check(lib.ncclGroupStart(), "ncclGroupStart")
        try:
            for name, items in (("ncclSend", sends), ("ncclRecv", recvs)):
                for t, off, count, peer in items:
                    ptr = ctypes.c_void_p(t.data_ptr() + off * t.element_size())
                    _check(getattr(lib, name)(ptr, ctypes.c_size_t(count), self._type_op(t)[0], peer, self.comm,
                                              None), name)
        finally:
            _check(lib.ncclGroupEnd(), "ncclGroupEnd")
        return Request(self)

    def gather(self, t, out, root):
        n = t.numel()
        recvs = [(out, i * n, n, i) for i in range(self.size)] if self.rank == root else []
        return self._group([(t, 0, n, root)], recvs)

    def scatter(self, t, out, root):
        n = out.numel()
        sends = [(t, i * n, n, i) for i in range(self.size)] if self.rank == root else []
        return self._group(sends, [(out, 0, n, root)])

    def alltoall(self, t, send_counts, out, recv_counts):
        sends = [(t, sum(send_counts[:i]), c, i) for i, c in enumerate(send_counts)]
        recvs = [(out, sum(recv_counts[:i]), c, i) for i, c in enumerate(recv_counts)]
        return self._group(sends, recvs)

    def send(self, t, dst, tag):
        return self._group([(t, 0, t.numel(), dst)], [])

    def recv(self, t, src, tag):
        if src is None:
            raise NCCLError("recv: NCCL cannot receive from any source: give src")
        return self._group([], [(t, 0, t.numel(), src)])

    def barrier(self):
        return self.allreduce(empty((1,), device="cuda"), 0)
