"""An accessibility check for the browser tests: axe-core (vendored, tests/browser/vendor/axe-core/)
injected into a Playwright page or frame and run against WCAG 2.x levels A and AA.

Only serious and critical findings count: those stop someone from using the page (an unnamed
button, text too faint to read, a form field no screen reader can name). The checked document is
the page or frame itself; axe does not descend into its iframes (each frame is checked on its own,
as the widget's is).

A page whose Content-Security-Policy forbids inline scripts (the widget's frame) needs a browser
context opened with bypass_csp=True, or the injected axe never runs.
"""

from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Frame, Page

AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = ("serious", "critical")


@dataclass(frozen=True)
class Exemption:
    """One rule switched off for one element that is not ours to fix, and why (Django's stock
    admin markup, say). `target` is axe's selector for the element, as a failure prints it."""

    rule: str
    target: str
    reason: str


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    help_url: str
    targets: list[str]
    snippets: list[str]
    failure_summaries: list[str]

    def __str__(self) -> str:
        lines = [f"[{self.impact}] {self.rule}: {self.help} ({self.help_url})"]
        for target, snippet, summary in zip(self.targets, self.snippets, self.failure_summaries, strict=True):
            lines.append(f"    at {target}")
            lines.append(f"       {snippet[:300]}")
            lines.extend(f"       {line}" for line in summary.splitlines() if line.strip())
        return "\n".join(lines)


def serious_violations(
    document: Page | Frame, *, exemptions: list[Exemption] | None = None
) -> list[Violation]:
    """The serious and critical WCAG 2.x A/AA violations axe finds in `document` as it is now.
    `exemptions`: (rule, element) pairs not counted; each must still be found, so an exemption
    that outlives its reason fails the check."""
    if not document.evaluate("() => typeof window.axe === 'object'"):
        document.add_script_tag(path=str(AXE_JS))
        if not document.evaluate("() => typeof window.axe === 'object'"):
            raise RuntimeError(
                "axe-core did not load: the page's Content-Security-Policy blocks inline scripts; "
                "open the browser context with bypass_csp=True"
            )
    found = document.evaluate(
        """async tags => {
            const results = await axe.run(document, {
                runOnly: {type: "tag", values: tags},
                resultTypes: ["violations"],
                iframes: false,
            });
            return results.violations.map(v => ({
                rule: v.id, impact: v.impact, help: v.help, help_url: v.helpUrl,
                nodes: v.nodes.map(n => ({
                    target: n.target.map(String).join(" >>> "),
                    html: n.html, impact: n.impact, summary: n.failureSummary || "",
                })),
            }));
        }""",
        WCAG_A_AA,
    )
    exempt = {(exemption.rule, exemption.target) for exemption in exemptions or []}
    used: set[tuple[str, str]] = set()
    violations = []
    for rule in found:
        nodes = []
        for node in rule["nodes"]:
            if (rule["rule"], node["target"]) in exempt:
                used.add((rule["rule"], node["target"]))
            elif (node["impact"] or rule["impact"]) in BLOCKING:
                nodes.append(node)
        if nodes:
            violations.append(
                Violation(
                    rule=rule["rule"],
                    impact=rule["impact"],
                    help=rule["help"],
                    help_url=rule["help_url"],
                    targets=[node["target"] for node in nodes],
                    snippets=[node["html"] for node in nodes],
                    failure_summaries=[node["summary"] for node in nodes],
                )
            )
    stale = exempt - used
    assert not stale, f"exemptions no longer needed (remove them): {sorted(stale)}"
    return violations


def assert_accessible(document: Page | Frame, what: str, **options) -> None:
    """Fail with every serious or critical violation in `document`, readably."""
    violations = serious_violations(document, **options)
    assert not violations, f"{what}: {len(violations)} serious or critical accessibility violation(s)\n" + (
        "\n".join(str(violation) for violation in violations)
    )
