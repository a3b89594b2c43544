"""On the seeded demo desk, every municipal account can file a new request (form and API), and
its number follows the demo's numbers instead of colliding with one of them."""
import sqlalchemy as sa

from supportdesk.demo.users import DEMO_PASSWORD
from supportdesk.extensions import db
from supportdesk.models import SupportRequest, User
from tests.test_api import bearer


def _seed_demo(runner):
    result = runner.invoke(args=["seed", "--demo"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()


def _staff():
    return db.session.scalars(sa.select(User).where(
        User.role == "municipal_staff", User.email.like("%@demo.example.jp")).order_by(User.id)).all()


def _numbers():
    return list(db.session.scalars(sa.select(SupportRequest.number)
                                   .where(SupportRequest.number.is_not(None))))


def test_each_demo_municipal_account_files_through_the_form_and_the_api(app, client, runner):
    _seed_demo(runner)
    demo_numbers = set(_numbers())
    staff = _staff()
    assert len(staff) >= 6
    new_numbers = []
    for user in staff:
        client.post("/logout")
        resp = client.post("/login", data={"email": user.email, "password": DEMO_PASSWORD})
        assert resp.status_code == 302
        resp = client.post("/requests/new/consultation", data={
            "title": f"デモ後の相談({user.email})", "body": "窓口のデジタル化について",
            "help_wanted": ["advice"], "submit": "1"})
        assert resp.status_code == 302, (user.email, resp.status_code)
        sreq = db.session.scalar(sa.select(SupportRequest).where(
            SupportRequest.title == f"デモ後の相談({user.email})"))
        assert sreq.state == "submitted" and sreq.number, user.email
        new_numbers.append(sreq.number)
        page = client.get(resp.headers["Location"]).get_data(as_text=True)
        assert sreq.number in page

        resp = client.post("/api/v1/requests", headers=bearer(user, "write"), json={
            "kind": "consultation", "title": f"API経由の相談({user.email})",
            "body": "フォーム連携から", "help_wanted": ["advice"], "submit": True})
        assert resp.status_code == 201, (user.email, resp.get_data(as_text=True)[:300])
        new_numbers.append(resp.get_json()["number"])
    assert len(new_numbers) == len(set(new_numbers)) == 2 * len(staff)
    assert not demo_numbers & set(new_numbers)
    numbers = _numbers()
    assert len(numbers) == len(set(numbers))
