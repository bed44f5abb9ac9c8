"""torch.distributed on MPI, DistributedDataParallel and DistributedSampler.

The MPI cases start `mpirun -n 2 python tests/test_distributed.py <worker> ...`: the workers at the bottom of
this file run on both ranks, compare every result with a float64 numpy reference of what the two ranks
contributed, and print `OK <check>` lines that the test counts. They skip cleanly without mpirun or mpi4py
(`pip install mpi4py mpich`). The sampler, the API without a process group and the post-accumulate-grad hook
need no MPI."""
import datetime
import importlib.util
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tinygrad_ext as torch
import tinygrad_ext.distributed as dist
from tinygrad_ext import nn
from tinygrad_ext.distributed.run import _mpiexec
from tinygrad_ext.nn.parallel import DistributedDataParallel as DDP
from tinygrad_ext.utils.data.distributed import DistributedSampler

HERE = os.path.abspath(__file__)
MPIRUN = _mpiexec()  # beside this Python (a venv's, pip's mpich) or on the PATH
HAVE_MPI = MPIRUN is not None and importlib.util.find_spec("mpi4py") is not None
needs_mpi = pytest.mark.skipif(not HAVE_MPI, reason="needs mpirun and mpi4py: pip install mpi4py mpich")
LAUNCH_TIMEOUT = 120


def _mpirun(worker, *args, n=2, timeout=LAUNCH_TIMEOUT, env=None, mpi_flags=()):
    cmd = [MPIRUN, *mpi_flags, "-n", str(n), sys.executable, HERE, worker, *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, OMP_NUM_THREADS="1", **(env or {})))


def _expect_ok(proc, checks, ranks=2):
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    for name in checks:
        assert out.count(f"OK {name};") == ranks, f"check {name!r} did not pass on both ranks:\n{out}"


