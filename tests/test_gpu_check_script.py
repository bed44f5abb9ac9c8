"""benchmarks/gpu_check.sh, the prepared GPU check (issue 15), on a machine without a GPU: it says so, writes its
results table and exits 0; its sanitizer subset names tests that exist; bench_cuda.py says it measured nothing."""
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "benchmarks", "gpu_check.sh")
HAS_GPU = shutil.which("nvidia-smi") is not None


def _run(args, timeout=300, **kw):
    return subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=timeout, check=False, **kw)


@pytest.mark.skipif(HAS_GPU, reason="checks the run without a GPU")
def test_without_a_gpu_it_says_so_and_exits_0(tmp_path):
    r = _run(["bash", SCRIPT, str(tmp_path)])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no NVIDIA GPU found" in r.stdout
    results = (tmp_path / "results.md").read_text()
    assert "| step | status | seconds | summary |" in results
    assert "| machine | SKIPPED | 0 | no NVIDIA GPU on this machine |" in results
    assert "no NVIDIA GPU found" in (tmp_path / "gpu_check.log").read_text()


def test_sanitizer_subset_names_existing_tests():
    ids = re.findall(r'^  "(tests/[^"]+)"$', open(SCRIPT).read(), re.M)
    assert len(ids) >= 20
    r = _run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *ids])
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    collected = {line.strip() for line in r.stdout.splitlines()}
    missing = [i for i in ids if i not in collected and not any(c.startswith(i + "[") for c in collected)]
    assert not missing, f"gpu_check.sh's SANITIZER_TESTS name tests that do not exist: {missing}"


@pytest.mark.skipif(HAS_GPU, reason="checks the run without a GPU")
def test_bench_cuda_without_a_gpu_measures_nothing_and_exits_0():
    r = _run([sys.executable, os.path.join("benchmarks", "bench_cuda.py")], timeout=120)
    assert r.returncode == 0, r.stderr
    assert "nothing measured" in r.stdout
