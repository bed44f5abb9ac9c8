"""tinygrad_ext.utils.data: datasets, samplers, collation, the DataLoader in the main process and with worker
processes, reproducible shuffling, and torch's errors for bad arguments (RELIABILITY row 57)."""
import collections
import fcntl
import multiprocessing
import os
import random
import signal
import termios
import threading
import time

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    get_worker_info,
    random_split,
)


# ---------------------------------------------------------------- datasets used below (module level: picklable)
class Squares(Dataset):
    """Sample i: (uint8 HxWxC image filled with i, i as int, i/2 as float)."""

    def __init__(self, n=10):
        self.n = n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return np.full((4, 4, 3), i, dtype=np.uint8), i, i / 2

    def __len__(self):
        return self.n


class Failing(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            raise ValueError(f"bad sample {i}")
        return torch.tensor([float(i)])


class Dying(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5 and get_worker_info() is not None:
            os._exit(3)
        return i


class KillsItself(Dataset):
    """Sample 5 SIGKILLs the worker that loads it (what the OOM killer does)."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5 and get_worker_info() is not None:
            os.kill(os.getpid(), signal.SIGKILL)
        return i


class Large(Dataset):
    """Samples of 1 MB: a batch of 16 is a 16 MB message from a worker."""

    def __init__(self, n=32):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full(1 << 18, i, dtype=np.float32)


class Slow(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if get_worker_info() is not None:
            time.sleep(1.0)
        return i


class WhoAmI(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        info = get_worker_info()
        return torch.tensor([i, -1 if info is None else info.id, torch.randint(0, 1 << 30, (1,)).item(),
                             random.randrange(1 << 30)])


class Stream(IterableDataset):
    """0..n-1, split between workers with get_worker_info()."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))

    def __len__(self):
        return self.n


def order(loader):
    return [int(v) for batch in loader for v in batch[1]]


# ------------------------------------------------------------------------------------------------ datasets
def test_tensor_dataset_subset_concat():
    x, y = torch.arange(20).float().view(10, 2), torch.arange(10)
    ds = TensorDataset(x, y)
    assert len(ds) == 10
    a, b = ds[3]
    assert a.tolist() == [6.0, 7.0] and b.item() == 3
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(x, torch.arange(9))
    sub = Subset(ds, [7, 2])
    assert len(sub) == 2 and sub[0][1].item() == 7 and sub[1][1].item() == 2
    cat = ConcatDataset([ds, sub])
    assert len(cat) == 12 and cat[10][1].item() == 7 and cat[-1][1].item() == 2 and cat[9][1].item() == 9
    assert len(ds + sub) == 12
    with pytest.raises(IndexError):
        cat[12]
    with pytest.raises(AssertionError, match="empty"):
        ConcatDataset([])


def test_random_split_lengths_fractions_generator():
    ds = Squares(11)
    parts = random_split(ds, [0.5, 0.5], generator=torch.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [6, 5]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(11))
    again = random_split(ds, [6, 5], generator=torch.Generator().manual_seed(1))
    assert again[0].indices == parts[0].indices
    assert [len(p) for p in random_split(Squares(10), [0.3, 0.3, 0.4])] == [3, 3, 4]
    torch.manual_seed(5)
    a = random_split(ds, [3, 8])[0].indices
    torch.manual_seed(5)
    assert random_split(ds, [3, 8])[0].indices == a
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset"):
        random_split(ds, [3, 3])


def test_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    perm = list(RandomSampler(range(10), generator=torch.Generator().manual_seed(0)))
    assert sorted(perm) == list(range(10)) and perm != list(range(10))
    draws = list(RandomSampler(range(3), replacement=True, num_samples=50, generator=torch.Generator()))
    assert len(draws) == 50 and set(draws) <= {0, 1, 2}
    assert len(list(RandomSampler(range(4), num_samples=10))) == 10
    bs = BatchSampler(SequentialSampler(range(10)), 4, False)
    assert list(bs) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] and len(bs) == 3
    bs = BatchSampler(SequentialSampler(range(10)), 4, True)
    assert list(bs) == [[0, 1, 2, 3], [4, 5, 6, 7]] and len(bs) == 2
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        RandomSampler(range(3), replacement=1)


# ----------------------------------------------------------------------------------------------- collation
def test_default_collate_types():
    images, ints, floats = DataLoader(Squares(5), batch_size=4).__iter__().next()
    assert isinstance(images, torch.Tensor) and images.shape == (4, 4, 4, 3) and images.dtype == torch.uint8
    assert ints.dtype == torch.int64 and ints.tolist() == [0, 1, 2, 3]
    assert floats.dtype == torch.float64 and floats.tolist() == [0.0, 0.5, 1.0, 1.5]
    assert images[2].numpy().tolist() == np.full((4, 4, 3), 2, np.uint8).tolist()

    Point = collections.namedtuple("Point", "x y")
    out = default_collate([{"a": torch.ones(2), "b": ("s", True)}, {"a": torch.zeros(2), "b": ("t", False)}])
    assert out["a"].shape == (2, 2) and out["b"][0] == ("s", "t") and out["b"][1].dtype == torch.bool
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(p, Point) and p.x.tolist() == [1, 3] and p.y.dtype == torch.float64
    assert isinstance(default_collate([(1, 2), (3, 4)]), list)  # tuples of fields come back as a list, as in torch
    assert default_collate([np.float32(1), np.float32(2)]).dtype == torch.float32
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        default_collate([object(), object()])


def test_loader_len_drop_last_and_no_batching():
    ds = TensorDataset(torch.randn(10, 3), torch.arange(10))
    assert len(DataLoader(ds, batch_size=4)) == 3
    loader = DataLoader(ds, batch_size=4, drop_last=True)
    assert len(loader) == 2 and [b[0].shape[0] for b in loader] == [4, 4]
    x, y = next(iter(DataLoader(ds, batch_size=None)))  # no auto-batching: samples as they are
    assert x.shape == (3,) and y.dim() == 0
    it = iter(DataLoader(ds, batch_size=3))
    assert len(it) == 4
    assert next(it)[0].shape == (3, 3) and it.next()[1].tolist() == [3, 4, 5]


# --------------------------------------------------------------------------------------------- shuffling
def test_shuffle_reproducible_with_manual_seed():
    ds = Squares(20)
    torch.manual_seed(7)
    a = order(DataLoader(ds, batch_size=3, shuffle=True))
    torch.manual_seed(7)
    loader = DataLoader(ds, batch_size=3, shuffle=True)
    b, c = order(loader), order(loader)
    assert a == b and sorted(a) == list(range(20)) and a != list(range(20))
    assert c != b  # every epoch a new permutation
    torch.manual_seed(8)
    assert order(DataLoader(ds, batch_size=3, shuffle=True)) != a


def test_shuffle_with_generator_and_its_state():
    ds = Squares(20)
    g = torch.Generator()
    g.manual_seed(0)
    loader = DataLoader(ds, batch_size=4, shuffle=True, generator=g)
    first = order(loader)
    state = g.get_state()
    second = order(loader)
    g.set_state(state)
    assert order(loader) == second  # resuming a shuffled loader from a saved state
    g.manual_seed(0)
    assert order(loader) == first and g.initial_seed() == 0
    # a Generator neither uses nor disturbs the global stream
    torch.manual_seed(3)
    r1 = torch.randn(4).tolist()
    torch.manual_seed(3)
    order(loader)
    assert torch.randn(4).tolist() == r1
    p = torch.randperm(10, generator=torch.Generator().manual_seed(4))
    assert p.dtype == torch.int64
    assert p.tolist() == torch.randperm(10, generator=torch.Generator().manual_seed(4)).tolist()
    with pytest.raises(TypeError, match="generator"):
        DataLoader(ds, shuffle=True, generator=42)


# ------------------------------------------------------------------------------------------------- workers
def test_workers_same_batches_as_main_process():
    ds = Squares(23)
    g = torch.Generator()
    runs = []
    for workers in (0, 2):
        g.manual_seed(11)
        loader = DataLoader(ds, batch_size=4, shuffle=True, num_workers=workers, generator=g)
        runs.append([(imgs.numpy().copy(), ints.tolist(), floats.tolist()) for imgs, ints, floats in loader])
    (main, work) = runs
    assert len(main) == len(work) == 6
    for (a_img, a_i, a_f), (b_img, b_i, b_f) in zip(main, work):
        assert a_i == b_i and a_f == b_f and np.array_equal(a_img, b_img)
    imgs, ints, floats = DataLoader(ds, batch_size=5, num_workers=2).__iter__().next()
    assert isinstance(imgs, torch.Tensor) and imgs.dtype == torch.uint8 and imgs.shape == (5, 4, 4, 3)
    assert ints.dtype == torch.int64 and floats.dtype == torch.float64


def test_worker_seeds_info_and_init_fn(tmp_path):
    def run():
        torch.manual_seed(123)
        return torch.cat(list(DataLoader(WhoAmI(), batch_size=1, num_workers=2))).tolist()

    rows = run()
    assert [r[0] for r in rows] == list(range(6))
    assert [r[1] for r in rows] == [0, 1, 0, 1, 0, 1]  # round-robin over the workers, returned in order
    assert rows == run()  # random draws inside workers are reproducible under manual_seed
    assert rows[0][2] != rows[1][2]  # but differ between workers
    marker = tmp_path / "init"
    loader = DataLoader(WhoAmI(), batch_size=2, num_workers=2,
                        worker_init_fn=lambda wid: open(f"{marker}{wid}", "w").close())
    assert len(list(loader)) == 3
    assert os.path.exists(f"{marker}0") and os.path.exists(f"{marker}1")


def test_iterable_dataset_with_and_without_workers():
    assert order_plain(DataLoader(Stream(10), batch_size=4)) == list(range(10))
    got = order_plain(DataLoader(Stream(10), batch_size=2, num_workers=2))
    assert sorted(got) == list(range(10))
    assert len(DataLoader(Stream(10), batch_size=4)) == 3
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Stream(3), shuffle=True)