# ------------------------------------------------------------ tests without MPI
def _sampler_reference(n, replicas, drop_last):
    """torch's padding rule, written out: num_samples per rank and the padded index list (shuffle=False)."""
    if drop_last and n % replicas:
        per = -(-(n - replicas) // replicas)
    else:
        per = -(-n // replicas)
    idx = list(range(n))
    total = per * replicas
    while len(idx) < total:
        idx += list(range(n))[:total - len(idx)]
    return per, idx[:total]


@pytest.mark.parametrize("n", [0, 1, 5, 10, 11, 13])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sampler_partitions_exactly(n, replicas, drop_last):
    per, padded = _sampler_reference(n, replicas, drop_last)
    shares = [list(DistributedSampler(range(n), replicas, r, shuffle=False, drop_last=drop_last))
              for r in range(replicas)]
    assert [len(s) for s in shares] == [per] * replicas
    assert all(len(DistributedSampler(range(n), replicas, r, drop_last=drop_last)) == per for r in range(replicas))
    for r, share in enumerate(shares):
        assert share == padded[r::replicas]
    merged = sorted(i for s in shares for i in s)
    if drop_last:
        assert len(set(merged)) == len(merged)  # disjoint, nothing repeated
    else:
        assert set(merged) == set(range(n))  # everything read; repeats only from the padding
    shuffled = [list(DistributedSampler(range(n), replicas, r, seed=3, drop_last=drop_last)) for r in range(replicas)]
    flat = [i for s in shuffled for i in s]
    assert len(flat) == per * replicas
    if drop_last:
        assert len(set(flat)) == len(flat)  # a random subset, nothing repeated
    else:
        assert set(flat) == set(range(n))


def test_sampler_shuffle_seed_and_epoch():
    ds = range(20)
    a = [list(DistributedSampler(ds, 2, r, seed=5)) for r in range(2)]
    b = [list(DistributedSampler(ds, 2, r, seed=5)) for r in range(2)]
    assert a == b and sorted(a[0] + a[1]) == list(range(20))
    assert a[0] != list(range(0, 20, 2))  # shuffled
    s = DistributedSampler(ds, 2, 0, seed=5)
    s.set_epoch(1)
    assert s.epoch == 1 and list(s) != a[0]
    assert list(DistributedSampler(ds, 2, 0, seed=6)) != a[0]


def test_sampler_matches_torch_when_importable():
    torch_ref = pytest.importorskip("torch")
    from torch.utils.data.distributed import DistributedSampler as TorchSampler
    for n, replicas, drop_last in [(10, 3, False), (10, 3, True), (2, 5, False), (7, 7, True), (0, 2, False)]:
        for r in range(replicas):
            ours = DistributedSampler(range(n), replicas, r, shuffle=False, drop_last=drop_last)
            theirs = TorchSampler(range(n), replicas, r, shuffle=False, drop_last=drop_last)
            assert list(ours) == list(theirs) and len(ours) == len(theirs)
    del torch_ref


def test_sampler_bad_arguments():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="Invalid rank -1"):
        DistributedSampler(range(4), num_replicas=2, rank=-1)
    if dist.is_available():
        with pytest.raises(ValueError, match="Default process group has not been initialized"):
            DistributedSampler(range(4))


def test_api_without_a_process_group():
    assert not dist.is_initialized()
    for fn in (dist.get_rank, dist.get_world_size, dist.get_backend, dist.barrier):
        with pytest.raises(ValueError, match="Default process group has not been initialized, please make sure to "
                                             "call init_process_group."):
            fn()
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.all_reduce(torch.ones(2))
    with pytest.raises(TypeError, match="Expected parameter `tensor` of type torch.Tensor"):
        dist.all_reduce([1, 2])
    with pytest.raises(ValueError, match="Invalid backend: 'gloo'.*backend='mpi'"):
        dist.init_process_group("gloo")
    with pytest.raises(ValueError, match="Invalid backend: 'foo'"):
        dist.init_process_group("foo")
    with pytest.raises(ValueError, match="init_method='tcp://1.2.3.4:5' is not supported"):
        dist.init_process_group("mpi", init_method="tcp://1.2.3.4:5")
    with pytest.raises(TypeError, match="Expected timeout argument to be of type datetime.timedelta"):
        dist.init_process_group("mpi", timeout=5)
    assert repr(dist.ReduceOp.SUM) == "<RedOpType.SUM: 0>" and dist.ReduceOp.AVG == dist.ReduceOp.RedOpType.AVG
    assert dist.Backend("MPI") == "mpi" and dist.Backend.NCCL == "nccl"
    assert issubclass(dist.DistBackendError, RuntimeError)
    assert not dist.is_initialized()
    with pytest.raises(RuntimeError, match="DistributedDataParallel is not needed"):
        DDP(nn.ReLU())


def test_nccl_without_gpu_names_the_package():
    if torch.cuda.is_available() and dist.is_nccl_available():
        pytest.skip("a GPU and libnccl are present: the NCCL path is exercised on the GPU")
    with pytest.raises(RuntimeError, match="nvidia-nccl-cu13"):
        dist.init_process_group("nccl", rank=0, world_size=1)
    assert not dist.is_initialized()


@pytest.mark.cuda
@pytest.mark.skipif(not (torch.cuda.is_available() and dist.is_nccl_available()),
                    reason="needs a GPU and libnccl (pip install nvidia-nccl-cu13)")
def test_nccl_one_rank_on_the_gpu():
    """A 1-rank NCCL group on one GPU (more ranks need more GPUs: unverified)."""
    proc = subprocess.run([sys.executable, HERE, "nccl"], capture_output=True, text=True, timeout=LAUNCH_TIMEOUT)
    _expect_ok(proc, ["nccl"], ranks=1)


def test_package_imports_without_mpi4py():
    """With mpi4py hidden, tinygrad_ext.distributed imports, is_available() is False (no GPU) and the 'mpi'
    backend says what to install."""
    code = ("import sys; sys.modules['mpi4py'] = None\n"
            "import tinygrad_ext as torch, tinygrad_ext.distributed as dist\n"
            "assert not dist.is_mpi_available()\n"
            "assert dist.is_available() == dist.is_nccl_available()\n"
            "try:\n    dist.init_process_group('mpi')\nexcept RuntimeError as e:\n    print(e)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "pip install mpi4py mpich" in proc.stdout


def test_import_does_not_start_mpi():
    code = "import sys, tinygrad_ext, tinygrad_ext.distributed, tinygrad_ext.nn.parallel; print('mpi4py.MPI' in " \
           "sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "False", proc.stderr


def test_post_accumulate_grad_hook():
    w = torch.ones(3, requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda t: seen.append((t is w, t.grad.tolist())))
    (w * 2).sum().backward()
    (w * 3).sum().backward(inputs=[w])
    assert seen == [(True, [2.0] * 3), (True, [5.0] * 3)]
    handle.remove()
    (w * 2).sum().backward()
    assert len(seen) == 2
    with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be registered on non-leaf tensors"):
        (w * 2).register_post_accumulate_grad_hook(print)
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        torch.ones(2).register_post_accumulate_grad_hook(print)


# ------------------------------------------------------------ tests under mpirun
COLLECTIVE_CHECKS = ["all_reduce", "all_reduce_async", "broadcast", "reduce", "all_gather", "all_gather_into_tensor",
                     "reduce_scatter", "reduce_scatter_tensor", "gather", "scatter", "all_to_all",
                     "all_to_all_single", "send_recv", "isend_irecv", "barrier", "new_group", "bad_inputs",
                     "debug_mismatch"]


@needs_mpi
def test_collectives_two_ranks():
    _expect_ok(_mpirun("collectives"), COLLECTIVE_CHECKS)


@needs_mpi
def test_ddp_two_ranks_matches_one_process(tmp_path):
    _expect_ok(_mpirun("ddp", tmp_path / "ckpt.pt"),
               ["ddp_sgd", "ddp_no_sync_adam", "ddp_small_buckets", "ddp_bucket_view", "ddp_unused", "checkpoint"])


@needs_mpi
def test_launcher_sets_torchrun_environment():
    proc = subprocess.run([sys.executable, "-m", "tinygrad_ext.distributed.run", "--nproc-per-node", "2", HERE,
                           "launcher"], capture_output=True, text=True, timeout=LAUNCH_TIMEOUT,
                          env=dict(os.environ, OMP_NUM_THREADS="1"))
    _expect_ok(proc, ["launcher"])


@needs_mpi
def test_ddp_example_learns(tmp_path):
    """examples/ddp_cifar10.py on 400 digits for 3 epochs (chance is 10 %; the full run reaches ~98 %)."""
    example = os.path.join(os.path.dirname(os.path.dirname(HERE)), "examples", "ddp_cifar10.py")
    proc = subprocess.run([MPIRUN, "-n", "2", sys.executable, example, "--subset", "400", "--epochs", "3",
                           "--batch-size", "8", "--lr", "0.004", "--out", str(tmp_path)], capture_output=True,
                          text=True, timeout=LAUNCH_TIMEOUT, env=dict(os.environ, OMP_NUM_THREADS="1"))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    accuracy = float(out.split("Accuracy of the network on the 100 test images: ")[1].split(" %")[0])
    assert accuracy >= 40, out
    assert "loaded on every rank: identical" in out, out


@needs_mpi
def test_killed_rank_gives_an_error_not_a_hang():
    """Rank 1 is SIGKILLed while rank 0 waits in an all_reduce: mpirun stops the job and reports it at once."""
    t0 = time.monotonic()
    proc = _mpirun("kill", timeout=60)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Killed (signal 9)" in out, out
    assert time.monotonic() - t0 < 30, out


@needs_mpi
def test_stuck_rank_times_out_with_a_clear_error():
    """Rank 1 never joins the all_reduce: rank 0 raises DistBackendError when the group's 3 s timeout passes
    (then leaves without MPI_Finalize, which would wait for rank 1, and mpirun stops rank 1)."""
    t0 = time.monotonic()
    proc = _mpirun("stuck", timeout=60)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "DistBackendError: [Rank 0] allreduce (SeqNum=2, NumelIn=4) on backend 'mpi' timed out after 3000 ms" \
        in out, out
    assert time.monotonic() - t0 < 30, out


# ------------------------------------------------------------ workers (run on every rank)
def _ok(name):
    print(f"OK {name};", flush=True)  # ';' ends the name when the two ranks' lines interleave


def _close(a, b, rtol=1e-6, atol=1e-6):
    a = a.numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    np.testing.assert_allclose(a.astype(np.float64), np.asarray(b, dtype=np.float64), rtol=rtol, atol=atol)


def _input(r, shape=(3, 4), dtype=torch.float32):
    """Rank r's contribution: distinct, exactly representable values."""
    n = int(np.prod(shape))
    return torch.tensor(((np.arange(n) % 7) + 1 + 2 * r).reshape(shape), dtype=dtype)


def _non_contiguous(t):
    """A transposed view holding t's values in t's shape (so the collective must stage it)."""
    return t.t().contiguous().t() if t.dim() == 2 else t


def _worker_collectives(args):
    dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=30))
    r, n = dist.get_rank(), dist.get_world_size()
    assert n == 2 and dist.get_backend() == "mpi" and dist.is_initialized()
    every = [_input(q).numpy().astype(np.float64) for q in range(n)]
    ref = {dist.ReduceOp.SUM: sum(every), dist.ReduceOp.AVG: sum(every) / n, dist.ReduceOp.PRODUCT: every[0] * every[1],
           dist.ReduceOp.MIN: np.minimum(*every), dist.ReduceOp.MAX: np.maximum(*every)}
    for op, want in ref.items():
        for layout in (lambda t: t, _non_contiguous):
            t = layout(_input(r))
            assert dist.all_reduce(t, op=op) is None
            _close(t, want)
    for dtype in (torch.int64, torch.int32, torch.float64, torch.uint8):
        t = _input(r, dtype=dtype)
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
        assert t.dtype is dtype
        _close(t, sum(every))
    b = torch.tensor([r == 0, False, True])
    dist.all_reduce(b)
    assert b.tolist() == [True, False, True]
    b = torch.tensor([True, r == 0, False])
    dist.all_reduce(b, op=dist.ReduceOp.PRODUCT)
    assert b.tolist() == [True, False, False]
    bits = torch.tensor([6 + r], dtype=torch.int64)
    dist.all_reduce(bits, op=dist.ReduceOp.BXOR)
    assert bits.tolist() == [6 ^ 7]
    for t in (torch.zeros(0, 3), torch.tensor(2.0 + r)):  # 0-size and 0-d
        dist.all_reduce(t)
    assert t.item() == 5.0
    c10d = sys.modules["tinygrad_ext.distributed.distributed_c10d"]
    copies, copy_into = [], c10d._copy_into
    c10d._copy_into = lambda dst, src: (copies.append(dst), copy_into(dst, src))
    base = torch.zeros(8)
    part = base[2:6]  # contiguous, at an offset: MPI works in its memory, no copy
    dist.all_reduce(part.add_(1))
    assert not copies and base.tolist() == [0, 0, 2, 2, 2, 2, 0, 0]
    dist.all_reduce(_non_contiguous(_input(r)))
    assert len(copies) == 1  # a non-contiguous tensor: one copy back from the contiguous buffer
    c10d._copy_into = copy_into
    p = nn.Parameter(_input(r))  # a leaf that requires grad: collectives write it outside autograd
    dist.all_reduce(p)
    _close(p.detach(), ref[dist.ReduceOp.SUM])
    _ok("all_reduce")

    t = _non_contiguous(_input(r))
    work = dist.all_reduce(t, op=dist.ReduceOp.AVG, async_op=True)
    assert isinstance(work, dist.Work) and work.wait() is True and work.is_completed() and work.is_success()
    assert work.exception() is None and work.result()[0] is t
    _close(t, ref[dist.ReduceOp.AVG])
    works = [dist.all_reduce(_input(r), async_op=True) for _ in range(4)]
    while not all(w.is_completed() for w in works):
        pass
    _ok("all_reduce_async")

    for src in range(n):
        t = _non_contiguous(_input(r))
        dist.broadcast(t, src=src)
        _close(t, every[src])
    z = torch.zeros(0)
    dist.broadcast(z, src=0)
    s = torch.tensor(float(r))
    dist.broadcast(s, src=1)
    assert s.item() == 1.0
    _ok("broadcast")

    for op, want in ref.items():
        t = _non_contiguous(_input(r))
        dist.reduce(t, dst=1, op=op)
        _close(t, want if r == 1 else every[r])
    _ok("reduce")

    for layout in (lambda t: t, _non_contiguous):
        out = [layout(torch.zeros(3, 4)) for _ in range(n)]
        dist.all_gather(out, layout(_input(r)))
        for q in range(n):
            _close(out[q], every[q])
    out = [torch.zeros(0, 2) for _ in range(n)]
    dist.all_gather(out, torch.zeros(0, 2))
    _ok("all_gather")

    out = torch.zeros(2 * 3, 4)
    dist.all_gather_into_tensor(out, _input(r))
    _close(out, np.concatenate(every))
    out = _non_contiguous(torch.zeros(2, 12).t().contiguous()).t()  # stacked and non-contiguous
    dist.all_gather_into_tensor(out, _input(r).reshape(12))
    _close(out, np.stack([e.reshape(12) for e in every]))
    _ok("all_gather_into_tensor")

    for op, reduce_ref in ((dist.ReduceOp.SUM, np.add), (dist.ReduceOp.MAX, np.maximum)):
        chunks = [[_input(q * 10 + k, (2, 3)) for k in range(n)] for q in range(n)]  # chunks[q][k]: rank q's k-th
        out = _non_contiguous(torch.zeros(3, 2)).t()
        dist.reduce_scatter(out, chunks[r], op=op)
        _close(out, reduce_ref(chunks[0][r].numpy(), chunks[1][r].numpy()))
    _ok("reduce_scatter")

    big = [_input(q, (4, 3)) for q in range(n)]
    out = torch.zeros(2, 3)
    dist.reduce_scatter_tensor(out, big[r], op=dist.ReduceOp.AVG)
    _close(out, (big[0].numpy()[2 * r:2 * r + 2] + big[1].numpy()[2 * r:2 * r + 2]) / 2)
    _ok("reduce_scatter_tensor")

    for dst in range(n):
        lst = [torch.zeros(3, 4) for _ in range(n)] if r == dst else None
        dist.gather(_non_contiguous(_input(r)), lst, dst=dst)
        if r == dst:
            for q in range(n):
                _close(lst[q], every[q])
    _ok("gather")

    for src in range(n):
        out = _non_contiguous(torch.zeros(3, 4))
        dist.scatter(out, [_input(10 + q) for q in range(n)] if r == src else None, src=src)
        _close(out, _input(10 + r).numpy())
    _ok("scatter")

    # rank q sends (q + 1) * (k + 1) elements to rank k: uneven sizes
    inputs = [torch.full(((r + 1) * (k + 1),), float(10 * r + k)) for k in range(n)]
    outputs = [torch.zeros((q + 1) * (r + 1)) for q in range(n)]
    dist.all_to_all(outputs, inputs)
    for q in range(n):
        _close(outputs[q], np.full((q + 1) * (r + 1), 10 * q + r))
    _ok("all_to_all")

    inp = torch.arange(8, dtype=torch.float32).reshape(4, 2) + 100 * r
    out = torch.zeros(4, 2)
    dist.all_to_all_single(out, inp)
    want = np.concatenate([(np.arange(8).reshape(4, 2) + 100 * q)[2 * r:2 * r + 2] for q in range(n)])
    _close(out, want)
    splits = [[1, 3], [2, 2]]  # splits[q][k]: rows rank q sends to rank k
    out = torch.zeros(splits[0][r] + splits[1][r], 2)
    dist.all_to_all_single(out, inp, output_split_sizes=[splits[0][r], splits[1][r]], input_split_sizes=splits[r])
    rows = [np.arange(8).reshape(4, 2) + 100 * q for q in range(n)]
    _close(out, np.concatenate([rows[q][sum(splits[q][:r]):sum(splits[q][:r + 1])] for q in range(n)]))
    _ok("all_to_all_single")

    other = 1 - r
    if r == 0:
        dist.send(_non_contiguous(_input(0)), dst=1)
        got = torch.zeros(3, 4)
        assert dist.recv(got) == 1  # from any source
        _close(got, every[1])
    else:
        got = _non_contiguous(torch.zeros(3, 4))
        assert dist.recv(got, src=0) == 0
        _close(got, every[0])
        dist.send(_input(1), dst=0)
    _ok("send_recv")

    recv_into = torch.zeros(3, 4)
    works = [dist.isend(_input(r), dst=other, tag=7), dist.irecv(recv_into, src=other, tag=7)]
    for w in works:
        w.wait()
    _close(recv_into, every[other])
    _ok("isend_irecv")

    dist.barrier()
    dist.barrier(async_op=True).wait()
    _ok("barrier")

    solo = dist.new_group([1])
    both = dist.new_group()
    if r == 1:
        assert dist.get_rank(solo) == 0 and dist.get_world_size(solo) == 1
        t = _input(r)
        dist.all_reduce(t, group=solo)
        _close(t, every[1])
    else:
        assert solo == dist.GroupMember.NON_GROUP_MEMBER and dist.get_rank(solo) == -1
    t = _input(r)
    dist.all_reduce(t, group=both)
    _close(t, ref[dist.ReduceOp.SUM])
    assert dist.get_process_group_ranks(both) == [0, 1] and dist.get_global_rank(both, 1) == 1
    _ok("new_group")

    _expect_raises(ValueError, "Can not specify both group_src and src", dist.broadcast, torch.ones(2), 0,
                   group_src=0)
    _expect_raises(ValueError, "invalid src rank 5", dist.broadcast, torch.ones(2), 5)
    _expect_raises(RuntimeError, "invalid output tensor list", dist.all_gather, [torch.ones(2)], torch.ones(2))
    _expect_raises(RuntimeError, r"invalid tensor size at index 0 \(expected \(3\), got \(2\)\)", dist.all_gather,
                   [torch.ones(2), torch.ones(2)], torch.ones(3))
    _expect_raises(RuntimeError, "invalid tensor type", dist.all_gather, [torch.ones(2), torch.ones(2)],
                   torch.ones(2, dtype=torch.float64))
    _expect_raises(ValueError, "output tensor size must be equal to world_size times input tensor size",
                   dist.all_gather_into_tensor, torch.ones(3), torch.ones(2))
    _expect_raises(TypeError, "Cannot use ReduceOp.AVG with boolean inputs", dist.all_reduce,
                   torch.ones(2, dtype=torch.bool), dist.ReduceOp.AVG)
    _expect_raises(ValueError, "destination rank should not be the same", dist.send, torch.ones(2), r)
    _expect_raises(ValueError, "must be specified on destination rank", dist.gather, torch.ones(2), None, r)
    _expect_raises(ValueError, "trying to initialize the default process group twice!", dist.init_process_group)
    _ok("bad_inputs")

    dist.set_debug_level(dist.DebugLevel.DETAIL)
    dist.all_reduce(torch.ones(2, 3))  # same on both ranks: passes the check
    _expect_raises(RuntimeError, r"Detected mismatch between collectives on ranks\. Rank \d is running collective: "
                   r"CollectiveFingerPrint\(SequenceNumber=\d+, OpType=allreduce, TensorShape=\[\d\]",
                   dist.all_reduce, torch.ones(2 + r))
    dist.set_debug_level(dist.DebugLevel.OFF)
    _ok("debug_mismatch")
    dist.destroy_process_group()
    assert not dist.is_initialized()


