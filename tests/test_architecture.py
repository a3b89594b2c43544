"""The arrows that may not exist (docs/architecture.md names the same ones).

Read from the source with `ast`, imports inside functions included, so a lazy import cannot
sneak an arrow back in. Each rule says which part may not import which.
"""
import ast
import pathlib
import re

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "supportdesk"

# (importing part, forbidden part, why). A part is a dotted prefix of module names.
FORBIDDEN = [
    ("supportdesk.workflow", "supportdesk", "the state machine table is pure"),
    ("supportdesk.workflows", "supportdesk", "the other state machine tables are pure"),
    ("supportdesk.models", "supportdesk.services", "models hold data, not rules"),
    ("supportdesk.models", "supportdesk.notifications", "models do not announce"),
    ("supportdesk.models", "supportdesk.views", "models know no pages"),
    ("supportdesk.models", "supportdesk.api", "models know no API"),
    ("supportdesk.permissions", "supportdesk.services", "permissions are below the services"),
    ("supportdesk.permissions", "supportdesk.views", "permissions know no pages"),
    ("supportdesk.notifications", "supportdesk.services", "services call notifications, never back"),
    ("supportdesk.notifications", "supportdesk.views", "notifications know no pages"),
    ("supportdesk.notifications", "supportdesk.api", "notifications know no API"),
    ("supportdesk.services", "supportdesk.views", "services never read a page's module"),
    ("supportdesk.services", "supportdesk.api", "services never read the API's module"),
    ("supportdesk.services", "supportdesk.cli", "services are called by the CLI, not the reverse"),
    ("supportdesk.services", "supportdesk.scheduler", "jobs call services, not the reverse"),
    ("supportdesk.api", "supportdesk.views", "the API and the pages are siblings"),
    ("supportdesk.views", "supportdesk.api", "the pages and the API are siblings"),
    ("supportdesk.views", "supportdesk.cli", "pages do not reach into the CLI"),
]
# The state machine tables: they may import nothing but N_.
PURE_TABLES = ("supportdesk.workflow", "supportdesk.workflows")
# Business code never imports the demo data (only the CLI's seed command does).
DEMO = "supportdesk.demo"
DEMO_ALLOWED = ("supportdesk.cli", "supportdesk.demo")
# Nothing imports views except the factory that registers the blueprints (and views itself).
VIEWS = "supportdesk.views"
VIEWS_ALLOWED = ("supportdesk", "supportdesk.views")


def _module_name(path):
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_package(path):
    return path.name == "__init__.py"


