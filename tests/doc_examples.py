"""Run PyTorch's own docstring examples against torch and against tinygrad_ext, and list where they differ.

    bench-venv/bin/python -m tests.doc_examples torch torch.Tensor torch.nn.functional --out /tmp/doc.md

PyTorch's docstrings hold hundreds of `>>>` examples: the everyday code a user copies first. Each docstring is
one program: its statements run in order, in one namespace, once with torch and once with `torch` importing
tinygrad_ext (every `import torch...` inside the example included). Per statement the displayed value (as the
interactive prompt shows it) or the exception type is recorded, and the first statement where the two runs
disagree is reported. Both runs start from the same seed, and tinygrad_ext's CPU draws are torch's, so the examples
see the same random inputs; an example that prints drawn values (or an uninitialized `empty`) is still compared by
structure only where values differ: digits, signs, booleans and spacing are masked. Two exceptions agree when they
are of one builtin class (a library's subclass counts as its builtin base) and torch's message opens ours;
`<built-in method f ...>` and `<function f ...>` print alike, as do Python's and torch's "missing argument"
TypeErrors. A program runs up to its first statement that names CUDA; each starts with torch's default dtype, device
and determinism.

Needs torch (the bench venv). A development tool like tests/fuzz, not part of the test suite.
"""
import argparse
import contextlib
import doctest
import importlib
import importlib.abc
import importlib.util
import io
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import types

_RANDOM = re.compile(r"bernoulli|multinomial|empty|[Dd]ropout|uniform|_\(|nn\.[A-Z]|init\.|sample|shuffle"
                     r"|DataLoader|[Rr]andom|poisson|gumbel")
_ADDRESS = re.compile(r"0x[0-9a-f]+")
_BUILTIN = re.compile(r"<built-in (?:method|function) (\w+)[^>]*>")  # torch's C functions print so, Python's not
_NUMBER = re.compile(r"-?\d+(\.\d*)?(e[+-]?\d+)?|-?inf|nan")
_MASK = re.compile(r"-?\d+(\.\d*)?(e[+-]?\d+)?|True|False|\s+")
_EXCEPTION = re.compile(r"!(\w+)<(\w+)>: (.*)", re.S)  # (name, builtin base, message)
# a missing argument, as Python words it and as torch's argument parser does (naming the aten function)
_MISSING = re.compile(r"\w+\(\) missing (\d+) required positional arguments?: ['\"](\w+)['\"]")
_RUNS = re.compile(r"#+")  # (random values print in columns as wide as the widest: padding differs too)
_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_CUDA = re.compile(r"\.cuda\(|cuda:|['\"]cuda")
_SKIP_MODULES = ("cuda", "distributed", "fx", "jit", "onnx", "export", "_dynamo", "compile", "mps", "xpu")


def collect(paths):
    """{qualified name: [(source, expected)]} for every documented object under the given torch paths."""
    import torch  # noqa: F401  (the torch side only)
    programs = {}
    parser = doctest.DocTestParser()
    for path in paths:
        obj = importlib.import_module(path) if "." not in path or _is_module(path) else _resolve(path)
        for name in sorted(dir(obj)):
            if name.startswith("_") and name not in ("__add__", "__getitem__"):
                continue
            member = getattr(obj, name, None)
            doc = getattr(member, "__doc__", None)
            where = member.__name__ if isinstance(member, types.ModuleType) else getattr(member, "__module__", None)
            if not isinstance(doc, str) or ">>>" not in doc or not (where or "torch").startswith("torch"):
                continue  # (a name a torch module imported from elsewhere: typing.TypedDict, the uuid module)
            try:
                examples = parser.get_examples(doc)
            except ValueError:
                continue
            cuda = next((i for i, e in enumerate(examples) if _CUDA.search(e.source)), None)
            examples = examples[:cuda]  # (no GPU here: a program runs up to its first statement that needs one)
            if examples:
                programs[f"{path}.{name}"] = [e.source for e in examples]
    return programs


def _is_module(path):
    return importlib.util.find_spec(path) is not None


def _resolve(path):
    module, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module), attr)