def order_plain(loader):
    return [int(v) for batch in loader for v in batch]


def test_worker_error_reraised_with_traceback():
    loader = DataLoader(Failing(), batch_size=2, num_workers=2)
    with pytest.raises(ValueError) as info:
        list(loader)
    msg = str(info.value)
    assert "Caught ValueError in DataLoader worker process" in msg
    assert "bad sample 5" in msg and "__getitem__" in msg and "Traceback" in msg
    with pytest.raises(ValueError, match="bad sample 5"):
        list(DataLoader(Failing(), batch_size=2))


def test_worker_death_is_reported():
    with pytest.raises(RuntimeError, match=r"^DataLoader worker \(pid\(s\) \d+\) exited unexpectedly$") as info:
        list(DataLoader(Dying(), batch_size=1, num_workers=2))
    assert "exited unexpectedly with exit code 3. Details are lost due to multiprocessing" in str(info.value.__cause__)


def killed_error(pid):
    """pytest.raises for torch's error about a worker killed by SIGKILL (the cause carries the signal's name)."""
    return pytest.raises(RuntimeError, match=rf"^DataLoader worker \(pid\(s\) {pid}\) exited unexpectedly$")


# A dead worker is reported within this many seconds (typically 0.1 s; ASan slows the processes down).
RAISE_WITHIN_S = 20 if os.environ.get("TG_SANITIZED") else 3