def _resolve(module, path, node):
    """Absolute module names an import node brings in."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = module if _is_package(path) else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        base = base.rpartition(".")[0]
    if node.level == 0:
        base = node.module or ""
    elif node.module:
        base = f"{base}.{node.module}"
    # `from . import cli` imports the module supportdesk.cli; `from .x import y` imports x.
    return [f"{base}.{alias.name}" for alias in node.names] + [base]


def _imports():
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update(_resolve(module, path, node))
        out[module] = (path, tree, names)
    return out


IMPORTS = _imports()


def _within(name, part):
    return name == part or name.startswith(part + ".")


@pytest.mark.parametrize("importer, forbidden, why", FORBIDDEN,
                         ids=[f"{a}-/->{b}" for a, b, _ in FORBIDDEN])
def test_forbidden_arrow(importer, forbidden, why):
    offenders = sorted(
        f"{module} imports {name}"
        for module, (_path, _tree, names) in IMPORTS.items() if _within(module, importer)
        for name in names
        if _within(name, forbidden) and not _within(name, importer)
        and not (importer in PURE_TABLES  # N_ marks strings; roles is pure too
                 and (_within(name, "supportdesk.i18n") or _within(name, "supportdesk.roles")
                      or name == "supportdesk")))
    assert not offenders, f"{why}: {offenders}"


def test_business_code_never_imports_the_demo():
    offenders = sorted(f"{module} imports {name}" for module, (_p, _t, names) in IMPORTS.items()
                       if not any(_within(module, a) for a in DEMO_ALLOWED)
                       for name in names if _within(name, DEMO))
    assert not offenders, offenders


def test_nothing_imports_views_but_the_factory():
    offenders = sorted(f"{module} imports {name}" for module, (_p, _t, names) in IMPORTS.items()
                       if module not in VIEWS_ALLOWED and not _within(module, VIEWS)
                       for name in names if _within(name, VIEWS))
    assert not offenders, offenders


def test_no_module_edits_another_modules_registry_at_import():
    """At module level, no assignment into another module (`home.ROLE_HOME = ...`) and no call
    on another module's registry (`cli.DEMO_SEEDERS.append(...)`): registries are declared where
    they live, or filled by an explicit register_* call from the factory."""
    offenders = []
    for module, (_path, tree, _names) in IMPORTS.items():
        imported = {(a.asname or a.name).split(".")[0] for node in tree.body
                    if isinstance(node, (ast.Import, ast.ImportFrom)) for a in node.names}
        # Names taken from another module of the package: `from .x import REGISTRY`.
        borrowed = {(a.asname or a.name) for node in tree.body
                    if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "")
                                                             .startswith("supportdesk"))
                    for a in node.names if (a.asname or a.name).isupper()}
        statements = list(tree.body)
        for node in tree.body:  # one level of `if` at module level, as in `if x not in ...:`
            if isinstance(node, ast.If):
                statements += node.body + node.orelse
        for node in statements:
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                for target in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                    if isinstance(target, (ast.Attribute, ast.Subscript)) \
                            and _root(target) in imported:
                        offenders.append(f"{module}:{node.lineno} {ast.unparse(target)}")
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                func = node.value.func
                if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Attribute)
                        and func.value.attr.isupper() and _root(func) in imported) or (
                        isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                        and func.value.id in borrowed):
                    offenders.append(f"{module}:{node.lineno} {ast.unparse(func)}")
    assert not offenders, offenders


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def test_the_rules_here_are_the_rules_in_the_architecture_page():
    page = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    for importer, forbidden, _why in FORBIDDEN:
        short = f"`{importer.removeprefix('supportdesk.')}` → `{forbidden.removeprefix('supportdesk.')}`"
        if forbidden == "supportdesk":
            short = f"`{importer.removeprefix('supportdesk.')}` → anything"
        assert short in page, short


# Pages and the API ask permissions.py (or a service rule named for what it decides) instead of
# comparing a user's role themselves. Querying users *by* role (`User.role == Role.EXPERT` in a
# select) is data, not a rule, and stays allowed.
ROLE_DECIDERS = ("supportdesk.views", "supportdesk.api")


def _compares_a_users_role(node):
    """`x.role == ...`, `x.role != ...`, `x.role in ...` where x is a user object, not the
    `User` model class."""
    if not isinstance(node, ast.Compare):
        return False
    sides = [node.left, *node.comparators]
    return any(isinstance(side, ast.Attribute) and side.attr == "role"
               and not (isinstance(side.value, ast.Name) and side.value.id == "User")
               for side in sides)


def test_pages_and_the_api_do_not_decide_by_comparing_roles():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        if not any(_within(module, part) for part in ROLE_DECIDERS):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        offenders += [f"{module}:{n.lineno} {ast.unparse(n)}" for n in ast.walk(tree)
                      if _compares_a_users_role(n)]
    assert not offenders, offenders


TEMPLATE_LITERAL = re.compile(r"""\.(state|status|role)\s*(==|!=|\bin\b)\s*[\"'(\[]""")


def test_templates_compare_states_and_roles_through_enums_only():
    """A template names a state through its enum (`State.CLOSED`, `VisitState.HELD`) or asks a
    helper (`e.is_active`, `can_do(...)`): a renamed value then fails loudly instead of hiding a
    button."""
    offenders = []
    for path in sorted((PACKAGE.parent / "templates").rglob("*.html")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if TEMPLATE_LITERAL.search(line):
                offenders.append(f"{path.name}:{lineno} {line.strip()[:120]}")
    assert not offenders, offenders


def test_the_template_rule_sees_a_literal_comparison():
    assert TEMPLATE_LITERAL.search('{% if v.state == "held" %}')
    assert TEMPLATE_LITERAL.search("{% if user.role != 'expert' %}")
    assert not TEMPLATE_LITERAL.search("{% if v.state == VisitState.HELD %}")
    tree = ast.parse("current_user.role == Role.STAFF\nsa.select(User).where(User.role == r)")
    found = [n for n in ast.walk(tree) if _compares_a_users_role(n)]
    assert len(found) == 1 and found[0].lineno == 1
