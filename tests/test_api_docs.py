"""The documented API: every public function of tinygrad_ext, tinygrad_ext.nn.functional and every public Tensor
method has its own __name__ (as torch's: torch.subtract.__name__ == 'subtract') and a docstring whose first line
is its signature; registry ops document their dtype rule and derivative. The generated type stubs are current and
`mypy --strict` accepts tests/typed_example.py (skipped without mypy)."""
import importlib.util
import inspect
import os
import pathlib
import subprocess
import sys
import types

import pytest

import tinygrad_ext as tg
import tinygrad_ext.nn.functional as F
from tinygrad_ext import _registry


def _public_functions(namespace):
    return sorted((name, fn) for name, fn in vars(namespace).items()
                  if not name.startswith("_") and isinstance(fn, types.FunctionType))


NAMESPACES = {"torch": tg, "torch.nn.functional": F, "Tensor": tg.Tensor}


@pytest.mark.parametrize("label", NAMESPACES)
def test_every_public_function_has_its_name_and_a_docstring(label):
    functions = _public_functions(NAMESPACES[label])
    assert len(functions) > 50
    wrong_name = [name for name, fn in functions if fn.__name__ != name]
    no_doc = [name for name, fn in functions if not (fn.__doc__ or "").strip()]
    assert wrong_name == [] and no_doc == []


def test_aliases_are_their_own_functions_and_still_work():
    a, b = tg.tensor([5.0, 7.0]), tg.tensor([1.0, 2.0])
    assert tg.subtract.__name__ == "subtract" and tg.subtract(a, b).tolist() == [4.0, 5.0]
    assert tg.Tensor.clip.__name__ == "clip" and a.clip(0, 6).tolist() == [5.0, 6.0]
    assert tg.Tensor.mul.__name__ == "mul" and tg.Tensor.mul.__qualname__ == "Tensor.mul"
    assert tg.concat([a, b]).tolist() == [5.0, 7.0, 1.0, 2.0]
    assert "Alias for" in tg.Tensor.negative.__doc__ and tg.Tensor.negative(a).tolist() == [-5.0, -7.0]


def test_signatures_are_torchs():
    assert list(inspect.signature(tg.Tensor.add).parameters) == ["self", "other", "alpha"]
    assert inspect.signature(tg.Tensor.add).parameters["alpha"].kind is inspect.Parameter.KEYWORD_ONLY
    assert tg.Tensor.add.__doc__.splitlines()[0] == "add(other, *, alpha=None)"
    assert tg.Tensor.add_.__doc__.endswith("In-place version of Tensor.add().")
    assert list(inspect.signature(tg.subtract).parameters)[0] == "input"  # (an alias shows its target's)


@pytest.mark.parametrize("entry", [e for e in _registry.OPS if e.python == "generated"], ids=lambda e: e.name)
def test_registry_ops_are_documented_from_their_entry(entry):
    doc = getattr(tg.Tensor, entry.name).__doc__
    assert doc.startswith(f"{entry.name}(input") and _registry.FAMILY_RULES[entry.family] in doc
    assert ("Derivative:" in doc) == any(entry.grad or ())
    assert getattr(tg.Tensor, entry.name + "_").__doc__.startswith(entry.name + "_(")
    assert getattr(tg, entry.name).__doc__ == doc


# ---------------------------------------------------------------- type stubs and the typed example

ROOT = pathlib.Path(__file__).resolve().parents[1]
STUBS = [ROOT / "python/tinygrad_ext" / name for name in ("__init__.pyi", "tensor.pyi", "_C.pyi", "nn/functional.pyi")]


def test_stubs_are_up_to_date():
    """The .pyi files are generated from the live API: after adding an op, run python -m tinygrad_ext._stubgen."""
    check = subprocess.run([sys.executable, "-m", "tinygrad_ext._stubgen", "--check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr  # (a fresh interpreter: see _stubgen's docstring)
    stub = (ROOT / "python/tinygrad_ext/tensor.pyi").read_text()
    assert "    def exp(self) -> Tensor: ..." in stub
    assert "def add(self, other: Any, *, alpha: Any = ...) -> Tensor" in stub


def test_typed_example_runs():
    spec = importlib.util.spec_from_file_location("typed_example", ROOT / "tests/typed_example.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    assert example.shapes() == [8, 1] and example.exchange() == 9.0 and example.train(2) > 0


def test_mypy_strict_on_the_typed_example(tmp_path):
    pytest.importorskip("mypy")
    wrong = tmp_path / "wrong.py"
    wrong.write_text("import tinygrad_ext as torch\n\nn: int = torch.ones(2)\ntorch.ones(2).no_such_method()\n")
    env = dict(os.environ, MYPYPATH=str(ROOT / "python"))
    run = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--cache-dir",
                          str(tmp_path / "cache"), str(ROOT / "tests/typed_example.py"), str(wrong),
                          *map(str, STUBS)],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    errors = [line for line in run.stdout.splitlines() if ": error:" in line]
    assert all(line.startswith("wrong.py:") for line in errors), run.stdout  # the example and the stubs are clean
    assert len(errors) == 2 and "Incompatible types" in errors[0] and "no_such_method" in errors[1], run.stdout
