"""A torchrun-shaped launcher: `python -m tinygrad_ext.distributed.run --nproc-per-node N script.py args...`.

With mpiexec/mpirun on the PATH the N ranks are MPI processes (so backend='mpi' and 'nccl' both work);
otherwise N plain processes (backend='nccl' only). Either way each rank sees torchrun's environment: RANK,
LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT. When a rank fails the others are stopped
and the launcher exits with the failing rank's status."""
import argparse
import os
import runpy
import shutil
import subprocess
import sys
import time

# the environment variables that MPI launchers set for each rank: (rank, size, local rank, local size)
_MPI_ENV = (("PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS"),
            ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK",
             "OMPI_COMM_WORLD_LOCAL_SIZE"))


def _parser():
    p = argparse.ArgumentParser(prog="python -m tinygrad_ext.distributed.run",
                                description="Starts N ranks of a training script (torchrun's interface).")
    p.add_argument("--nproc-per-node", "--nproc_per_node", default="1",
                   help="number of ranks to start on this machine (an integer)")
    p.add_argument("--nnodes", default="1", help="only 1 (one machine) is supported")
    p.add_argument("--node-rank", "--node_rank", type=int, default=0)
    p.add_argument("--master-addr", "--master_addr", default="127.0.0.1")
    p.add_argument("--master-port", "--master_port", type=int, default=29500)
    p.add_argument("--standalone", action="store_true", help="accepted for torchrun compatibility")
    p.add_argument("--no-mpi", action="store_true", help="start plain processes even when mpiexec is available")
    p.add_argument("-m", "--module", action="store_true", help="run training_script as a module (python -m)")
    p.add_argument("--as-rank", action="store_true", help=argparse.SUPPRESS)  # set by the launcher under mpiexec
    p.add_argument("training_script")
    p.add_argument("training_script_args", nargs=argparse.REMAINDER)
    return p


def _mpiexec():
    for name in ("mpiexec", "mpirun"):
        beside = os.path.join(os.path.dirname(sys.executable), name)
        if os.access(beside, os.X_OK):
            return beside
        found = shutil.which(name)
        if found:
            return found
    return None


def _run_script(args):
    sys.argv = [args.training_script, *args.training_script_args]
    if args.module:
        runpy.run_module(args.training_script, run_name="__main__", alter_sys=True)
    else:
        runpy.run_path(args.training_script, run_name="__main__")


def _as_rank(args):
    """Under mpiexec: torchrun's variables from the MPI launcher's, then the script."""
    env = os.environ
    for rank, size, local_rank, local_size in _MPI_ENV:
        if rank in env:
            env.setdefault("RANK", env[rank])
            env.setdefault("WORLD_SIZE", env[size])
            env.setdefault("LOCAL_RANK", env.get(local_rank, env[rank]))
            env.setdefault("LOCAL_WORLD_SIZE", env.get(local_size, env[size]))
            break
    _run_script(args)


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.as_rank:
        return _as_rank(args)
    try:
        n = int(args.nproc_per_node)
    except ValueError:
        raise SystemExit(f"--nproc-per-node must be an integer, got {args.nproc_per_node!r}") from None
    if n < 1:
        raise SystemExit(f"--nproc-per-node must be at least 1, got {n}")
    if args.nnodes not in ("1", "1:1"):
        raise SystemExit("--nnodes: only one machine is supported; for several, use mpirun with a host file")
    env = dict(os.environ, MASTER_ADDR=args.master_addr, MASTER_PORT=str(args.master_port))
    script = ["-m", args.training_script] if args.module else [args.training_script]
    mpiexec = None if args.no_mpi else _mpiexec()
    if mpiexec is not None:
        flags = ["--as-rank", *(["-m"] if args.module else [])]
        cmd = [mpiexec, "-n", str(n), sys.executable, "-m", "tinygrad_ext.distributed.run", *flags,
               args.training_script, *args.training_script_args]
        return subprocess.call(cmd, env=env)
    procs = []
    for r in range(n):
        rank_env = dict(env, RANK=str(r), LOCAL_RANK=str(r), WORLD_SIZE=str(n), LOCAL_WORLD_SIZE=str(n))
        procs.append(subprocess.Popen([sys.executable, *script, *args.training_script_args], env=rank_env))
    status = 0
    while procs:
        for p in list(procs):
            code = p.poll()
            if code is None:
                continue
            procs.remove(p)
            if code != 0 and status == 0:
                status = code
                for other in procs:
                    other.terminate()
        time.sleep(0.05)
    return status


if __name__ == "__main__":
    sys.exit(main())