def _expect_raises(exc, pattern, fn, *args, **kwargs):
    with pytest.raises(exc, match=pattern):
        fn(*args, **kwargs)


class _Net(nn.Module):
    def __init__(self, unused=False):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(6, 32), nn.Linear(32, 32), nn.Linear(32, 3)
        self.extra = nn.Linear(3, 3) if unused else None

    def forward(self, x):
        return self.fc3(torch.tanh(self.fc2(torch.relu(self.fc1(x)))))


def _train_pair(make_opt, steps, micro, seed=0, set_to_none=True, **ddp_kwargs):
    """DDP on this rank's half of each global batch vs one process on the whole batch; returns max |diff|."""
    r, n = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(seed)
    ref = _Net()
    torch.manual_seed(seed + 1 + r)  # a different start on each rank: DDP must broadcast rank 0's
    local = _Net()
    local.load_state_dict(ref.state_dict()) if r == 0 else None
    ddp = DDP(local, **ddp_kwargs)
    opt_ref, opt = make_opt(ref.parameters()), make_opt(ddp.parameters())
    gen = np.random.default_rng(1234)
    for _ in range(steps):
        batches = [(gen.standard_normal((8 * n, 6)), gen.standard_normal((8 * n, 3))) for _ in range(micro)]
        opt_ref.zero_grad()
        opt.zero_grad(set_to_none=set_to_none)
        for k, (x, y) in enumerate(batches):
            x, y = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
            nn.functional.mse_loss(ref(x), y).backward()
            mine = slice(8 * r, 8 * (r + 1))
            if k < micro - 1:
                with ddp.no_sync():
                    nn.functional.mse_loss(ddp(x[mine]), y[mine]).backward()
            else:
                nn.functional.mse_loss(ddp(x[mine]), y[mine]).backward()
        opt_ref.step()
        opt.step()
    diff = max(float((a - b).abs().max()) for a, b in zip(ref.parameters(), local.parameters()))
    for p in local.parameters():  # every rank holds bitwise the same parameters
        mine = p.detach().clone()
        theirs = mine.clone()
        dist.broadcast(theirs, src=0)
        assert bool((mine == theirs).all()), "ranks diverged"
    return diff, ddp


