"""Demo of the standardisation checklist sent through the surveys (`flask seed --demo`): open to
但馬・丹波, two municipalities have returned it, and their answers are in the standardisation
tracker with the survey as the source."""
import random
from datetime import timedelta

import sqlalchemy as sa

from ..calendar_jp import add_business_days
from ..extensions import db
from ..models import Municipality, Region, Survey, User
from ..services.municipalities.standardisation_checklist import create_checklist, parse_key
from ..services.surveys.answering import submit_response
from ..services.surveys.building import open_survey
from ..timeutil import JST, utcnow
from .cast import demo_cast
from .surveys import _respondent

DEMO_LIAISON = "liaison.tajima@demo.example.jp"
TITLE = "システム標準化・ガバメントクラウド チェックシート(但馬・丹波)"
ANSWERING = ("豊岡市", "丹波篠山市")


def seed_demo_checklist(now=None):
    """Idempotent: skipped once the checklist survey exists."""
    now = now or utcnow()
    cast = demo_cast()
    liaison = db.session.scalar(sa.select(User).where(User.email == cast(DEMO_LIAISON)))
    if liaison is None or db.session.scalar(
            sa.select(Survey.id).where(Survey.title == cast(TITLE))):
        return 0
    regions = db.session.scalars(sa.select(Region).where(Region.name.in_(cast(("但馬", "丹波"))))).all()
    opened = now - timedelta(days=4)
    survey = create_checklist(liaison, title=cast(TITLE), region_ids=[r.id for r in regions],
                              deadline=add_business_days(now.astimezone(JST).date(), 10),
                              now=opened)
    open_survey(survey, liaison, now=opened)
    questions = {parse_key(q.status_item_key): q for q in survey.questions}
    rnd = random.Random(20)
    codes = sorted({code for code, _field in questions})
    for i, name in enumerate(cast(ANSWERING)):
        m = db.session.scalar(sa.select(Municipality).where(Municipality.name == name))
        if m is None:
            continue
        values = {}
        for code in rnd.sample(codes, 4):
            done = rnd.random() < 0.5
            values[questions[code, "status"].field_name] = "移行完了" if done else "移行作業中"
            if done:
                values[questions[code, "migrated_on"].field_name] = (
                    now.astimezone(JST).date() - timedelta(days=rnd.randint(20, 200))).isoformat()
            else:
                values[questions[code, "planned_on"].field_name] = (
                    now.astimezone(JST).date() + timedelta(days=rnd.randint(30, 300))).isoformat()
            values[questions[code, "line_contracted"].field_name] = "はい"
        submit_response(survey, _respondent(survey, m), values=values,
                        now=opened + timedelta(days=1 + i, hours=2))
    db.session.flush()
    return 1
