"""Static audit: find forbidden APIs in a numpy exercise before it is run.

The numpy exercises (ex01-ex05) teach how convolution and pooling work, so a submission must not hand the
work to a library that already does it. The audit reads the module's syntax tree (it never runs it) and
names every forbidden import and call; the sandbox worker also refuses these imports at run time, which
catches `importlib` tricks the tree does not show.
"""

from __future__ import annotations

import ast

from autograder.course import FORBIDDEN_MODULES, FORBIDDEN_NUMPY, forbidden_imports

#: Exercises the policy applies to (the registry's numpy exercises); the Keras exercise may use Keras.
AUDITED_EXERCISES = tuple(forbidden_imports())


def _is_forbidden_module(name: str) -> bool:
    return any(name == banned or name.startswith(banned + ".") for banned in FORBIDDEN_MODULES)


def _breadth_first(tree: ast.AST) -> list[ast.AST]:
    """Every node of `tree` in `ast.walk`'s order (breadth first), in half its time: a list grown while it is
    read instead of a generator over `ast.iter_child_nodes`."""
    nodes = [tree]
    for node in nodes:
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, list):
                nodes.extend(item for item in value if isinstance(item, ast.AST))
            elif isinstance(value, ast.AST):
                nodes.append(value)
    return nodes


def forbidden_uses(source: str) -> list[str]:
    """The forbidden imports and numpy calls in a module's source, e.g. `["import scipy.signal", "np.convolve"]`.

    A module that does not parse returns no findings; the import reports its syntax error.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    numpy_names = {"numpy"}
    found: list[str] = []
    # One walk, breadth first (an alias is known before the calls below it), each node's type looked at once.
    for node in _breadth_first(tree):
        kind = type(node)
        if kind is ast.Attribute:
            # Only `name.function` can be a finding (`np.convolve`; not `np.linalg.convolve` or `f().convolve`).
            value = node.value
            if node.attr in FORBIDDEN_NUMPY and type(value) is ast.Name and value.id in numpy_names:
                found.append(f"{value.id}.{node.attr}")
        elif kind is ast.Import:
            for alias in node.names:
                if _is_forbidden_module(alias.name):
                    found.append(f"import {alias.name}")
                if alias.name == "numpy":
                    numpy_names.add(alias.asname or "numpy")
        elif kind is ast.ImportFrom and node.module:
            full = [f"{node.module}.{alias.name}" for alias in node.names]
            if _is_forbidden_module(node.module) or any(_is_forbidden_module(name) for name in full):
                found.append(f"from {node.module} import {', '.join(a.name for a in node.names)}")
            if node.module == "numpy":
                found += [f"from numpy import {a.name}" for a in node.names if a.name in FORBIDDEN_NUMPY]
    return sorted(set(found))
