"""The demo training: a course with applications (one waiting for approval, one on the waiting
list), a past course with completions, and a leader cohort whose one-week trainee is now a
contact of 佐用町; seen by the 情報部門 who approves and on the municipality page."""
import sqlalchemy as sa

from supportdesk.demo.training import TITLE, seed_demo_training
from supportdesk.demo.users import DEMO_PASSWORD, seed_demo_users
from supportdesk.extensions import db
from supportdesk.models import TrainingApplication, TrainingCourse
from supportdesk.services.contacts.directory import contacts_with_role


def test_demo_training_is_believable_and_idempotent(app, client):
    seed_demo_users()
    assert seed_demo_training() == 1
    db.session.commit()
    assert seed_demo_training() == 0
    course = db.session.scalar(sa.select(TrainingCourse).where(TrainingCourse.title == TITLE))
    states = sorted(db.session.scalars(sa.select(TrainingApplication.status).where(
        TrainingApplication.course_id == course.id)))
    assert states == ["confirmed", "confirmed", "pending", "waitlisted"]
    assert [c.name for c in contacts_with_role(["dx_leader"])] == ["佐用 未来"]
    client.post("/login", data={"email": "sayo.joho@demo.example.jp", "password": DEMO_PASSWORD})
    assert "承認待ちの受講申込" in client.get("/training").get_data(as_text=True)
    page = client.get("/municipalities/28501").get_data(as_text=True)
    assert "佐用 未来" in page and "情報セキュリティ eラーニング" in page