def _worker_ddp(args):
    """Tolerance: 20 steps of float32 training where the two sides differ only in summation order (a per-rank
    mean then an average, vs one mean): max |param diff| <= 2e-5."""
    dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=60))
    r = dist.get_rank()
    diff, ddp = _train_pair(lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9), steps=20, micro=1)
    assert diff <= 2e-5, diff
    assert list(ddp.state_dict()) == ["module." + k for k in ddp.module.state_dict()]
    _ok("ddp_sgd")
    diff, _ = _train_pair(lambda ps: torch.optim.Adam(ps, lr=1e-2), steps=20, micro=3)
    assert diff <= 2e-5, diff
    _ok("ddp_no_sync_adam")
    diff, ddp = _train_pair(lambda ps: torch.optim.SGD(ps, lr=0.05), steps=5, micro=1, bucket_cap_mb=0.0001)
    assert len(ddp._buckets) > 3 and diff <= 2e-5, (len(ddp._buckets), diff)
    in_flight = []  # which buckets' all-reduces are running when fc2.weight's gradient is ready
    ddp.module.fc2.weight.register_post_accumulate_grad_hook(
        lambda _: in_flight.append([b.work is not None for b in ddp._buckets]))
    ddp(torch.ones(4, 6)).sum().backward()
    assert in_flight == [[True, True, True, False, False]], in_flight  # started during backward, in order
    _ok("ddp_small_buckets")
    for set_to_none in (True, False):
        diff, ddp = _train_pair(lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9), steps=5, micro=2,
                                set_to_none=set_to_none, gradient_as_bucket_view=True)
        flat = ddp._buckets[-1].flat
        start, end = flat.data_ptr(), flat.data_ptr() + 4 * flat.numel()
        assert diff <= 2e-5 and start <= ddp.module.fc1.weight.grad.data_ptr() < end, diff
    _expect_raises(NotImplementedError, "mixed_precision is not supported", DDP, _Net(), mixed_precision=object())
    _ok("ddp_bucket_view")

    torch.manual_seed(0)
    model = DDP(_Net(unused=True))
    x = torch.ones(4, 6)
    model(x).sum().backward()
    _expect_raises(RuntimeError, "Expected to have finished reduction in the prior iteration", model, x)
    torch.manual_seed(0)
    model = DDP(_Net(unused=True), find_unused_parameters=True)
    for _ in range(2):
        model(x * (r + 1)).sum().backward()
    assert model.module.extra.weight.grad is None and model.module.fc1.weight.grad is not None
    grads = model.module.fc1.weight.grad.clone()
    dist.broadcast(grads, src=0)
    assert bool((grads == model.module.fc1.weight.grad).all())
    torch.manual_seed(r)
    model = DDP(_Net(), process_group=dist.new_group([0, 1]))  # a group other than the default one
    model(x * (r + 1)).sum().backward()
    grads = model.module.fc1.weight.grad.clone()
    dist.broadcast(grads, src=1)
    assert bool((grads == model.module.fc1.weight.grad).all())
    _ok("ddp_unused")

    path = args[0]
    if r == 0:
        torch.save(ddp.module.state_dict(), path)
    dist.barrier()
    fresh = _Net()
    fresh.load_state_dict(torch.load(path))
    assert all(bool((a == b).all()) for a, b in zip(fresh.parameters(), ddp.module.parameters()))
    _ok("checkpoint")
    dist.destroy_process_group()


