"""The demo data through the pages: each role opens its pages on the seeded desk."""
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import SupportRequest, User
from supportdesk.demo.requests import seed_demo_requests
from supportdesk.demo.users import DEMO_PASSWORD, seed_demo_users


def _login(client, email):
    client.post("/logout")
    resp = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert resp.status_code == 302


def test_demo_desk_pages_for_each_role(app, client):
    seed_demo_users()
    seed_demo_requests()
    db.session.commit()
    _login(client, "expert2@demo.example.jp")
    html = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "「データ利活用」講座(BIツール・GIS)の複数市町合同実施" in html  # waiting for an answer
    assert "審査会のペーパーレス化講座" not in html

    _login(client, "sayo.joho@demo.example.jp")
    html = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "首長・幹部向け「トップマネジメント」講座の合同開催について" in html
    assert "【内部】" not in html
    assert "トップマネジメント講座への参加申込" not in html  # 上郡町's own request

    _login(client, "liaison.nishiharima@demo.example.jp")
    sayo = client.get("/", follow_redirects=True)
    code = db.session.scalar(sa.select(User).where(User.email == "sayo.joho@demo.example.jp")
                             ).municipality.code
    html = client.get(f"/municipalities/{code}").get_data(as_text=True)
    assert sayo.status_code == 200
    assert "【内部】" in html and "派遣を引受" in html
    assert "事例" in client.get("/cases/").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportRequest)) >= 25
