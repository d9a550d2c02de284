"""No module reaches into another's private names, and no other app reaches past the core's
service package into its submodules: what a module offers is what it names without an underscore,
and conversations.services is the core's one door for changes."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("conversations", "channels_in", "agents", "api", "outbound_webhooks", "config")


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