def _worker_launcher(args):
    env = os.environ
    assert env["WORLD_SIZE"] == "2" and env["RANK"] in ("0", "1") and env["LOCAL_RANK"] == env["RANK"]
    assert env["MASTER_ADDR"] and env["MASTER_PORT"]
    dist.init_process_group("mpi", init_method="env://")
    assert dist.get_rank() == int(env["RANK"]) and dist.get_world_size() == 2
    t = torch.ones(2)
    dist.all_reduce(t)
    assert t.tolist() == [2.0, 2.0]
    _ok("launcher")


def _worker_kill(args):
    dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=3))
    dist.barrier()
    if dist.get_rank() == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    dist.all_reduce(torch.ones(4))


def _worker_stuck(args):
    dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=3))
    dist.barrier()
    if dist.get_rank() == 1:
        time.sleep(40)
    dist.all_reduce(torch.ones(4))


def _worker_nccl(args):
    dist.init_process_group("nccl", rank=0, world_size=1)
    assert dist.get_backend() == "nccl" and dist.get_world_size() == 1
    t = _non_contiguous(_input(0)).cuda()
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    dist.broadcast(t, src=0)
    _close(t.cpu(), _input(0).numpy())
    out = torch.zeros(3, 4, device="cuda")
    dist.all_gather_into_tensor(out, _input(0).cuda())
    _close(out.cpu(), _input(0).numpy())
    dist.barrier()
    _expect_raises(RuntimeError, "tensors must be on the CUDA", dist.all_reduce, torch.ones(2))
    torch.manual_seed(0)
    model = DDP(_Net().cuda())
    model(torch.ones(4, 6, device="cuda")).sum().backward()
    assert model.module.fc1.weight.grad.device.type == "cuda"
    dist.destroy_process_group()
    _ok("nccl")


if __name__ == "__main__":
    {"collectives": _worker_collectives, "ddp": _worker_ddp, "launcher": _worker_launcher,
     "kill": _worker_kill, "stuck": _worker_stuck, "nccl": _worker_nccl}[sys.argv[1]](sys.argv[2:])
