"""The house's directions, read from the code's own imports with `ast` (imports inside
functions count): every import points down a layer, no module imports one above it, no
import circle anywhere, and no first-party import hides inside a function.

The layers, top to bottom (README, "Development"):

    config                     settings, URLs, WSGI: nothing below imports it
    interfaces                 the public form, the admin, the API, commands, sign-in pages
    services                   the business actions every interface calls
    worker                     what db_worker runs (inside: fan-out -> deliveries ->
                               emails/webhooks -> failures)
    reads                      the read model (selectors) and the lead as JSON
    models                     tables and their querysets
    helpers                    counting, validators, demo data, the request helpers in web/

`accounts` sits below `leads` (a lead names its attorney; a user knows no lead), and `web`
below both.
"""

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from config.testing import ROOT

PACKAGES = ("config", "accounts", "leads", "web")
# Each layer and the modules in it, by dotted prefix; a module belongs to the layer of its
# longest matching prefix. Top first.
LAYERS = [
    ("config", ["config"]),
    (
        "interfaces",
        [
            "leads.intake",
            "leads.admin",
            "leads.api",
            "leads.management",
            "leads.templatetags",
            "leads.checks",
            "leads.downloads",
            "leads.apps",
            "accounts.admin",
            "accounts.views",
            "accounts.urls",
            "accounts.forms",
            "accounts.signin",
            "accounts.middleware",
            "accounts.authentication",
            "accounts.management",
            "accounts.apps",
        ],
    ),
    ("services", ["leads.services", "accounts.services"]),
    ("worker: the loop", ["leads.worker.runner"]),
    ("worker: fan-out", ["leads.worker.fanout"]),
    ("worker: erasure", ["leads.worker.erasure"]),
    ("worker: what is queued", ["leads.worker.queued"]),
    ("worker: follow-ups", ["leads.worker.followups"]),
    ("worker: deliveries", ["leads.worker.deliveries", "leads.worker.files", "leads.worker.resume_text"]),
    ("worker: channels", ["leads.worker.emails", "leads.worker.webhooks"]),
    ("worker: failures", ["leads.worker.failures", "leads.worker.outbound", "leads.worker.extract"]),
    ("reads", ["leads.selectors", "leads.representations", "leads.letters", "leads.rollup"]),
    ("models", ["leads.models", "accounts.models"]),
    (
        "helpers",
        [
            "leads.counting",
            "leads.compiled",
            "leads.addresses",
            "leads.validators",
            "leads.resume_check",
            "leads.recipients",
            "leads.demo",
            "leads.translations",
            "leads.business_time",
            "leads",
            "accounts",
            "web",
            "web.clientip",
            "web.responses",
            "web.language",
        ],
    ),
]
# Package faces placed on a layer of their own: their modules are placed one by one.
ONLY_ITSELF = {"leads", "accounts", "web"}
# Whole apps that must never import another, whatever the layers say.
APART = [("accounts", "leads", "a user knows no lead"), ("web", "leads", "web is below both apps"),
         ("web", "accounts", "web is below both apps")]  # fmt: skip


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported first-party module
    line: int
    in_function: bool


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_files(root: Path, packages=PACKAGES) -> Iterator[Path]:
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).parts
            if "tests" in relative or "migrations" in relative or path.name == "conftest.py":
                continue
            yield path


def imports_of(path: Path, root: Path, packages=PACKAGES) -> Iterator[Import]:
    """Every first-party import in `path`, resolved to a module (relative imports included)."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(), filename=str(path))
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    inside = {id(node) for function in functions for node in ast.walk(function) if node is not function}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            # `from pkg import module` imports the module; `from module import name`, the module.
            targets = [
                f"{base}.{alias.name}"
                if (root / (base + "." + alias.name).replace(".", "/")).with_suffix(".py").exists()
                or (root / (base + "." + alias.name).replace(".", "/")).is_dir()
                else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            if target.split(".")[0] in packages:
                yield Import(name, target, node.lineno, id(node) in inside)


def layer_of(module: str) -> int:
    """The index of the module's layer in LAYERS (0 is the top): its longest prefix's; a
    package's own __init__ (ONLY_ITSELF) matches only itself, so a new module is placed by hand."""
    best, best_length = None, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or (prefix not in ONLY_ITSELF and module.startswith(prefix + "."))
            if matches and len(prefix) > best_length:
                best, best_length = index, len(prefix)
    if best is None:
        raise LookupError(f"{module} is on no layer: add it to LAYERS")
    return best


def all_imports(root: Path = ROOT, packages=PACKAGES) -> list[Import]:
    return [found for path in source_files(root, packages) for found in imports_of(path, root, packages)]


def upward(imports: list[Import]) -> list[str]:
    return [
        f"{i.source}:{i.line} imports {i.target} ({LAYERS[layer_of(i.target)][0]} is above "
        f"{LAYERS[layer_of(i.source)][0]})"
        for i in imports
        if layer_of(i.target) < layer_of(i.source)
    ]


def circles(imports: list[Import]) -> list[list[str]]:
    """The import circles (strongly connected components of more than one module)."""
    graph: dict[str, set[str]] = {}
    for i in imports:
        if i.source != i.target:
            graph.setdefault(i.source, set()).add(i.target)
            graph.setdefault(i.target, set())
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
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
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def hidden(imports: list[Import]) -> list[str]:
    return [
        f"{i.source}:{i.line} imports {i.target} inside a function"
        for i in imports
        if i.in_function and not i.source.endswith(".apps")
    ]


def across(imports: list[Import]) -> list[str]:
    return [
        f"{i.source}:{i.line} imports {i.target}: {why}"
        for i in imports
        for lower, upper, why in APART
        if i.source.split(".")[0] == lower and i.target.split(".")[0] == upper
    ]


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return all_imports()


def test_every_module_is_on_a_layer(imports):
    for module in {i.source for i in imports} | {i.target for i in imports}:
        layer_of(module)


def test_no_module_imports_one_above_it(imports):
    assert upward(imports) == []


def test_no_import_circle_anywhere(imports):
    assert circles(imports) == []


def test_no_first_party_import_hides_inside_a_function(imports):
    assert hidden(imports) == []


def test_accounts_and_web_import_nothing_of_the_apps_above_them(imports):
    assert across(imports) == []


def write(root: Path, module: str, text: str) -> None:
    path = root / (module.replace(".", "/") + ".py")
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in path.relative_to(root).parents:
        (root / parent / "__init__.py").touch()
    path.write_text(text)


def test_an_import_from_a_lower_layer_to_a_higher_one_is_reported(tmp_path):
    write(tmp_path, "leads.models", "from leads import services\n")
    write(tmp_path, "leads.services", "from leads.models import Lead\n")

    found = all_imports(tmp_path, packages=("leads",))

    assert upward(found) == ["leads.models:1 imports leads.services (services is above models)"]
    assert circles(found) == [["leads.models", "leads.services"]]


def test_an_import_inside_a_function_is_reported(tmp_path):
    write(tmp_path, "leads.worker.webhooks", "def send():\n    from leads.worker import deliveries\n")
    write(tmp_path, "leads.worker.deliveries", "")

    found = all_imports(tmp_path, packages=("leads",))

    assert hidden(found) == ["leads.worker.webhooks:2 imports leads.worker.deliveries inside a function"]
    assert upward(found) == [
        "leads.worker.webhooks:2 imports leads.worker.deliveries "
        "(worker: deliveries is above worker: channels)"
    ]
