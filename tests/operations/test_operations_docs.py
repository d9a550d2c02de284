"""docs/operations.md, its alerting rules and its dashboard name only metrics Parley exposes, and
the page lists every one of them: a renamed metric cannot leave an alert that never fires."""

import json
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from operations import exposition

pytestmark = [pytest.mark.django_db]
DOCS = Path(__file__).resolve().parents[2] / "docs"
METRIC_NAME = re.compile(r"\bparley_[a-z_]+\b")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def exposed() -> tuple[set[str], set[str]]:
    """The families a web process's page declares, and every sample name they may have."""
    families = list(text_string_to_metric_families(exposition.web_page().decode()))
    ours = [family for family in families if family.name.startswith("parley_")]
    names = {family.name + suffix for family in ours for suffix in SUFFIXES.get(family.type, ("",))}
    return {family.name + ("_total" if family.type == "counter" else "") for family in ours}, names


def test_the_alerts_and_the_dashboard_use_only_metrics_parley_exposes():
    _, names = exposed()
    rules = yaml.safe_load((DOCS / "operations" / "prometheus-alerts.yml").read_text())
    expressions = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    dashboard = json.loads((DOCS / "operations" / "grafana-parley.json").read_text())
    queries = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]

    used = {name for text in expressions + queries for name in METRIC_NAME.findall(text)}
    assert used, "no metric found in the rules or the dashboard"
    assert used <= names, f"not exposed: {sorted(used - names)}"


def test_the_operations_page_lists_every_metric_and_only_those():
    families, _ = exposed()
    listed = set(re.findall(r"^\| `(parley_[a-z_]+)`", (DOCS / "operations.md").read_text(), re.M))

    assert listed == families
