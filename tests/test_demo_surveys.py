"""The demo surveys: one closed checklist answered by most of 西播磨・中播磨, one open survey with
partial answers (submitted, a draft, a correction), seen on the liaison's survey page."""
import sqlalchemy as sa

from supportdesk.demo.surveys import seed_demo_surveys
from supportdesk.demo.users import DEMO_PASSWORD, seed_demo_users
from supportdesk.extensions import db
from supportdesk.models import Survey


def test_demo_surveys_are_believable_and_idempotent(app, client):
    seed_demo_users()
    assert seed_demo_surveys() == 2
    db.session.commit()
    assert seed_demo_surveys() == 0
    closed, open_ = db.session.scalars(sa.select(Survey).order_by(Survey.id)).all()
    assert (closed.status, open_.status) == ("closed", "open")
    client.post("/login", data={"email": "liaison.nishiharima@demo.example.jp",
                                "password": DEMO_PASSWORD})
    html = client.get(f"/surveys/{open_.id}").get_data(as_text=True)
    for word in ("未着手", "回答中", "回答済"):
        assert word in html
    assert "<svg" in client.get(f"/surveys/{closed.id}/results").get_data(as_text=True)
