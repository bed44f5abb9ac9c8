"""DataLoader: batches from a dataset, in the main process or in worker processes.

With num_workers > 0 each worker process holds a copy of the dataset (fork) or an unpickled one
(spawn/forkserver). The main process hands out batches of indices round-robin; a worker reads and
collates them and sends the batch back pickled, every tensor in it as a numpy array that the main
process turns back into a tensor with from_numpy. Batches come out in sampler order whatever the
workers' timing, so the result does not depend on num_workers. An exception in a worker is raised again
in the main process with the worker's traceback; workers are shut down when the iterator is exhausted,
dropped or garbage-collected.

Transport: every worker writes its replies (a 16-byte header, then the pickled batch) to a pipe of its own,
from a sender thread, so it goes on loading while the main process is busy. The main process holds only the
read end and never blocks in a read: it waits in poll() on the pipes and the workers' sentinels (readable
once a worker exits), reads whatever a pipe holds without blocking, and reassembles the messages. A worker
that dies at any moment, even half-way through writing a large batch (the OOM killer's SIGKILL), is
therefore noticed at once and reported with torch's error: RuntimeError("DataLoader worker (pid(s) N) exited
unexpectedly") raised from RuntimeError("DataLoader worker (pid N) is killed by signal: Killed. ").
The workers are told to stop through a flag in shared memory, which takes no lock that a killed worker
could leave held.

Seeds: every iterator draws one base seed (from `generator`, else from the global stream); worker i
seeds tinygrad_ext's global stream and Python's `random` with base_seed + i before worker_init_fn,
so random transforms in workers are reproducible under torch.manual_seed.
"""
import atexit
import collections
import copy
import ctypes
import io
import itertools
import multiprocessing
import numbers
import os
import pickle
import queue
import random
import select
import signal
import struct
import sys
import threading
import time
import traceback
import warnings
import weakref
from typing import Generic, TypeVar

import numpy as np

from ... import _C, _dtype
from ... import cuda as _cuda
from ...tensor import Tensor, as_tensor, from_numpy, stack, tensor
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler, _check_generator, _draw_seed, _is_positive_int

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]

_POLL_S = 0.5  # how often a waiting main process checks that its workers are alive (besides their sentinels)
_SHUTDOWN_S = 5.0  # how long workers get to exit before they are terminated
_WORKER_POLL_S = 0.1  # how often an idle worker checks whether it should stop
_live_iterators = weakref.WeakSet()
_atexit_registered = False


def _shutdown_all():
    # Runs before multiprocessing's own exit handler (registered earlier, so called later) stops the queues'
    # feeder threads; after that the workers could no longer be told to stop and would be waited for.
    for it in list(_live_iterators):
        it._shutdown_workers()

# ---------------------------------------------------------------------------------------------- collate
_COLLATE_ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _numpy_ok(arr):
    return arr.dtype.kind in "biuf"