def check_killed(info, pid):
    assert str(info.value.__cause__) == f"DataLoader worker (pid {pid}) is killed by signal: Killed. "


def pipe_bytes(fd):
    """How many bytes a pipe holds, unread."""
    return int.from_bytes(fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"), "little")


def test_worker_killed_while_loading_a_small_batch():
    loader = DataLoader(KillsItself(), batch_size=1, num_workers=2)
    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match=r"^DataLoader worker \(pid\(s\) \d+\) exited unexpectedly$") as info:
        list(loader)
    assert time.monotonic() - t0 < RAISE_WITHIN_S
    assert "is killed by signal: Killed. " in str(info.value.__cause__)


def test_worker_killed_half_way_through_a_large_batch():
    # The main process does not read yet, so each worker's 16 MB reply fills its pipe and the worker blocks in the
    # middle of the message; then one of them is SIGKILLed. Reading must not wait for the rest of that message.
    for trial in range(6):
        it = iter(DataLoader(Large(), batch_size=16, num_workers=2))
        victim, fd = it._workers[trial % 2], it._receivers[trial % 2].fd
        deadline = time.monotonic() + 20
        while pipe_bytes(fd) == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.02)
        assert 0 < pipe_bytes(fd) < 16 << 20  # a message half-written
        os.kill(victim.pid, signal.SIGKILL)
        t0 = time.monotonic()
        with killed_error(victim.pid) as info:
            list(it)
        assert time.monotonic() - t0 < RAISE_WITHIN_S
        check_killed(info, victim.pid)
        assert not any(w.is_alive() for w in it._workers)


