"""The code's shape: no import circles in mirror/ and train/, and the runtime never imports the
training package. Every import statement counts, also those inside functions (a lazy import is
still a dependency)."""
from __future__ import annotations

import ast
import os

from conftest import ROOT

PACKAGES = ("mirror", "train")


def module_imports() -> dict[str, set[str]]:
    """{module: the project modules it imports}, e.g. {"mirror.run.app": {"mirror.face.align", ...}}."""
    files = {}
    for package in PACKAGES:
        for folder, _, names in os.walk(os.path.join(ROOT, package)):
            for name in names:
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    module = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                    files[module.removesuffix(".__init__")] = path
    graph = {}
    for module, path in files.items():
        with open(path) as f:
            tree = ast.parse(f.read(), path)
        targets = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                while name and name not in files:  # "mirror.backends.base.Backend" -> the module
                    name = name.rpartition(".")[0]
                if name and name != module:
                    targets.add(name)
        graph[module] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or round a loop (Tarjan)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
                on_stack.discard(group[-1])
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_walk_sees_the_packages():
    graph = module_imports()
    assert {"mirror.run.app", "mirror.backends.base", "train.training", "train.evaluate"} <= set(graph)
    assert "mirror.face.align" in graph["train.data"] or "mirror.face.align" in graph["train.prepare"]


def test_cycle_finder_finds_a_loop():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles():
    assert cycles(module_imports()) == []


def test_the_runtime_does_not_import_training():
    edges = [f"{module} -> {target}" for module, targets in module_imports().items() if module.startswith("mirror")
             for target in targets if target.split(".")[0] == "train"]
    assert edges == []