def default_convert(data):
    """Converts numpy arrays (and numpy scalars) to tensors, recursing into lists, tuples and dicts; used when
    automatic batching is off (batch_size=None)."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray) and _numpy_ok(data):
        return from_numpy(data)
    if isinstance(data, np.generic) and _numpy_ok(np.asarray(data)):
        return as_tensor(data)
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        try:
            return type(data)({k: default_convert(v) for k, v in data.items()})
        except TypeError:
            return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def default_collate(batch):
    """Puts a list of samples together: tensors and numpy arrays are stacked on a new first dimension,
    Python floats become a float64 tensor, ints (and bools) the tensor torch.tensor(batch) makes, strings stay as given;
    tuples, lists, namedtuples and dicts are collated field by field (a tuple of fields comes back as a
    list, as in torch)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch, 0)
    if isinstance(elem, np.ndarray):
        if not _numpy_ok(elem):
            raise TypeError(_COLLATE_ERR.format(elem.dtype))
        return stack([from_numpy(b if b.flags.c_contiguous else np.ascontiguousarray(b)) for b in batch], 0)
    if isinstance(elem, np.generic):
        if not _numpy_ok(np.asarray(elem)):
            raise TypeError(_COLLATE_ERR.format(elem.dtype))
        return as_tensor(np.array(batch))
    if isinstance(elem, numbers.Integral):  # (bools too: torch infers the batch's dtype, [1, 2.5] is float32)
        return tensor(batch)
    if isinstance(elem, float):
        return tensor(batch, dtype=_dtype.float64)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        out = {k: default_collate([d[k] for d in batch]) for k in elem}
        try:
            if isinstance(elem, collections.abc.MutableMapping):  # a copy keeps its kind (defaultdict's factory)
                clone = copy.copy(elem)
                clone.update(out)
                return clone
            return type(elem)(out)
        except TypeError:
            return out
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        n = len(elem)
        if any(len(e) != n for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [default_collate(s) for s in zip(*batch)]  # (each column a tuple: strings stay one, as torch's)
        if isinstance(elem, tuple):
            return columns
        try:
            return type(elem)(columns)
        except TypeError:
            return columns
    raise TypeError(_COLLATE_ERR.format(type(elem)))


# ------------------------------------------------------------------------------------------ worker info
class WorkerInfo:
    """What get_worker_info() returns inside a worker: id, num_workers, seed, dataset (the worker's copy)."""

    __slots__ = ("dataset", "id", "num_workers", "seed")

    def __init__(self, id, num_workers, seed, dataset):
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


_worker_info = None


def get_worker_info():
    """The WorkerInfo of the current DataLoader worker process, or None in the main process."""
    return _worker_info


class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process with its formatted traceback."""

    def __init__(self, where):
        exc_type, exc, tb = sys.exc_info()
        self.exc_type = exc_type
        self.exc_msg = "".join(traceback.format_exception(exc_type, exc, tb))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:  # KeyError would repr() the message, hiding the newlines
            msg = _KeyErrorMessage(msg)
        try:
            exc = self.exc_type(msg)
        except Exception:  # noqa: BLE001 (an exception type that does not take one message)
            raise RuntimeError(msg) from None
        raise exc


class _KeyErrorMessage(str):
    def __repr__(self):
        return self


class _IterableEnd:
    """A worker's reply once its copy of an IterableDataset is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


# -------------------------------------------------------------------------------------------- fetchers
class _MapFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn

    def fetch(self, index):
        if self.auto_collation:
            getitems = getattr(self.dataset, "__getitems__", None)
            data = getitems(index) if getitems is not None else [self.dataset[i] for i in index]
        else:
            data = self.dataset[index]
        return self.collate_fn(data)


class _IterableFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset_iter = iter(dataset)
        self.auto_collation, self.collate_fn, self.drop_last = auto_collation, collate_fn, drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.dataset_iter))
        data = []
        for _ in index:
            try:
                data.append(next(self.dataset_iter))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(index)):
            raise StopIteration
        return self.collate_fn(data)


def _fetcher(dataset, auto_collation, collate_fn, drop_last):
    cls = _IterableFetcher if isinstance(dataset, IterableDataset) else _MapFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)


class _InfiniteConstantSampler:
    """The 'indices' of an IterableDataset: None forever (the fetcher just calls next())."""

    def __iter__(self):
        while True:
            yield None


# --------------------------------------------------------------------------------- the worker transport
def _rebuild_tensor(arr, requires_grad):
    t = from_numpy(arr)
    return t.requires_grad_() if requires_grad else t


class _TensorPickler(pickle.Pickler):
    """Pickles a batch with every Tensor in it (at any depth) as a numpy array (the main process calls
    from_numpy on it), everything else as usual."""

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return _rebuild_tensor, (obj.detach().cpu().numpy(), obj.requires_grad)
        return NotImplemented


def _dumps(obj):
    buf = io.BytesIO()
    _TensorPickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buf.getvalue()


_HEADER = struct.Struct("<qQ")  # a reply's header: task id, length of the pickled reply that follows
_READ_CHUNK = 1 << 16  # what the main process reads at once while looking for a header


def _write_all(fd, parts):
    parts = [memoryview(p).cast("B") for p in parts]
    while parts:
        n = os.writev(fd, parts)
        while parts and n >= len(parts[0]):
            n -= len(parts[0])
            parts.pop(0)
        if parts:
            parts[0] = parts[0][n:]


