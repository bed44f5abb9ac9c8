"""csrc/cpu/gemm_test_main.cpp, the exhaustive edge-case test of every GEMM copy (and of parallel_for), built by
CMake (tests/cpp/CMakeLists.txt, into build/cpp-tests; rebuilt only when a source changed) and run by CTest.
Under .ci/sanitize (TG_SANITIZED) it is built with AddressSanitizer + UndefinedBehaviorSanitizer too."""
import os
import pathlib
import platform
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SANITIZED = os.environ.get("TG_SANITIZED", "") not in ("", "0")
BUILD = ROOT / "build" / ("cpp-tests-sanitize" if SANITIZED else "cpp-tests")
SANITIZE_FLAGS = "-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"


def _run(*cmd):
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}  # (the sanitized run preloads libasan)
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3000)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="the AVX2/AVX-512 copies: x86-64")
@pytest.mark.skipif(shutil.which("cmake") is None or shutil.which("ctest") is None, reason="CMake is not installed")
def test_gemm_every_isa_copy_and_edge_case():
    if not (BUILD / "CMakeCache.txt").exists():
        flags = [f"-DCMAKE_{kind}_FLAGS={SANITIZE_FLAGS}" for kind in ("CXX", "EXE_LINKER") if SANITIZED]
        _run("cmake", "-S", ROOT / "tests" / "cpp", "-B", BUILD, "-DCMAKE_BUILD_TYPE=Release", *flags)
    _run("cmake", "--build", BUILD, "--parallel", "2")
    out = _run("ctest", "--test-dir", BUILD, "--output-on-failure")
    assert "100% tests passed" in out, out
