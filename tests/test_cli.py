"""Operator commands: seed [--demo] and create-user (password from standard input)."""
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import ExpertProfile, Municipality, Region, Theme, User
from supportdesk.models.user import ROLES
from supportdesk.demo.users import DEMO_PASSWORD, DEMO_USERS
from tests.factories import municipality, region

GOOD_PASSWORD = "tsuyoi pasuwaado 2024"


def counts():
    db.session.expire_all()
    return {model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Region, Municipality, Theme, User, ExpertProfile)}


def invoke(app, *args, input=None):
    result = app.test_cli_runner().invoke(args=list(args), input=input)
    db.session.expire_all()
    return result


def test_seed_loads_41_municipalities_in_10_regions_and_is_idempotent(blank_app):
    db.create_all()
    assert counts()["Municipality"] == 0
    result = invoke(blank_app, "seed")
    assert result.exit_code == 0, result.output
    assert "41 municipalities" in result.output
    first = counts()
    assert first["Municipality"] == 41 and first["Region"] == 10 and first["User"] == 0
    assert first["Theme"] >= 19
    kobe = region("神戸")
    assert kobe.has_liaison is False
    assert [m.name for m in kobe.municipalities] == ["神戸市"]
    assert all(r.has_liaison for r in db.session.scalars(sa.select(Region)) if r.name != "神戸")
    sayo = municipality("28501")
    assert (sayo.name, sayo.kana, sayo.kind, sayo.region.name) == ("佐用町", "さようちょう", "町", "西播磨")
    kinds = set(db.session.scalars(sa.select(Municipality.kind)))
    assert kinds == {"市", "町", "政令市"}

    # A liaison's profile edits survive a second seed; nothing is duplicated.
    sayo.profile_note = "手で入力したメモ"
    db.session.commit()
    result = invoke(blank_app, "seed")
    assert result.exit_code == 0, result.output
    assert counts() == first
    assert municipality("28501").profile_note == "手で入力したメモ"


def test_seed_demo_creates_every_role_and_is_idempotent(app):
    result = invoke(app, "seed", "--demo")
    assert result.exit_code == 0, result.output
    first = counts()
    users = db.session.scalars(sa.select(User)).all()
    assert {u.role for u in users} == set(ROLES)
    from supportdesk.demo.surveys import SURVEY_ACCOUNT_PREFIX

    answering = [u for u in users if u.email.startswith(SURVEY_ACCOUNT_PREFIX)]
    assert len(users) - len(answering) == len(DEMO_USERS)
    assert answering and all(u.is_information_dept for u in answering)  # the surveys' respondents
    assert all(u.municipality is not None for u in users if u.role == "municipal_staff")
    assert all(u.regions or u.is_central_team for u in users if u.role == "liaison")
    assert any(u.is_central_team for u in users)
    assert all(u.expert_profile is not None for u in users if u.role == "expert")

    result = invoke(app, "seed", "--demo")
    assert result.exit_code == 0, result.output
    assert "seed_demo_users: 0" in result.output
    assert counts() == first


def test_demo_user_can_log_in(app, client):
    invoke(app, "seed", "--demo")
    email = next(e for e, _n, role, *_ in DEMO_USERS if role == "municipal_staff")
    resp = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert resp.status_code == 302


def test_create_user_reads_password_from_stdin_and_can_log_in(app, client):
    result = invoke(app, "create-user", "Sanro@Sayo.example.jp", "--role", "municipal_staff",
                    "--municipality", "28501", "--name", "佐用 三郎", input=GOOD_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert GOOD_PASSWORD not in result.output
    user = db.session.scalar(sa.select(User).where(User.email == "sanro@sayo.example.jp"))
    assert (user.role, user.display_name, user.municipality.name) == ("municipal_staff", "佐用 三郎",
                                                                      "佐用町")
    assert user.password_hash and GOOD_PASSWORD not in user.password_hash
    resp = client.post("/login", data={"email": "sanro@sayo.example.jp", "password": GOOD_PASSWORD})
    assert resp.status_code == 302
    assert "佐用町" in client.get("/", follow_redirects=True).get_data(as_text=True)


def test_create_liaison_with_regions(app):
    result = invoke(app, "create-user", "west@pref.example.jp", "--role", "liaison",
                    "--region", "西播磨", "--region", "中播磨", input=GOOD_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "west@pref.example.jp"))
    assert {r.name for r in user.regions} == {"西播磨", "中播磨"}
    assert user.display_name == "west@pref.example.jp"


def _user_count():
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count(User.id)))


def test_create_user_errors_create_nothing(app):
    cases = [
        (["bad1@example.jp", "--role", "municipal_staff", "--municipality", "99999"],
         GOOD_PASSWORD, "unknown municipality code: 99999"),
        (["bad2@example.jp", "--role", "liaison", "--region", "火星"],
         GOOD_PASSWORD, "unknown region: 火星"),
        (["bad3@example.jp", "--role", "admin"], "short", "パスワードは12文字以上にしてください。"),
        (["bad4@example.jp", "--role", "municipal_staff"], GOOD_PASSWORD,
         "市町職員には所属市町が必要です。"),
        (["bad5@example.jp", "--role", "wizard"], GOOD_PASSWORD, "wizard"),
    ]
    for args, password, message in cases:
        result = invoke(app, "create-user", *args, input=password + "\n")
        assert result.exit_code != 0, args
        assert message in result.output, result.output
        assert _user_count() == 0, args


def test_create_user_duplicate_email(app):
    args = ["dup@example.jp", "--role", "manager"]
    assert invoke(app, "create-user", *args, input=GOOD_PASSWORD + "\n").exit_code == 0
    result = invoke(app, "create-user", *args, input=GOOD_PASSWORD + "\n")
    assert result.exit_code != 0
    assert "このメールアドレスは既に登録されています。" in result.output
    assert _user_count() == 1