class _Sender:
    """A worker's end of its pipe: replies are written by a daemon thread, in the order they were sent, so the
    worker goes on with its next batch while the main process has not read the last one yet (what the feeder
    thread of a multiprocessing.Queue did). The pipe is the worker's own: a worker that dies half-way through
    a message leaves no lock held and corrupts no other worker's stream."""

    def __init__(self, conn):
        self._conn = conn  # keeps the file descriptor open
        self._fd = conn.fileno()
        self._queue = queue.SimpleQueue()
        threading.Thread(target=self._run, name="DataLoaderSender", daemon=True).start()

    def send(self, idx, payload):
        self._queue.put((idx, payload))

    def _run(self):
        while True:
            idx, payload = self._queue.get()
            try:
                _write_all(self._fd, (_HEADER.pack(idx, len(payload)), payload))
            except OSError:  # the main process closed its end: it wants no more replies
                return


class _Receiver:
    """The main process's end of one worker's pipe. It never blocks: pump() reads what the pipe holds now and
    completes messages from it; a message's remainder is read on a later pump(), whenever it comes."""

    __slots__ = ("body", "conn", "fd", "got", "idx", "pending")

    def __init__(self, conn):
        self.conn, self.fd = conn, conn.fileno()
        os.set_blocking(self.fd, False)
        self.pending = bytearray()  # bytes read past the last complete message, less than one header
        self.body = None  # the payload being read (one larger than a read goes straight into its own buffer)
        self.got = 0
        self.idx = 0

    def pump(self, out):
        """Appends (task id, payload) for every message completed by what the pipe holds to out. EOFError: the
        pipe's write end is closed (the worker exited), with or without a message half-read."""
        while True:
            if self.body is not None:
                try:
                    n = os.readv(self.fd, [memoryview(self.body)[self.got:]])
                except BlockingIOError:
                    return
                if n == 0:
                    raise EOFError
                self.got += n
                if self.got == len(self.body):
                    out.append((self.idx, self.body))
                    self.body = None
                continue
            try:
                data = os.read(self.fd, _READ_CHUNK)
            except BlockingIOError:
                return
            if not data:
                raise EOFError
            if self.pending:  # a header split between two reads
                data = bytes(self.pending + data)
                self.pending.clear()
            self._split(data, out)

    def _split(self, data, out):
        view, start, hsize = memoryview(data), 0, _HEADER.size
        while len(data) - start >= hsize:
            idx, n = _HEADER.unpack_from(data, start)
            start += hsize
            have = len(data) - start
            if have < n:  # the rest of the payload is read straight into its own buffer
                self.body, self.got, self.idx = bytearray(n), have, idx
                self.body[:have] = view[start:]
                return
            out.append((idx, view[start:start + n]))  # pickle.loads takes the view: no copy
            start += n
        self.pending += view[start:]

    def close(self):
        self.conn.close()


def _worker_failure(workers):
    """torch's error for workers that exited: RuntimeError('... exited unexpectedly'), raised from the error
    torch's SIGCHLD handler gives for the first of them (the signal's name, or the exit code)."""
    pids = ", ".join(str(w.pid) for w in workers)
    err = RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly")
    w = workers[0]
    code = w.exitcode
    cause = None
    if code is not None and code < 0:
        try:
            name = signal.strsignal(-code)
        except ValueError:
            name = None
        cause = RuntimeError(f"DataLoader worker (pid {w.pid}) is killed by signal: "
                             f"{name or f'Unknown signal {-code}'}. ")
    elif code:
        cause = RuntimeError(f"DataLoader worker (pid {w.pid}) exited unexpectedly with exit code {code}. Details "
                             "are lost due to multiprocessing. Rerunning with num_workers=0 may give better error "
                             "trace.")
    err.__cause__ = cause
    return err


