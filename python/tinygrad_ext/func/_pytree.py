"""Nested tuples, lists and dicts of leaves (the pytrees torch.func takes and returns): flatten to a list of
leaves plus a spec, and rebuild from the spec."""


def tree_flatten(tree):
    """(leaves, spec) of a nest of tuples, lists and dicts; anything else is a leaf (spec None)."""
    if isinstance(tree, (tuple, list)):
        leaves, specs = [], []
        for item in tree:
            sub, spec = tree_flatten(item)
            leaves += sub
            specs.append(spec)
        return leaves, (tuple if isinstance(tree, tuple) else list, None, specs)
    if isinstance(tree, dict):
        leaves, specs = [], []
        for item in tree.values():
            sub, spec = tree_flatten(item)
            leaves += sub
            specs.append(spec)
        return leaves, (dict, list(tree), specs)
    return [tree], None


def tree_unflatten(leaves, spec):
    """The nest of `spec` holding `leaves` in order."""
    it = iter(leaves)

    def build(s):
        if s is None:
            return next(it)
        kind, keys, specs = s
        items = [build(sub) for sub in specs]
        return dict(zip(keys, items)) if kind is dict else kind(items)
    return build(spec)


def tree_map(fn, tree):
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(x) for x in leaves], spec)
