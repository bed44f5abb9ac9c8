"""20 SIGKILLs of a DataLoader worker while it sends a 16 MB batch; time from the kill to the RuntimeError.

    python benchmarks/reliability/worker_kill.py idle   # the worker blocked half-way through its message
    python benchmarks/reliability/worker_kill.py busy   # killed at a random moment while the main process reads
"""
import fcntl
import os
import signal
import sys
import termios
import threading
import time
import numpy as np
from tinygrad_ext.utils.data import DataLoader, Dataset

class Big(Dataset):  # 16 items of 1 MB: a 16 MB batch
    def __len__(self): return 64
    def __getitem__(self, i): return np.full((1 << 18,), i, dtype=np.float32)

def trial(mode, delay):
    loader = DataLoader(Big(), batch_size=16, num_workers=2)
    it = iter(loader)
    victim = it._workers[0].pid
    if mode == "idle":   # main not reading: the worker blocks mid-message on a full pipe
        time.sleep(delay)
        held = int.from_bytes(fcntl.ioctl(it._receivers[0].fd, termios.FIONREAD, b"\0" * 4), "little")
        assert 0 < held < 16 << 20, held  # the worker is blocked half-way through its 16 MB message
        t0 = time.monotonic()
        os.kill(victim, signal.SIGKILL)
    else:                # main reading: kill at a random moment of the transfer
        t0 = [None]

        def k():
            time.sleep(delay)
            t0[0] = time.monotonic()
            os.kill(victim, signal.SIGKILL)
        th = threading.Thread(target=k)
        th.start()
    try:
        while True:
            next(it)
    except RuntimeError as e:
        t1 = time.monotonic()
        cause = e.__cause__
        return t1 - (t0 if mode == "idle" else t0[0]), str(e), str(cause) if cause else ""
    except StopIteration:
        return None, "no error", ""

mode = sys.argv[1] if len(sys.argv) > 1 else "idle"
rng = np.random.default_rng(0)
times = []
for k in range(20):
    d = 0.3 if mode == "idle" else float(rng.uniform(0.0, 0.08))
    dt, msg, cause = trial(mode, d)
    times.append(dt)
    print(f"{k:2d} delay {d:.3f}s raise after {dt if dt is None else round(dt, 3)} s: {msg} | {cause}", flush=True)
ok = [t for t in times if t is not None]
print(f"{mode}: {len(ok)}/20 raised; max {max(ok):.3f} s, median {sorted(ok)[len(ok)//2]:.3f} s")