def _worker_loop(dataset, index_queue, data_conn, done, auto_collation, collate_fn, drop_last, seed,
                 init_fn, worker_id, num_workers):
    global _worker_info
    parent = os.getppid()
    sender = _Sender(data_conn)
    try:
        _C.set_num_threads(1)  # the workers share the cores with the main process and each other
        _C.manual_seed(seed & 0xFFFFFFFFFFFFFFFF)
        random.seed(seed)
        _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
        where = f"in DataLoader worker process {worker_id}"
        init_error, fetcher = None, None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = _fetcher(dataset, auto_collation, collate_fn, drop_last)
        except Exception:  # noqa: BLE001 (reported to the main process)
            init_error = ExceptionWrapper(where)
        iterable = isinstance(dataset, IterableDataset)
        while True:
            # NOTE: the main process says stop with None, but also with the done flag: a None put from a
            # garbage-collected iterator may never be sent (the queue's feeder thread can be finalized first).
            try:
                task = index_queue.get(timeout=_WORKER_POLL_S)
            except queue.Empty:
                if done.value or os.getppid() != parent:  # told to stop, or the main process died
                    break
                continue
            if task is None or done.value:
                break
            idx, index = task
            if init_error is not None:
                reply, init_error = init_error, None
            else:
                try:
                    reply = fetcher.fetch(index)
                except StopIteration:
                    if not iterable:
                        reply = ExceptionWrapper(where)
                    else:
                        reply = _IterableEnd(worker_id)
                except Exception:  # noqa: BLE001 (reported to the main process)
                    reply = ExceptionWrapper(where)
            try:
                payload = _dumps(reply)
            except Exception:  # noqa: BLE001 (an unpicklable batch, reported to the main process)
                payload = _dumps(ExceptionWrapper(where + " (while sending the batch to the main process)"))
            sender.send(idx, payload)
    except KeyboardInterrupt:
        pass  # the main process sees the same Ctrl-C and shuts the workers down
    # replies not yet written are dropped with the sender thread (a daemon): the main process no longer reads


# ---------------------------------------------------------------------------------------------- iterators
def _pin_memory(data):
    """A batch with its tensors copied to pinned host memory (torch's pin_memory: through dicts, named
    tuples, tuples, lists and objects with a pin_memory() method), so .to('cuda', non_blocking=True) need not
    wait. Runs in the main process."""
    if isinstance(data, Tensor):
        return data.pin_memory()
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        pinned = {k: _pin_memory(v) for k, v in data.items()}
        try:
            return type(data)(pinned)
        except TypeError:  # a mapping type that cannot be built from a dict
            return pinned
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a named tuple
        return type(data)(*(_pin_memory(v) for v in data))
    if isinstance(data, tuple):
        return tuple(_pin_memory(v) for v in data)
    if isinstance(data, list):
        return [_pin_memory(v) for v in data]
    if hasattr(data, "pin_memory"):
        return data.pin_memory()
    return data


