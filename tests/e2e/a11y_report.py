"""The conformance report the browser tests write: for each main page of each role, axe-core's
result, as the JIS X 8341-3:2016 test report a tender asks for (docs/accessibility.md says what
tools cannot check and how that was checked).

Written to test-results/accessibility-report.md (a build artefact: git ignores test-results/),
or to the path in A11Y_REPORT; docs/accessibility-report.md is such a run, committed."""
import os
from supportdesk.timeutil import utcnow, wareki_date

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT = os.path.join(ROOT, "test-results", "accessibility-report.md")
IMPACTS = ("critical", "serious", "moderate", "minor")
# JIS X 8341-3:2016 is WCAG 2.0; axe also checks WCAG 2.1 and 2.2 A/AA and best practice.
LEVEL_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")


def report_path():
    return os.environ.get("A11Y_REPORT") or DEFAULT


def _criteria(tags):
    """'1.4.3' from axe's wcag143 tags."""
    out = []
    for tag in tags:
        digits = tag[4:]
        if tag.startswith("wcag") and digits.isdigit() and len(digits) >= 3:
            out.append(f"{digits[0]}.{digits[1]}.{digits[2:]}")
    return ", ".join(out)


def write_report(results, browser_version, path=None):
    """`results`: [(role, path, axe result)]. Returns the file written."""
    path = path or report_path()
    version = results[0][2]["version"] if results else "?"
    lines = [
        "# アクセシビリティ試験結果(自動試験) / Accessibility test report",
        "",
        f"- 実施日: {wareki_date(utcnow(), western=True)}",
        f"- 試験: `tests/e2e/test_accessibility.py` (axe-core {version}, Chromium "
        f"{browser_version}, ロケール ja-JP, 試験用のデモデータ)",
        "- 目標: JIS X 8341-3:2016 適合レベル AA (WCAG 2.0 AA と同一)。axe の規則のうち "
        + ", ".join(f"`{t}`" for t in LEVEL_TAGS) + " と best-practice を実行。",
        "- 合否: 影響度 critical / serious の違反が一つでもあれば試験は失敗する。",
        "- ツールでは判定できない達成基準とその確認方法: `docs/accessibility.md`。",
        "",
        "## ページごとの結果",
        "",
        "| 役割 | ページ | 合格した規則 | 違反 (critical / serious / moderate / minor) "
        "| 要確認の規則 |",
        "|---|---|---|---|---|",
    ]
    violations, review = {}, {}
    for role, where, result in results:
        counts = {i: 0 for i in IMPACTS}
        for v in result["violations"]:
            counts[v["impact"] or "minor"] += 1
            violations.setdefault(v["id"], (v, []))[1].append(f"{role} {where}")
        for v in result["incomplete"]:
            review.setdefault(v["id"], (v, []))[1].append(f"{role} {where}")
        lines.append(f"| {role} | `{where}` | {len(result['passes'])} | "
                     + " / ".join(str(counts[i]) for i in IMPACTS)
                     + f" | {len(result['incomplete'])} |")
    lines += ["", f"{len(results)} ページ。", "", "## 違反", ""]
    if not violations:
        lines.append("なし。")
    for rule, (v, pages) in sorted(violations.items()):
        lines.append(f"- `{rule}` ({v['impact']}; {_criteria(v['tags']) or 'best practice'}): "
                     f"{v['help']} — {len(pages)} ページ: " + ", ".join(pages[:8])
                     + (" …" if len(pages) > 8 else ""))
    lines += ["", "## 要確認 (axe が人の判断に委ねた規則)", "",
              "axe が自動では決められなかった箇所です。`docs/accessibility.md` の手順で確認しています。",
              ""]
    for rule, (v, pages) in sorted(review.items()):
        lines.append(f"- `{rule}` ({_criteria(v['tags']) or 'best practice'}): {v['help']} — "
                     f"{len(pages)} ページ")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return path
