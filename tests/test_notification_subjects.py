"""Every notification the desk sends has a subject in words, never an event code."""
import re

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import OutboxMessage

CODE = re.compile(r"\b[a-z_]+\.[a-z_0-9]+\b")


def test_demo_notifications_have_worded_subjects(app, runner):
    result = runner.invoke(args=["seed", "--demo"])
    assert result.exit_code == 0, result.output
    rows = db.session.execute(sa.select(OutboxMessage.event_type, OutboxMessage.subject)).all()
    kinds = {kind for kind, _ in rows}
    # The demo covers the events that used to show their code.
    assert {"expert.assigned", "expert.accepted", "engagement.opened"} <= kinds
    coded = {(kind, subject) for kind, subject in rows if subject and CODE.search(subject)}
    assert not coded
    subjects = {subject for _, subject in rows}
    assert any("派遣の引受" in s for s in subjects) and any("伴走支援の開始" in s for s in subjects)
