"""The floors of STYLE.md C1, enforced: a module imports only from its own floor or lower, and no
two modules import each other, directly or around a longer loop.

Every `import` of every module under neuronio/ is read with `ast`, the lazy ones inside functions
included: a lazy import still ties the two modules together, it only delays the tie.

| floor | top-level names under neuronio/ |
|---|---|
| 0 | config, errors, _registry, _legacy (the one legacy-argument warning: the standard library only), _lambdas, _custom_objects |
| 1 | autodiff, ops, backend and random (Keras's keras.backend and keras.random) |
| 2 | initializers, activations, regularizers, constraints, losses, metrics, optimizers, layers |
| 3 | saving (it finds Sequential/Model through the registry, never by import); distribution (models as duck types) |
| 4 | models, callbacks |
| 5 | utils, cli, lab, visualize, apps, applications, preprocessing (Keras's legacy namespace, which
|   | re-exports utils' pad_sequences and timeseries helpers), wrappers (scikit-learn estimators), distillation, the
|   | package's __init__/__main__ |
| datasets | floor 0 only: datasets need nothing of the engine; floor 5 uses them |

A name that is not in the table is listed (and fails the test) until someone gives it a floor here
and in STYLE.md.
"""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1] / "neuronio"

FLOORS = {
    "config": 0,
    "errors": 0,
    "_registry": 0,
    "_legacy": 0,
    "_lambdas": 0,  # the one Lambda policy: config and errors only
    "_custom_objects": 0,  # the user's registered classes and functions, which every kind resolves
    "autodiff": 1,
    "ops": 1,
    "backend": 1,  # Keras's keras.backend: config and the ops' symbolic hook
    "random": 1,  # Keras's keras.random: seeded draws as ops
    "initializers": 2,
    "activations": 2,
    "regularizers": 2,
    "constraints": 2,
    "losses": 2,
    "metrics": 2,
    "optimizers": 2,
    "layers": 2,
    "distribution": 3,  # data-parallel training: knows models only as duck types; models import it
    "saving": 3,
    "models": 4,
    "callbacks": 4,
    "utils": 5,
    "cli": 5,
    "lab": 5,
    "visualize": 5,
    "apps": 5,
    "applications": 5,
    "preprocessing": 5,
    "wrappers": 5,
    "distillation": 5,  # Keras's keras.distillation: a Model subclass over two models  # Keras's keras.wrappers: scikit-learn estimators around models
    "__init__": 5,
    "__main__": 5,
    "datasets": 5,  # imported by floor 5; what datasets may import is ONLY_FLOOR_0 below
}
ONLY_FLOOR_0 = {"datasets"}  # these may import floor 0 (and themselves) only


