"""The CPU/CUDA shared math headers compile under nvcc without warnings (issue 15: `expf_reduced(2.0f * xc, n) *
pow2i(n)` read n in unspecified order, nvcc's warning 549 in every .cu file). Compile-only: needs nvcc, no GPU."""
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _nvcc():
    for cand in (shutil.which("nvcc"), "/usr/local/cuda/bin/nvcc"):
        if cand and os.path.exists(cand):
            return cand
    return None


@pytest.mark.skipif(_nvcc() is None, reason="nvcc not installed")
def test_math_headers_compile_without_nvcc_warnings(tmp_path):
    src = tmp_path / "k.cu"
    src.write_text('#include "ops/math.h"\n#include "ops/philox.h"\n'
                   "__global__ void k(float* y) { y[threadIdx.x] = 1.0f; }\n")
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}  # (not the sanitizer run's libasan)
    r = subprocess.run([_nvcc(), "-std=c++17", "-arch=sm_80", "-Xcudafe", "--display_error_number", "-c",
                        "-I", os.path.join(ROOT, "csrc"), "-o", str(tmp_path / "k.o"), str(src)],
                       capture_output=True, text=True, timeout=300, check=False, env=env)
    assert r.returncode == 0, r.stderr
    assert "warning" not in (r.stdout + r.stderr).lower(), r.stdout + r.stderr