class _BaseDataLoaderIter:
    def __init__(self, loader):
        self._dataset = loader.dataset
        self._auto_collation = loader._auto_collation
        self._collate_fn = loader.collate_fn
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._timeout = loader.timeout
        self._base_seed = _draw_seed(loader.generator)  # before the sampler draws, as in torch
        self._sampler_iter = iter(self._index_sampler)
        self._len = len(loader) if loader._has_len() else None
        self._yielded = 0
        self._pin_memory = bool(loader.pin_memory) and _cuda.is_available()
        if loader.pin_memory and not self._pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device pinned "
                          "memory won't be used.", UserWarning, stacklevel=3)

    def __iter__(self):
        return self

    def __next__(self):
        data = self._next_data()
        if self._pin_memory:
            data = _pin_memory(data)
        self._yielded += 1
        return data

    next = __next__  # the 2017 tutorials call dataiter.next()

    def __len__(self):
        if self._len is None:
            raise TypeError("this DataLoader's dataset has no length")
        return self._len


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._fetcher = _fetcher(self._dataset, self._auto_collation, self._collate_fn, self._drop_last)

    def _next_data(self):
        index = next(self._sampler_iter)  # StopIteration ends the epoch
        return self._fetcher.fetch(index)


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._shutdown = True  # until the workers exist
        ctx = loader.multiprocessing_context
        if ctx is None:
            ctx = multiprocessing.get_context()
        elif isinstance(ctx, str):
            ctx = multiprocessing.get_context(ctx)
        n = loader.num_workers
        self._num_workers = n
        self._prefetch = loader.prefetch_factor * n
        self._iterable = isinstance(self._dataset, IterableDataset)
        self._done = ctx.RawValue(ctypes.c_bool, False)  # shared memory, no lock: see _shutdown_workers
        self._index_queues, self._workers, self._receivers = [], [], []
        self._workers_active = [True] * n
        self._poller = select.poll()
        self._by_fd = {}  # a pipe's or a sentinel's file descriptor -> (worker, receiver or None)
        self._ready = collections.deque()  # replies read but not yet returned by _get
        try:
            for i in range(n):
                iq = ctx.Queue()
                iq.cancel_join_thread()  # never block the main process's exit on a dead worker's queue
                reader, writer = ctx.Pipe(duplex=False)
                w = ctx.Process(target=_worker_loop, daemon=True,
                                args=(self._dataset, iq, writer, self._done, self._auto_collation,
                                      self._collate_fn, self._drop_last, self._base_seed + i, loader.worker_init_fn,
                                      i, n))
                try:
                    w.start()
                except BaseException:
                    reader.close()
                    raise
                finally:
                    # the worker holds the only write end: its pipe reads end of file once it is gone, and the
                    # workers started later do not inherit it
                    writer.close()
                rx = _Receiver(reader)
                self._index_queues.append(iq)
                self._workers.append(w)
                self._receivers.append(rx)
                self._by_fd[rx.fd] = (w, rx)
                self._by_fd[w.sentinel] = (w, None)
                self._poller.register(rx.fd, select.POLLIN)
                self._poller.register(w.sentinel, select.POLLIN)
        finally:
            self._shutdown = False
            if len(self._workers) < n:
                self._shutdown_workers()
        _live_iterators.add(self)
        global _atexit_registered
        if not _atexit_registered:  # after multiprocessing.util registered its handler: ours runs first
            atexit.register(_shutdown_all)
            _atexit_registered = True
        self._worker_cycle = itertools.cycle(range(n))
        self._send_idx = 0  # next task id to hand out
        self._rcvd_idx = 0  # next task id to return
        self._tasks = {}  # task id -> [worker id] or [worker id, payload] once it arrived out of order
        self._sampler_done = False
        self._fill()

    def _fill(self):
        """Hands out index batches until `prefetch` tasks are outstanding (round-robin over active workers)."""
        while not self._sampler_done and self._send_idx - self._rcvd_idx < self._prefetch:
            for _ in range(self._num_workers):
                wid = next(self._worker_cycle)
                if self._workers_active[wid]:
                    break
            else:
                return
            try:
                index = next(self._sampler_iter)
            except StopIteration:
                self._sampler_done = True
                return
            self._index_queues[wid].put((self._send_idx, index))
            self._tasks[self._send_idx] = [wid]
            self._send_idx += 1

    def _get(self):
        """The next reply that arrives from any worker, as (task id, payload). Waits in poll() on the workers'
        pipes and sentinels, never in a read, so a worker's death (even half-way through a message) or the
        timeout ends the wait."""
        ready = self._ready
        start = time.monotonic()
        next_check = start + _POLL_S
        while True:
            suspects = []
            if not ready:
                wait_s = next_check - time.monotonic()
                if self._timeout > 0:
                    wait_s = min(wait_s, start + self._timeout - time.monotonic())
                for fd, _ in self._poller.poll(max(0, int(wait_s * 1000) + 1)):
                    w, rx = self._by_fd[fd]
                    if rx is None:  # a sentinel: the worker exited
                        suspects.append(w)
                        continue
                    try:
                        rx.pump(ready)
                    except EOFError:  # its write end closed: the worker exited (or is exiting)
                        suspects.append(w)
            now = time.monotonic()
            if suspects or now >= next_check:
                self._check_workers(suspects)
                next_check = now + _POLL_S
            if ready:
                return ready.popleft()
            if self._timeout > 0 and now - start >= self._timeout:
                self._shutdown_workers()
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def _check_workers(self, suspects):
        """Raises torch's error when a worker has exited. suspects: workers whose sentinel fired or whose pipe
        was closed; they are given a moment to be reaped, and reported even if they somehow live on."""
        for w in suspects:
            w.join(timeout=_SHUTDOWN_S)
        dead = [w for w in self._workers if w.exitcode is not None]
        if not dead and suspects:
            dead = list(dict.fromkeys(suspects))
        if dead:
            err = _worker_failure(dead)
            self._shutdown_workers()
            raise err

    def _next_data(self):
        if self._shutdown:
            raise StopIteration
        while True:
            # skip the tasks of workers whose IterableDataset copy ran out
            while self._rcvd_idx < self._send_idx:
                task = self._tasks[self._rcvd_idx]
                if len(task) == 2 or self._workers_active[task[0]]:
                    break
                del self._tasks[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                self._fill()  # the skipped tasks made room
                if self._rcvd_idx == self._send_idx:
                    self._shutdown_workers()
                    raise StopIteration
                continue
            task = self._tasks[self._rcvd_idx]
            if len(task) == 2:
                del self._tasks[self._rcvd_idx]
                self._rcvd_idx += 1
                return self._process(task[1])
            idx, payload = self._get()
            reply = pickle.loads(payload)  # written by our own worker process
            if isinstance(reply, _IterableEnd):
                # this and every later task of that worker are skipped by the loop above; a worker replies
                # in task order, so all its earlier replies have already arrived
                self._workers_active[reply.worker_id] = False
                continue
            if idx != self._rcvd_idx:
                self._tasks[idx].append(reply)
                continue
            del self._tasks[idx]
            self._rcvd_idx += 1
            return self._process(reply)

    def _process(self, reply):
        self._fill()
        if isinstance(reply, ExceptionWrapper):
            reply.reraise()
        return reply

    def _shutdown_workers(self):
        if self._shutdown:
            return
        self._shutdown = True
        # A flag in shared memory, not a multiprocessing.Event: setting an Event takes a lock that a worker killed
        # while checking it would hold forever.
        self._done.value = True
        for q in self._index_queues:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        for rx in self._receivers:  # a worker's sender blocked on a full pipe gets EPIPE and stops
            self._poller.unregister(rx.fd)
            rx.close()
        self._receivers = []
        deadline = time.monotonic() + _SHUTDOWN_S  # a worker finishes its current batch, then sees None
        for w in self._workers:
            w.join(timeout=max(0.0, deadline - time.monotonic()))
        for w in self._workers:
            if w.exitcode is None:
                w.terminate()
                w.join(timeout=_SHUTDOWN_S)
        for q in self._index_queues:
            q.close()
        self._ready.clear()

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:  # noqa: BLE001, S110 (interpreter shutdown: modules may already be gone)
            pass


# -------------------------------------------------------------------------------------------- DataLoader
_T_co = TypeVar("_T_co", covariant=True)
_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


class DataLoader(Generic[_T_co]):
    """Combines a dataset and a sampler and iterates over batches (torch.utils.data.DataLoader).

    pin_memory=True copies each batch's tensors to pinned host memory in the main process (with a GPU; without
    one it warns, as torch, and yields them as they are); persistent_workers starts new
    workers every epoch; in_order is always True."""

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        if isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
                             "to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and not _is_positive_int(prefetch_factor):
            raise ValueError(f"prefetch_factor option should be a positive integer, got {prefetch_factor}")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        _check_generator(generator)

        self.dataset = dataset
        self.num_workers = int(num_workers)
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.in_order = in_order  # (accepted; batches always arrive in order here, which in_order=False allows)
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = persistent_workers
        self.generator = generator

        if isinstance(dataset, IterableDataset):
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, "
                                 f"but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                                 f"but got batch_sampler={batch_sampler}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")

        if sampler is None:
            if isinstance(dataset, IterableDataset):
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)  # validates batch_size

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self._auto_collation = batch_sampler is not None
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.__initialized = True
        self.check_worker_number_rationality()

    def check_worker_number_rationality(self):
        """torch's warning when num_workers exceeds the CPUs this process may run on."""
        if not self.num_workers:
            return
        suggest = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        if suggest is None or self.num_workers > suggest:
            checked = "" if hasattr(os, "sched_getaffinity") else " (`cpuset` is not taken into account)"
            why = ("DataLoader is not able to compute a suggested max number of worker in current system."
                   if suggest is None else f"Our suggested max number of worker in current system is {suggest}"
                   f"{checked}, which is smaller than what this DataLoader is going to create.")
            warnings.warn(f"This DataLoader will create {self.num_workers} worker processes in total. {why} Please be "
                          "aware that excessive worker creation might get DataLoader running slow or even freeze, "
                          "lower the worker number to avoid potential slowness/freeze if necessary.", stacklevel=3)

    __initialized = False

    def __setattr__(self, attr, val):
        if self.__initialized and attr in _FROZEN:
            raise ValueError(f"{attr} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _has_len(self):
        try:
            len(self)
            return True
        except TypeError:
            return False

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        self.check_worker_number_rationality()
        return _MultiProcessingDataLoaderIter(self)

    def __len__(self):
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)  # TypeError when the dataset has no length, as in torch
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)
