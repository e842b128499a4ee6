"""Layers point one way. Read from the source (every import, at module level or inside a function):

- ``core`` (with ``extensions``) imports no feature, and imports nothing of the project inside a
  function: an import hidden in a function is how a cycle hides;
- a feature imports only ``core`` and the features below it in LAYERS;
- no module imports itself back through others;
- pages (``views``) never import an ``api`` module: what both need lives in a module of its own.

A new feature goes into LAYERS above everything it uses; a page that brings features together
belongs to ``home``, the top.
"""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "volunteer_hub"

# Lowest first. Entry points (create_app, cli, demo, models) sit above them all.
LAYERS = ("core", "nodes", "people", "notifications", "teams", "themes", "events", "credits", "checkin", "certificates",
          "merchants", "vouchers", "needs", "roster", "announcements", "reports", "scheduler", "backup", "home")
ENTRY_POINTS = {"__init__", "cli", "demo", "models"}


def _layer(module: str) -> str:
    """``volunteer_hub.events.services`` → ``events``; ``volunteer_hub.extensions`` and ``.config`` → ``core``."""
    parts = module.split(".")
    name = parts[1] if len(parts) > 1 else "__init__"
    return "core" if name in ("extensions", "config") else name


def _is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _imports():
    """(file, importing module, imported module, inside a function?) for every project import."""
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        module = ".".join(("volunteer_hub", *relative.with_suffix("").parts)).removesuffix(".__init__")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        nested = {id(node) for fn in ast.walk(tree) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
                  for node in ast.walk(fn)}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("volunteer_hub"):
                # ``from volunteer_hub.people import services`` imports the module people.services.
                names = [f"{node.module}.{alias.name}" if _is_module(f"{node.module}.{alias.name}") else node.module
                         for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names if alias.name.startswith("volunteer_hub")]
            else:
                continue
            for name in names:
                yield relative.as_posix(), module, name, id(node) in nested


def test_every_package_has_a_layer():
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()} - {"static", "translations"}
    assert packages <= set(LAYERS), f"give these a place in LAYERS: {sorted(packages - set(LAYERS))}"


def test_core_is_a_leaf():
    wrong = [f"{file} imports {target}" + (" inside a function" if nested else "")
             for file, module, target, nested in _imports()
             if _layer(module) == "core" and (_layer(target) != "core" or nested)]
    assert not wrong, "\n".join(wrong)


def test_features_import_only_what_is_below_them():
    rank = {name: i for i, name in enumerate(LAYERS)}
    upward = {(file, target) for file, module, target, _nested in _imports()
              if _layer(module) not in ENTRY_POINTS and _layer(target) != _layer(module)
              and rank[_layer(target)] > rank[_layer(module)]}
    assert not upward, "imports that point up the layers:\n" + "\n".join(sorted(map(" → ".join, upward)))


def test_pages_do_not_import_the_api():
    wrong = [f"{file} imports {target}" for file, module, target, _nested in _imports()
             if module.endswith(".views") and target.endswith(".api")]
    assert not wrong, "\n".join(wrong)


def test_no_module_imports_itself_back():
    graph = {}
    for _file, module, target, _nested in _imports():
        graph.setdefault(module, set()).add(target)
    modules = set(graph) | {t for targets in graph.values() for t in targets}

    def resolve(name):
        return name if name in graph else None

    cycles, state = [], {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(filter(None, map(resolve, graph.get(node, ())))):
            if state.get(nxt) == "open":
                cycles.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for module in sorted(modules):
        if module not in state:
            visit(module, [module])
    real = [c for c in cycles if not any(_layer(m) in ENTRY_POINTS for m in c)]
    assert not real, "\n".join(" → ".join(c) for c in real)
