"""torch.multiprocessing: Python's multiprocessing API re-exported, the sharing-strategy settings, and spawn() /
start_processes(): fn(i, *args) runs in nprocs processes; a child's exception comes back as
ProcessRaisedException with its traceback, a bad exit as ProcessExitedException. Tensors cross as copies."""
import multiprocessing
import os
import pickle
import signal
import sys

import pytest

import tinygrad_ext as torch
import tinygrad_ext.multiprocessing as mp
from tinygrad_ext.multiprocessing.spawn import ProcessExitedException, ProcessRaisedException

try:
    import torch as real_torch
except ImportError:
    real_torch = None


def _write_square(i, out_dir, t):
    """Each child writes (i, sum of t * i) to a file of its own (a tensor arrives pickled)."""
    with open(os.path.join(out_dir, f"{i}.txt"), "w") as f:
        f.write(f"{i} {(t * i).sum().item()}")


def _raise_in_one(i):
    if i == 1:
        raise ValueError(f"bad index {i}")


def _exit_code(i):
    sys.exit(3 if i == 0 else 0)


def _kill_self(i):
    os.kill(os.getpid(), signal.SIGKILL)


def _queue_put(i, q):
    q.put((i, torch.arange(3.0) + i))


def test_reexports_pythons_api_and_torchs_names():
    for name in multiprocessing.__all__:
        assert getattr(mp, name) is getattr(multiprocessing, name), name
    assert set(multiprocessing.__all__) <= set(mp.__all__)
    for name in ("spawn", "start_processes", "ProcessContext", "ProcessRaisedException", "ProcessExitedException",
                 "SpawnContext"):
        assert hasattr(mp, name)
    assert mp.__all__ == ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies",
                          *multiprocessing.__all__]
    assert not hasattr(mp, "ProcessException")  # (as torch's: only in torch.multiprocessing.spawn)
    assert torch.multiprocessing is mp
    if real_torch is not None:
        assert real_torch.multiprocessing.__all__ == mp.__all__


def test_sharing_strategy():
    if sys.platform.startswith("linux"):
        assert mp.get_sharing_strategy() == "file_descriptor"
        assert mp.get_all_sharing_strategies() == {"file_descriptor", "file_system"}
    mp.set_sharing_strategy("file_system")
    try:
        assert mp.get_sharing_strategy() == "file_system"
        with pytest.raises(AssertionError, match="invalid sharing strategy 'nope', expected one of"):
            mp.set_sharing_strategy("nope")
    finally:
        mp.set_sharing_strategy(sorted(mp.get_all_sharing_strategies())[0])


def test_spawn_passes_index_first_and_tensor_copies(tmp_path):
    t = torch.tensor([1.0, 2.0, 3.0])
    assert mp.spawn(_write_square, args=(str(tmp_path), t), nprocs=2) is None
    got = sorted((tmp_path / f).read_text() for f in os.listdir(tmp_path))
    assert got == ["0 0.0", "1 6.0"]
    assert t.tolist() == [1.0, 2.0, 3.0]


def test_spawn_reraises_childs_exception_with_its_traceback():
    with pytest.raises(ProcessRaisedException) as info:
        mp.spawn(_raise_in_one, nprocs=2)
    e = info.value
    assert e.error_index == 1 and isinstance(e.error_pid, int)
    assert str(e).startswith("\n\n-- Process 1 terminated with the following error:\nTraceback")
    assert "ValueError: bad index 1" in str(e) and "_raise_in_one" in str(e)
    assert isinstance(e, mp.ProcessRaisedException) and isinstance(e, Exception)


def test_exit_code_and_signal_are_process_exited():
    with pytest.raises(ProcessExitedException, match="process 0 terminated with exit code 3") as info:
        mp.start_processes(_exit_code, nprocs=2, start_method="fork")
    assert info.value.exit_code == 3 and info.value.signal_name is None
    with pytest.raises(ProcessExitedException, match="process 0 terminated with signal SIGKILL") as info:
        mp.start_processes(_kill_self, nprocs=1, start_method="fork")
    assert info.value.exit_code == -signal.SIGKILL and info.value.signal_name == "SIGKILL"


def test_join_false_returns_context_and_queue_carries_tensors():
    ctx = multiprocessing.get_context("fork")
    q = ctx.SimpleQueue()
    context = mp.start_processes(_queue_put, args=(q,), nprocs=2, join=False, start_method="fork")
    assert isinstance(context, mp.ProcessContext) and len(context.pids()) == 2
    while not context.join():
        pass
    got = sorted((i, t.tolist()) for i, t in (q.get(), q.get()))
    assert got == [(0, [0.0, 1.0, 2.0]), (1, [1.0, 2.0, 3.0])]


def test_spawn_other_start_method_warns():
    with pytest.warns(FutureWarning, match="This method only supports start_method=spawn \\(got: fork\\)"):
        mp.spawn(_exit_code_zero, nprocs=1, start_method="fork")


def _exit_code_zero(i):
    pass


def test_exceptions_pickle():
    e = ProcessExitedException("m", error_index=1, error_pid=5, exit_code=2, signal_name="SIGX")
    back = pickle.loads(pickle.dumps(e))
    assert (back.msg, back.error_index, back.error_pid, back.exit_code, back.signal_name) == ("m", 1, 5, 2, "SIGX")
    r = pickle.loads(pickle.dumps(ProcessRaisedException("x", 0, 7)))
    assert type(r) is ProcessRaisedException and (r.error_index, r.error_pid) == (0, 7)
