"""torch.multiprocessing: Python's multiprocessing (every name of its API, re-exported), the sharing-strategy
settings, and spawn()/start_processes(), which run fn(i, *args) in nprocs processes and re-raise a child's
exception in the parent.

Tensors that cross a process boundary (a Queue, a Pipe, Process args, spawn's args) are pickled: the receiving
process gets a copy, and in-place changes on one side are not seen on the other. torch shares their memory
instead; tinygrad_ext has no shared-memory tensors (Tensor.share_memory_() is not provided), so send results
back explicitly (a Queue, or files). The sharing strategy is kept and reported as torch's, and changes nothing.
"""
import multiprocessing
import sys
from multiprocessing import *  # noqa: F403

from .spawn import ProcessContext, ProcessExitedException, ProcessRaisedException, SpawnContext, spawn, start_processes

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies",
           *multiprocessing.__all__]

if sys.platform in ("darwin", "win32"):
    _sharing_strategy = "file_system"
    _all_sharing_strategies = {"file_system"}
else:
    _sharing_strategy = "file_descriptor"
    _all_sharing_strategies = {"file_descriptor", "file_system"}


def set_sharing_strategy(new_strategy):
    """Selects how torch would share CPU tensors between processes: one of get_all_sharing_strategies(). (Kept
    for code that sets it; tinygrad_ext pickles tensors whatever the strategy.)"""
    global _sharing_strategy
    if new_strategy not in _all_sharing_strategies:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}, expected one of {_all_sharing_strategies}")
    _sharing_strategy = new_strategy


def get_sharing_strategy():
    """The current sharing strategy: 'file_descriptor' on Linux unless set_sharing_strategy() changed it."""
    return _sharing_strategy


def get_all_sharing_strategies():
    """The strategies this platform supports: {'file_descriptor', 'file_system'} on Linux."""
    return _all_sharing_strategies

