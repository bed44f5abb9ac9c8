"""The MPI engine (mpi4py): every collective is MPI's own non-blocking call on the tensor's memory.

Loaded by init_process_group(backend='mpi') only: importing mpi4py.MPI loads libmpi (~50 ms), and MPI is
initialized here (MPI_THREAD_SERIALIZED), not when tinygrad_ext is imported, so plain `import tinygrad_ext`
never starts MPI (a forked DataLoader worker must not inherit an initialized MPI). Buffers are the tensors'
own memory through the numpy bridge (`.numpy()` shares it); the caller passes contiguous CPU tensors."""
import atexit
import os
import signal

import mpi4py

mpi4py.rc.initialize = False  # initialized by init(), when a process group asks for it
mpi4py.rc.finalize = False  # finalized by _finalize (skipped after a timeout: a dead peer would hang it)
from mpi4py import MPI  # noqa: E402

from .. import _dtype  # noqa: E402



class PeerFailure(RuntimeError):
    """MPICH's launcher (hydra, run with -disable-auto-cleanup) signalled that another rank died."""


errors = (MPI.Exception, PeerFailure)
_broken = [False]
_peer_failed = [False]


def _on_peer_failure(signum, frame):
    _peer_failed[0] = True


def _finalize():
    if MPI.Is_initialized() and not MPI.Is_finalized() and not _broken[0] and not _peer_failed[0]:
        MPI.Finalize()


def init():
    """Initializes MPI once per process; returns COMM_WORLD's (rank, size)."""
    if not MPI.Is_initialized():
        MPI.Init_thread(MPI.THREAD_SERIALIZED)
        atexit.register(_finalize)
        # NOTE: hydra tells the survivors of a dead rank with SIGUSR1, whose default action kills them silently;
        # caught, the next wait raises instead (only when nobody else handles SIGUSR1, from the main thread).
        if "PMI_RANK" in os.environ and signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL:
            try:
                signal.signal(signal.SIGUSR1, _on_peer_failure)
            except ValueError:
                pass
    return MPI.COMM_WORLD.Get_rank(), MPI.COMM_WORLD.Get_size()


# ReduceOp value -> MPI op; bool tensors use the logical ops (SUM = any, PRODUCT/MIN = all), as NCCL's mapping
_OPS = {0: MPI.SUM, 2: MPI.PROD, 3: MPI.MIN, 4: MPI.MAX, 5: MPI.BAND, 6: MPI.BOR, 7: MPI.BXOR}
_BOOL_OPS = {0: MPI.LOR, 2: MPI.LAND, 3: MPI.LAND, 4: MPI.LOR, 5: MPI.LAND, 6: MPI.LOR, 7: MPI.LXOR}


def _op(op, t):
    return (_BOOL_OPS if t.dtype is _dtype.bool else _OPS)[op]


def _buf(t):
    return t.numpy()  # the tensor's own memory (t is a detached contiguous CPU tensor)


class Request:
    """One outstanding MPI request and the arrays it reads or writes (kept alive until it completes)."""
    __slots__ = ("req", "status", "keep")

    def __init__(self, req, keep):
        self.req, self.status, self.keep = req, MPI.Status(), keep

    def test(self):
        if self.req.Test(self.status):
            return True
        if _peer_failed[0]:
            raise PeerFailure("another rank died (the MPI launcher reported it)")
        return False

    def cancel(self):
        if self.req:
            self.req.Cancel()

    def source(self):
        return self.status.Get_source()


class Engine:
    """A communicator: COMM_WORLD for the default group, a split of it for new_group."""
    errors = errors

    def __init__(self, comm):
        self.comm = comm
        self.rank, self.size = comm.Get_rank(), comm.Get_size()

    def split(self, ranks):
        """Collective over this communicator: an Engine for `ranks` (in that order), None on the others."""
        me = self.comm.Get_rank()
        color = 0 if me in ranks else MPI.UNDEFINED
        comm = self.comm.Split(color, ranks.index(me) if me in ranks else 0)
        return None if comm == MPI.COMM_NULL else Engine(comm)

    def mark_broken(self):
        """After a failed or timed-out collective MPI_Finalize would wait for the dead peer: skip it at exit."""
        _broken[0] = True

    def free(self):
        if self.comm != MPI.COMM_WORLD and self.comm != MPI.COMM_NULL:
            self.comm.Free()

    def allreduce(self, t, op):
        a = _buf(t)
        return Request(self.comm.Iallreduce(MPI.IN_PLACE, a, _op(op, t)), a)

    def broadcast(self, t, root):
        a = _buf(t)
        return Request(self.comm.Ibcast(a, root), a)

    def reduce(self, t, op, root):
        a = _buf(t)
        if self.rank == root:
            return Request(self.comm.Ireduce(MPI.IN_PLACE, a, _op(op, t), root), a)
        return Request(self.comm.Ireduce(a, None, _op(op, t), root), a)

    def allgather(self, t, out):
        a, b = _buf(t), _buf(out)
        return Request(self.comm.Iallgather(a, b), (a, b))

    def reduce_scatter(self, t, out, op):
        a, b = _buf(t), _buf(out)
        return Request(self.comm.Ireduce_scatter_block(a, b, _op(op, t)), (a, b))

    def gather(self, t, out, root):
        a = _buf(t)
        b = _buf(out) if out is not None else None
        return Request(self.comm.Igather(a, b, root), (a, b))

    def scatter(self, t, out, root):
        a = _buf(t) if t is not None else None
        b = _buf(out)
        return Request(self.comm.Iscatter(a, b, root), (a, b))

    def alltoall(self, t, send_counts, out, recv_counts):
        a, b = _buf(t), _buf(out)
        sd = [sum(send_counts[:i]) for i in range(len(send_counts))]
        rd = [sum(recv_counts[:i]) for i in range(len(recv_counts))]
        return Request(self.comm.Ialltoallv([a, (send_counts, sd)], [b, (recv_counts, rd)]), (a, b))

    def send(self, t, dst, tag):
        a = _buf(t)
        return Request(self.comm.Isend(a, dst, tag), a)

    def recv(self, t, src, tag):
        a = _buf(t)
        return Request(self.comm.Irecv(a, MPI.ANY_SOURCE if src is None else src, tag), a)

    def barrier(self):
        return Request(self.comm.Ibarrier(), None)
