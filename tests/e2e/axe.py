"""axe-core in the browser tests: injected from tests/e2e/node_modules (a test-only npm package,
installed by `python3 run.py test` from package-lock.json; never in static/, never served)."""
import os

AXE_JS = os.path.join(os.path.dirname(__file__), "node_modules", "axe-core", "axe.min.js")
BLOCKING = ("serious", "critical")


def axe_path():
    assert os.path.exists(AXE_JS), "axe-core is missing: run `npm ci --prefix tests/e2e` " \
        "(python3 run.py test does it)"
    return AXE_JS


def axe_results(page):
    """axe's whole result on the page as it is now (its default rules: WCAG 2.x A/AA and best
    practices, plus the name-contains-visible-text check): the violations in full, and for the
    conformance report the rules that passed, did not apply, or need a person to decide."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=axe_path())
    return page.evaluate("""async () => {
        const r = await axe.run(document, {
            // experimental in axe, on here: a control's name must contain its visible text
            rules: {"label-content-name-mismatch": {enabled: true}}});
        const brief = list => list.map(v => ({id: v.id, tags: v.tags, impact: v.impact,
                                              help: v.help, nodes: v.nodes.length}));
        return {version: r.testEngine.version, passes: brief(r.passes),
                incomplete: brief(r.incomplete), inapplicable: r.inapplicable.length,
                violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    tags: v.tags,
                    nodes: v.nodes.map(n => ({target: n.target.join(" "),
                                              html: n.html.slice(0, 200),
                                              summary: n.failureSummary}))}))};
    }""")


def blocking(result):
    return [v for v in result["violations"] if v["impact"] in BLOCKING]


def run_axe(page):
    """The serious and critical violations on the page as it is now."""
    return blocking(axe_results(page))


def describe(violations_by_page):
    """One readable block per page: rule, impact, what to fix, and each element."""
    lines = []
    for where, violations in violations_by_page.items():
        lines.append(f"\n== {where}")
        for v in violations:
            lines.append(f"  [{v['impact']}] {v['id']}: {v['help']}")
            for n in v["nodes"][:5]:
                lines.append(f"      at {n['target']}\n         {n['html']}")
                lines.append("         " + n["summary"].replace("\n", "\n         "))
            if len(v["nodes"]) > 5:
                lines.append(f"      ... and {len(v['nodes']) - 5} more")
    return "\n".join(lines)
