"""No module reaches into another's private names, and no other app reaches past the core's
service package into its submodules: what a module offers is what it names without an underscore,
and conversations.services is the core's one door for changes."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "conversations",
    "channels_in",
    "customer_clients",
    "simulator",
    "agents",
    "desk",
    "api",
    "api_common",
    "outbound_webhooks",
    "knowledge",
    "answerbot",
    "audit",
    "config",
    "bench",
)


def app_modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node


def test_no_module_imports_another_modules_private_names():
    reaches = [
        f"{path.relative_to(ROOT)}:{node.lineno} from {'.' * node.level}{node.module} import {alias.name}"
        for path in app_modules()
        for node in imports(path)
        for alias in node.names
        if alias.name.startswith("_")
        and not alias.name.startswith("__")
        and not (node.level == 0 and node.module.split(".")[0] not in APPS)  # a library's, aliased
    ]
    assert reaches == []


def test_other_apps_use_the_service_package_not_its_submodules():
    reaches = [
        f"{path.relative_to(ROOT)}:{node.lineno} from {node.module}"
        for path in app_modules()
        if path.relative_to(ROOT).parts[0] != "conversations"
        for node in imports(path)
        if node.level == 0 and node.module.startswith("conversations.services.")
    ]
    assert reaches == []


def test_no_module_reads_a_private_name_off_another_apps_module():
    """`from customer_clients import visitors` then `visitors._SALT` is the same reach, spelled
    differently."""
    reaches = []
    for path in app_modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        modules = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in APPS
            for alias in node.names
        }
        reaches += [
            f"{path.relative_to(ROOT)}:{node.lineno} {node.value.id}.{node.attr}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ]
    assert reaches == []