# -- the checker (also run below on a small planted package) ------------------------------------------
def module_names(root: pathlib.Path) -> dict[str, pathlib.Path]:
    """'pkg.sub.mod' -> file, for every .py file under the package folder `root`."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = (root.name, *path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def imports_of(name: str, path: pathlib.Path, modules: set[str]) -> list[tuple[str, int]]:
    """(imported module, line) for every import in the file, at any depth (functions included).

    `from pkg.sub import thing` is an import of pkg.sub.thing when that is a module, else of pkg.sub;
    relative imports are resolved against the module's package.
    """
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append((sub if sub in modules else base, node.lineno))
    top = name.split(".")[0]
    return [(target, line) for target, line in found if target.split(".")[0] == top and target in modules]


def with_packages(name: str, targets) -> set[str]:
    """The targets and the packages they run first: importing pkg.sub.mod runs pkg/sub/__init__.py
    (the root package is left out: its __init__ imports every subpackage and none imports it)."""
    found = set(targets)
    for target in targets:
        parts = target.split(".")
        packages = {".".join(parts[:i]) for i in range(2, len(parts))}
        found |= {p for p in packages if not (name == p or name.startswith(p + "."))}  # not its own
    return found


def floor_of(module: str, floors: dict[str, int]) -> tuple[str, int]:
    parts = module.split(".")
    key = parts[1] if len(parts) > 1 else "__init__"
    if key not in floors:
        raise KeyError(f"{module}: '{key}' has no floor; give it one in tests/test_layering.py and STYLE.md C1")
    return key, floors[key]


def floor_violations(root: pathlib.Path, floors: dict, only_floor_0=frozenset()) -> list[str]:
    """Every import from a higher floor (or, for an only-floor-0 name, from above floor 0), and
    every module whose top-level name has no floor yet."""
    modules = module_names(root)
    problems = []
    for name, path in modules.items():
        where = path.relative_to(root.parent)
        try:
            key, floor = floor_of(name, floors)
        except KeyError as exc:
            problems.append(f"{where}: {exc.args[0]}")
            continue
        for target, line in imports_of(name, path, set(modules)):
            try:
                target_key, target_floor = floor_of(target, floors)
            except KeyError:
                continue  # reported as a module of its own
            limit = 0 if key in only_floor_0 else floor
            if target_key != key and target_floor > limit:
                problems.append(f"{where}:{line}: {name} (floor {limit}) imports {target} (floor {target_floor})")
    return problems


def import_cycles(root: pathlib.Path) -> list[list[str]]:
    """The strongly connected groups of two or more modules (or a module importing itself) in the
    import graph, packages run on the way included (Tarjan's algorithm, iterative)."""
    modules = module_names(root)
    graph = {
        name: sorted(with_packages(name, [t for t, _ in imports_of(name, path, set(modules))]))
        for name, path in modules.items()
    }
    index, low, on_stack, stack, cycles, counter = {}, {}, set(), [], [], 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(graph[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(graph[nxt])))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1 or node in graph[node]:
                        cycles.append(sorted(group))
    return cycles


# -- neuronio itself ------------------------------------------------------------------------------------
def test_every_import_goes_down_the_floors():
    problems = floor_violations(ROOT, FLOORS, ONLY_FLOOR_0)
    assert not problems, "imports from a higher floor (STYLE.md C1):\n" + "\n".join(problems)


def test_no_modules_import_each_other():
    cycles = import_cycles(ROOT)
    assert not cycles, "modules that import each other (move the shared code down):\n" + "\n".join(
        " <-> ".join(group) for group in cycles
    )


def test_every_top_level_name_has_a_floor():
    names = {path.stem if path.is_file() else path.name for path in ROOT.iterdir()}
    names = {n for n in names if not n.startswith(".") and n not in ("__pycache__", "static")}
    names = {
        n for n in names if (ROOT / n).is_dir() and (ROOT / n / "__init__.py").exists() or (ROOT / f"{n}.py").exists()
    }
    assert names <= set(FLOORS), (
        f"give these a floor in tests/test_layering.py and STYLE.md C1: {sorted(names - set(FLOORS))}"
    )


# -- the checker catches what it is for ------------------------------------------------------------------
def _package(tmp_path, files: dict[str, str]) -> pathlib.Path:
    root = tmp_path / "pkg"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


PLANTED_FLOORS = {"base": 0, "engine": 1, "front": 2, "data": 2, "__init__": 2}


def test_a_lazy_upward_import_is_caught(tmp_path):
    root = _package(
        tmp_path,
        {
            "base.py": "import os\n",
            "engine/__init__.py": "from pkg.engine import core\n",
            "engine/core.py": "from pkg import base\n\ndef f():\n    from pkg.front import page  # lazy, still upward\n",
            "front/__init__.py": "",
            "front/page.py": "from pkg.engine.core import f\nfrom .. import base\n",
        },
    )
    assert floor_violations(root, PLANTED_FLOORS) == [
        "pkg/engine/core.py:4: pkg.engine.core (floor 1) imports pkg.front.page (floor 2)"
    ]


def test_an_only_floor_0_package_may_not_import_its_neighbours(tmp_path):
    root = _package(tmp_path, {"base.py": "", "engine.py": "", "data.py": "from pkg import base, engine\n"})
    assert floor_violations(root, PLANTED_FLOORS, {"data"}) == [
        "pkg/data.py:1: pkg.data (floor 0) imports pkg.engine (floor 1)"
    ]


def test_a_cycle_is_caught_even_through_a_lazy_import(tmp_path):
    root = _package(
        tmp_path,
        {
            "engine/__init__.py": "",
            "engine/a.py": "from pkg.engine.b import g\n",
            "engine/b.py": "def g():\n    from pkg.engine import c\n",
            "engine/c.py": "from . import a\n",
            "engine/d.py": "from pkg.engine import a\n",  # imports into the loop, is not part of it
        },
    )
    assert import_cycles(root) == [["pkg.engine.a", "pkg.engine.b", "pkg.engine.c"]]


def test_a_name_without_a_floor_is_named(tmp_path):
    root = _package(tmp_path, {"newcomer.py": "from pkg import base\n", "base.py": ""})
    assert floor_violations(root, PLANTED_FLOORS) == [
        "pkg/newcomer.py: pkg.newcomer: 'newcomer' has no floor; give it one in tests/test_layering.py and STYLE.md C1"
    ]