def test_worker_killed_while_the_main_process_reads_large_batches():
    for delay in (0.0, 0.01, 0.03, 0.06):
        it = iter(DataLoader(Large(256), batch_size=16, num_workers=2))  # 16 batches: the kill lands mid-epoch
        victim = it._workers[0]
        killer = threading.Timer(delay, os.kill, (victim.pid, signal.SIGKILL))
        killer.start()
        t0 = time.monotonic()
        with killed_error(victim.pid) as info:
            for _ in it:
                pass
        killer.join()
        assert time.monotonic() - t0 < RAISE_WITHIN_S + delay
        check_killed(info, victim.pid)


def test_reply_framing_across_reads():
    # the main process's reader gets the workers' byte stream in pieces of any size: headers split between reads,
    # several messages in one read, payloads larger than a read (which go straight into their own buffer)
    from tinygrad_ext.utils.data.dataloader import _HEADER, _READ_CHUNK, _Receiver

    rng = np.random.default_rng(0)
    sizes = [0, 1, 7, 16, 100, _READ_CHUNK - 16, _READ_CHUNK, 3 * _READ_CHUNK + 5, 5, 0, 70000]
    messages = [(i, rng.integers(0, 256, n, dtype=np.uint8).tobytes()) for i, n in enumerate(sizes)]
    stream = b"".join(_HEADER.pack(i, len(m)) + m for i, m in messages)
    reader, writer = multiprocessing.Pipe(duplex=False)
    rx, got, pos = _Receiver(reader), [], 0
    try:
        while pos < len(stream):
            n = int(rng.choice([1, 3, 16, 17, 999, 4096]))  # never more than a pipe holds
            os.write(writer.fileno(), stream[pos:pos + n])
            pos += n
            rx.pump(got)
        assert [(i, bytes(m)) for i, m in got] == messages
        writer.close()
        with pytest.raises(EOFError):
            rx.pump(got)
    finally:
        rx.close()


def test_worker_timeout():
    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match=r"^DataLoader timed out after 0.3 seconds$"):
        list(DataLoader(Slow(), batch_size=1, num_workers=1, timeout=0.3))
    assert time.monotonic() - t0 < RAISE_WITHIN_S


def test_workers_shut_down_cleanly():
    before = {p.pid for p in multiprocessing.active_children()}
    it = iter(DataLoader(Squares(40), batch_size=2, num_workers=2))
    next(it)
    workers = [w for w in it._workers]
    assert all(w.is_alive() for w in workers)
    del it  # dropped mid-epoch
    deadline = time.time() + 10
    while any(w.is_alive() for w in workers) and time.time() < deadline:
        time.sleep(0.05)
    assert not any(w.is_alive() for w in workers)
    list(DataLoader(Squares(6), batch_size=2, num_workers=2))  # exhausted: workers joined
    assert {p.pid for p in multiprocessing.active_children()} <= before


# -------------------------------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize("bs", [0, -1, True, 2.5])
def test_bad_batch_size(bs):
    with pytest.raises(ValueError, match=rf"^batch_size should be a positive integer value, but got batch_size={bs}$"):
        DataLoader(Squares(), batch_size=bs)


def test_bad_arguments():
    ds = Squares()
    with pytest.raises(ValueError, match="drop_last should be a boolean value, but got drop_last=1"):
        DataLoader(ds, batch_size=2, drop_last=1)
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(ds, sampler=SequentialSampler(ds), shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive with batch_size, shuffle"):
        DataLoader(ds, batch_size=2, batch_sampler=BatchSampler(SequentialSampler(ds), 2, False))
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="batch_size=None option disables auto-batching"):
        DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified in multiprocessing"):
        DataLoader(ds, prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(ds, persistent_workers=True)
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        BatchSampler(SequentialSampler(ds), 0, False)
    # a batch_sampler alone is fine
    loader = DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(ds), 3, True))
    assert len(loader) == 3 and order(loader) == list(range(9))


def test_spawn_workers():
    # what Python 3.14's default (forkserver) and macOS/Windows (spawn) need: a picklable dataset and collate_fn
    ds = TensorDataset(torch.arange(12).float().view(6, 2), torch.arange(6))
    g = torch.Generator().manual_seed(2)
    loader = DataLoader(ds, batch_size=4, shuffle=True, num_workers=1, generator=g, multiprocessing_context="spawn")
    got = [(x.tolist(), y.tolist()) for x, y in loader]
    g.manual_seed(2)
    assert got == [(x.tolist(), y.tolist()) for x, y in DataLoader(ds, batch_size=4, shuffle=True, generator=g)]