class _TorchIsTinygrad(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Makes `import torch`, `import torch.nn.functional as F`, ... import tinygrad_ext's modules."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "torch" or fullname.startswith("torch."):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return importlib.import_module("tinygrad_ext" + spec.name[len("torch"):])

    def exec_module(self, module):
        pass


def _timeout(signum, frame):
    raise TimeoutError("example statement ran over 20 s")


def run(programs):
    """{name: [displayed text or '!ExceptionType: message' per statement]}"""
    import numpy as np
    results = {}
    signal.signal(signal.SIGALRM, _timeout)
    for name, sources in programs.items():
        print(name, file=sys.__stderr__, flush=True)  # a crash names its program
        import torch
        namespace = {"torch": torch, "np": np, "numpy": np, "nn": torch.nn, "F": torch.nn.functional,
                     "math": __import__("math")}
        module, _, short = name.rpartition(".")
        while short[:1].isupper() and module:  # a class's example names it bare (`m = Beta(...)`): from its
            with contextlib.suppress(ImportError):  # module, or the nearest package above that has it
                if hasattr(importlib.import_module(module), short):
                    namespace[short] = getattr(importlib.import_module(module), short)
                    break
            module = module.rpartition(".")[0]
        torch.manual_seed(0)
        outputs = []
        for source in sources:
            buffer = io.StringIO()
            signal.alarm(20)
            try:
                with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(io.StringIO()):
                    exec(compile(source, f"<{name}>", "single"), namespace)  # noqa: S102  (running the examples is the point)
                outputs.append(buffer.getvalue())
            except BaseException as e:  # noqa: BLE001  (every failure is a result here)
                base = next(c.__name__ for c in type(e).__mro__ if c.__module__ == "builtins")
                outputs.append(f"!{type(e).__name__}<{base}>: {str(e).splitlines()[0] if str(e) else ''}")
            finally:
                signal.alarm(0)
        results[name] = outputs
        torch.set_default_dtype(torch.float32)  # an example may change the defaults: the next starts afresh
        torch.set_default_device(None)
        torch.use_deterministic_algorithms(False)
    return results


def _close(theirs, ours):
    """Same printed numbers up to the last printed digit or two (two libraries' float rounding)."""
    numbers = [[float(m.group()) for m in _NUMBER.finditer(text)] for text in (theirs, ours)]
    return all(math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-3) for a, b in zip(*numbers))


def _normalized(text):
    """text without what differs between any two runs or libraries (addresses, how a function or a missing
    argument prints)."""
    text = _BUILTIN.sub(r"<function \1 at 0x>", _ADDRESS.sub("0x", text))
    return _MISSING.sub(r"missing \1 required argument \2", text)


def _same_exception(theirs, ours):
    """One builtin exception class (a library's own subclass of it is fine), and torch's message opens ours
    (which may go on to name the shapes)."""
    t, o = _EXCEPTION.match(theirs), _EXCEPTION.match(ours)
    return bool(t and o and t[2] == o[2] and o[3].startswith(t[3]))


def compare(programs, theirs, ours):
    """The report: one entry per program whose runs disagree, the worst kinds first."""
    kinds = {"ours raises": [], "values differ": [], "exception differs": [], "structure differs (random)": []}
    for name, sources in programs.items():
        random = bool(_RANDOM.search("\n".join(sources)))
        for source, t, o in zip(sources, theirs[name], ours[name]):
            t, o = (_normalized(x) for x in (t, o))
            if t == o or (_MASK.sub("#", t) == _MASK.sub("#", o) and (random or _close(t, o))) or (
                    random and _RUNS.sub("#", _MASK.sub("#", t)) == _RUNS.sub("#", _MASK.sub("#", o))) or \
                    _same_exception(t, o):
                continue
            if o.startswith("!") and not t.startswith("!"):
                kind = "ours raises"
            elif t.startswith("!"):
                kind = "exception differs"
            else:
                kind = "structure differs (random)" if random else "values differ"
            kinds[kind].append((name, source.strip(), t.strip(), o.strip()))
            break
    lines = [f"{len(programs)} docstring programs; " + ", ".join(f"{k}: {len(v)}" for k, v in kinds.items())]
    for kind, items in kinds.items():
        lines.append(f"\n## {kind} ({len(items)})\n")
        for name, source, t, o in items:
            lines += [f"### {name}", "```", source, f"--- torch:\n{t[:600]}", f"--- ours:\n{o[:600]}", "```"]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=["torch", "torch.Tensor", "torch.nn.functional"])
    parser.add_argument("--out", default="-")
    parser.add_argument("--side", choices=("torch", "ours"), help=argparse.SUPPRESS)
    parser.add_argument("--only", help="run only the programs whose name contains this")
    args = parser.parse_args(argv)
    if args.side:  # a child: programs on stdin, results on stdout
        programs = json.load(sys.stdin)
        if args.side == "ours":
            sys.meta_path.insert(0, _TorchIsTinygrad())
        json.dump(run(programs), sys.__stdout__)
        return 0
    programs = {k: v for k, v in collect(args.paths).items()
                if not any(f".{m}." in k or k.startswith(f"torch.{m}") for m in _SKIP_MODULES)
                and (args.only is None or args.only in k)}
    sides = {}
    for side in ("torch", "ours"):
        with tempfile.TemporaryDirectory() as scratch:  # examples save files (torch.save('tensor.pt')) in the cwd
            child = subprocess.run([sys.executable, "-m", "tests.doc_examples", "--side", side], cwd=scratch,
                                   input=json.dumps(programs), capture_output=True, text=True,
                                   env={**os.environ, "PYTHONPATH": _REPO})
        if child.returncode != 0:
            sys.exit(f"the {side} run failed (rc {child.returncode}):\n{child.stderr[-3000:]}")
        sides[side] = json.loads(child.stdout)
    report = compare(programs, sides["torch"], sides["ours"])
    if args.out == "-":
        print(report)
    else:
        with open(args.out, "w") as f:
            f.write(report + "\n")
        print(report.splitlines()[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
