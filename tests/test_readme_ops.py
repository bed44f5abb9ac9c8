"""README.md's op list is generated (`_docs.op_list`, written by `python -m tinygrad_ext._stubgen`): it names every
registry entry with its family, variants and differentiable inputs, and every other public function."""
import pathlib

import pytest
import tinygrad_ext as torch
from tinygrad_ext import _docs, _registry

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
F = torch.nn.functional


def _block(text):
    begin, end = text.index(_docs.OP_LIST_BEGIN), text.index(_docs.OP_LIST_END)
    return text[begin:end + len(_docs.OP_LIST_END)]


@pytest.fixture(scope="module")
def rendered():
    return _docs.op_list(vars(torch), torch.Tensor, vars(F))


def test_readme_op_list_is_up_to_date(rendered):
    assert _block(README.read_text()) == rendered, (
        "README.md's op list is stale: run `python -m tinygrad_ext._stubgen` (it rewrites the list and the stubs)")


def test_every_registry_entry_has_its_row(rendered):
    for e in _registry.OPS:
        row = next(line for line in rendered.splitlines() if line.startswith(f"| `{e.name}` |"))
        assert f"| {e.family} |" in row
        if e.python == "generated":
            assert f"`torch.{e.name}(out=)`" in row and f"`Tensor.{e.name}_`" in row, row
        grads = [arg for arg, g in zip(("input", "other"), e.grad or ()) if g]
        assert row.endswith(f"| {', '.join(grads) or '-'} |"), row


def test_every_other_public_function_is_named(rendered):
    registry = {n for e in _registry.OPS for n in (e.name, e.name + "_")}
    for name in ("manual_seed", "einsum", "cat"):
        assert f"`{name}`" in rendered.split("**Other torch functions**")[1]
    for name in ("flatten", "backward"):
        assert f"`{name}`" in rendered.split("**Other Tensor methods**")[1]
    assert "`view`" not in rendered.split("**Other Tensor methods**")[1] and "| `view` |" in rendered  # (a VIEWS row)
    assert "`conv2d`" in rendered.split("**Other torch.nn.functional functions**")[1]
    assert "`exp`" not in rendered.split("**Other torch functions**")[1] and "exp" in registry


def test_with_op_list_needs_the_markers():
    with pytest.raises(ValueError, match="op-list markers"):
        _docs.with_op_list("# no list here\n", "x")
    text = f"a\n{_docs.OP_LIST_BEGIN}\nold\n{_docs.OP_LIST_END}\nb\n"
    assert _docs.with_op_list(text, "NEW") == "a\nNEW\nb\n"
