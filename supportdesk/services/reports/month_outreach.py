"""The monthly report's outreach and knowing figures for several months at once (lectures,
participants, satisfaction, support actions, engagements, surveys, DX status): one query per
figure or group of figures over all the months, as in month_figures."""
from datetime import timedelta
from statistics import median

import sqlalchemy as sa

from ...extensions import db
from ...models import (Engagement, ExpertProfile, Municipality, StatusValue, Survey,
                      SurveyResponse, SurveyTarget, SupportAction, SupportRequest,
                      SystemMigration, Visit)
from ...models.engagement import Achievement
from ...models.support_request import AUDIENCES, LECTURE_FORMATS
from ...models.visit import (SatisfactionResponse, SatisfactionSource, VisitRecord,
                             visit_attendees, visit_municipalities)
from ...timeutil import JST
from .month_figures import _bucket, _count_if, _held, _in, within
from .outreach import ROLE_COLUMNS
from ..regions import member_ids_at_end


# --- visits: lectures, participants, visits by kind ------------------------------------------

def visits(periods, region_ids):
    """{key: {"lectures": figures.lectures, "participants": outreach.participants,
    "visits_by_kind": figures.visits_by_kind}}: one pass over the months' held visits."""
    total = sum(ROLE_COLUMNS.values())
    program = sa.func.coalesce(SupportRequest.program, sa.literal_column("'other'"))
    formats_text = sa.cast(SupportRequest.formats, sa.Text)
    audiences_text = sa.cast(SupportRequest.audiences, sa.Text)
    places = (sa.select(sa.func.count()).where(visit_municipalities.c.visit_id == Visit.id)
              .correlate(Visit).scalar_subquery())
    cols = [sa.func.count(Visit.id), sa.func.count(sa.case((places > 1, 1))),
            sa.func.sum(total), *[sa.func.sum(c) for c in ROLE_COLUMNS.values()],
            *[sa.func.count(sa.case((formats_text.like(f'%"{k}"%'), Visit.id)))
              for k in LECTURE_FORMATS]]
    for key in AUDIENCES:
        named = audiences_text.like(f'%"{key}"%')
        cols += [sa.func.count(sa.case((named, Visit.id))),
                 sa.func.sum(sa.case((named, total), else_=0))]
    bucket, by_bucket = _bucket(Visit.starts_at, periods)
    program = program.label("program_key")
    rows = db.session.execute(
        sa.select(bucket, Visit.kind, program, *cols).select_from(Visit)
        .outerjoin(SupportRequest, SupportRequest.id == Visit.request_id)
        .outerjoin(VisitRecord, VisitRecord.visit_id == Visit.id)
        .where(*_held(periods, region_ids))
        .group_by(by_bucket, Visit.kind, sa.literal_column("program_key"))).all()
    out = {}
    for p in periods:
        out[p.key] = {
            "lectures": {"held": 0, "joint": 0, "by_program": {},
                         "by_format": {k: 0 for k in LECTURE_FORMATS}},
            "participants": {"total": 0, "by_role": {k: 0 for k in ROLE_COLUMNS},
                             "by_audience": {k: {"lectures": 0, "participants": 0}
                                             for k in AUDIENCES}},
            "visits_by_kind": {}}
    nf, nr = len(LECTURE_FORMATS), len(ROLE_COLUMNS)
    for b, kind, prog, n, joint, people, *rest in rows:
        fig = out[periods[b].key]
        fig["visits_by_kind"][kind] = fig["visits_by_kind"].get(kind, 0) + n
        if kind != "lecture":
            continue
        lect, part = fig["lectures"], fig["participants"]
        lect["held"] += n
        lect["joint"] += joint
        lect["by_program"][prog] = lect["by_program"].get(prog, 0) + n
        part["total"] += people or 0
        for i, key in enumerate(ROLE_COLUMNS):
            part["by_role"][key] += rest[i] or 0
        for i, key in enumerate(LECTURE_FORMATS):
            lect["by_format"][key] += rest[nr + i]
        for i, key in enumerate(AUDIENCES):
            aud = part["by_audience"][key]
            aud["lectures"] += rest[nr + nf + 2 * i]
            aud["participants"] += rest[nr + nf + 2 * i + 1] or 0
    return out


def satisfaction(periods, region_ids):
    """{key: outreach.satisfaction} for every month in one grouped query."""
    bucket, by_bucket = _bucket(Visit.starts_at, periods)
    rows = db.session.execute(
        sa.select(bucket, SatisfactionResponse.source, sa.func.count(SatisfactionResponse.id),
                  sa.func.sum(SatisfactionResponse.rating),
                  sa.func.count(sa.case((SatisfactionResponse.rating >= 4, 1))))
        .join(Visit, Visit.id == SatisfactionResponse.visit_id)
        .where(Visit.kind == "lecture", *_held(periods, region_ids))
        .group_by(by_bucket, SatisfactionResponse.source)).all()
    acc = {p.key: [] for p in periods}
    for b, source, count, rating_sum, top in rows:
        acc[periods[b].key].append((source, count, rating_sum, top))
    out = {}
    for key, groups in acc.items():
        by_source = {s.value: {"responses": 0, "average": None} for s in SatisfactionSource}
        n = total = top = 0
        for source, count, rating_sum, top_count in groups:
            source = getattr(source, "value", source)
            by_source[source] = {"responses": count, "average": round(float(rating_sum) / count, 2)}
            n, total, top = n + count, total + rating_sum, top + top_count
        out[key] = ({"responses": 0, "average": None, "top_share": None, "by_source": by_source}
                    if not n else
                    {"responses": n, "average": round(float(total) / n, 2),
                     "top_share": round(100 * top / n, 1), "by_source": by_source})
    return out


def expert_dispatches(period, region_ids):
    stmt = (sa.select(ExpertProfile.kind, sa.func.count())
            .select_from(visit_attendees)
            .join(ExpertProfile, ExpertProfile.user_id == visit_attendees.c.user_id)
            .join(Visit, Visit.id == visit_attendees.c.visit_id)
            .where(*_held([period], region_ids))
            .group_by(ExpertProfile.kind))
    return dict(db.session.execute(stmt).all())


def support_given(periods, region_ids):
    """{key: figures.support_given}: actions by kind and the bridges' departments, one query."""
    bucket, by_bucket = _bucket(SupportAction.at, periods)
    stmt = (sa.select(bucket, SupportAction.kind, SupportAction.target_department, sa.func.count())
            .where(within(SupportAction.at, periods))
            .group_by(by_bucket, SupportAction.kind, SupportAction.target_department))
    if region_ids is not None:
        stmt = stmt.where(SupportAction.request_id.in_(
            sa.select(SupportRequest.id).where(SupportRequest.region_id.in_(region_ids))))
    out = {p.key: {"by_kind": {}, "bridges": {}} for p in periods}
    for b, kind, dept, n in db.session.execute(stmt):
        fig = out[periods[b].key]
        fig["by_kind"][kind] = fig["by_kind"].get(kind, 0) + n
        if kind == "bridge":
            fig["bridges"][dept] = fig["bridges"].get(dept, 0) + n
    for fig in out.values():
        # By count; departments with the same count in name order (no department first).
        fig["bridges"] = sorted(fig["bridges"].items(),
                                key=lambda kv: (-kv[1], kv[0] is not None, kv[0] or ""))
    return out


def engagements(periods, region_ids):
    """{key: outreach.engagements}: active at month end, opened, closed by 達成度; one query."""
    cols, conds = [], []
    for p in periods:
        last_day = (p.end - timedelta(days=1)).date()
        active = sa.and_(Engagement.starts_on <= last_day,
                         sa.or_(Engagement.closed_at.is_(None), Engagement.closed_at >= p.end))
        opened = sa.and_(Engagement.starts_on >= p.start.date(), Engagement.starts_on <= last_day)
        closed = sa.and_(Engagement.closed_at >= p.start, Engagement.closed_at < p.end,
                         Engagement.achievement.is_not(None))
        if region_ids is not None:  # the region's municipalities at the month's end
            members = Engagement.municipality_id.in_(member_ids_at_end(region_ids, p.end))
            active, opened, closed = (sa.and_(c, members) for c in (active, opened, closed))
        cols += [_count_if(active), _count_if(opened), _count_if(closed)]
        conds += [active, opened, closed]
    stmt = (sa.select(Engagement.achievement, *cols).where(sa.or_(*conds))
            .group_by(Engagement.achievement))
    rows = db.session.execute(stmt).all()
    out = {}
    for i, p in enumerate(periods):
        closed = {getattr(a, "value", a): row[3 * i + 3] for row in rows for a in [row[0]]}
        out[p.key] = {"active": sum(row[3 * i + 1] for row in rows),
                      "opened": sum(row[3 * i + 2] for row in rows),
                      "closed_by_achievement": {a.value: closed.get(a.value, 0) or 0
                                                for a in Achievement}}
    return out


# --- surveys and DX status --------------------------------------------------------------------

def surveys(periods, region_ids):
    """{key: surveys.figures.survey_figures}: the target pairs of the months in one query."""
    days_of = [(p.start.astimezone(JST).date(), p.end.astimezone(JST).date()) for p in periods]
    stmt = (sa.select(Survey.id, Survey.opened_at, Survey.deadline,
                      SurveyResponse.first_submitted_at, SurveyTarget.municipality_id)
            .select_from(SurveyTarget).join(Survey, Survey.id == SurveyTarget.survey_id)
            .outerjoin(SurveyResponse, sa.and_(
                SurveyResponse.survey_id == SurveyTarget.survey_id,
                SurveyResponse.municipality_id == SurveyTarget.municipality_id))
            .where(sa.or_(within(Survey.opened_at, periods),
                          within(SurveyResponse.first_submitted_at, periods),
                          *[sa.and_(Survey.deadline >= s, Survey.deadline < e)
                            for s, e in days_of])))
    if region_ids is not None:  # each month: the region's municipalities at its end
        ends = {p.key: set(member_ids_at_end(region_ids, p.end)) for p in periods}
        stmt = stmt.where(SurveyTarget.municipality_id.in_(sorted(set().union(*ends.values()))))
    all_rows = db.session.execute(stmt).all()
    out = {}
    for p, (start_day, end_day) in zip(periods, days_of):
        rows = [row[:4] for row in all_rows
                if region_ids is None or row[4] in ends[p.key]]
        sent = {sid for sid, opened, _d, _f in rows if p.start <= opened < p.end}
        due = [(deadline, first) for _s, _o, deadline, first in rows
               if start_day <= deadline < end_day]
        on_time = sum(1 for deadline, first in due
                      if first is not None and first.astimezone(JST).date() <= deadline)
        days = [(first - opened).total_seconds() / 86400 for _s, opened, _d, first in rows
                if first is not None and p.start <= first < p.end]
        out[p.key] = {"surveys_sent": len(sent), "answers_due": len(due),
                      "answer_rate": round(100 * on_time / len(due), 1) if due else None,
                      "answer_days_median": round(median(days), 1) if days else None}
    return out


def status_figures(periods, region_ids):
    """{key: knowing.status_figures} in one statement."""
    # A region's municipalities are those it had at each month's end (services/regions).
    ends = ({p.key: member_ids_at_end(region_ids, p.end) for p in periods}
            if region_ids is not None else None)

    def scoped(model, p=None):
        if region_ids is None:
            return [within(model.set_at, periods) if p is None else _in(model.set_at, p)]
        if p is not None:
            return [_in(model.set_at, p), model.municipality_id.in_(ends[p.key])]
        return [within(model.set_at, periods),
                model.municipality_id.in_(sorted(set().union(*ends.values())))]

    cols = []
    for p in periods:
        inside = sa.and_(*scoped(StatusValue, p))
        systems = (sa.select(sa.func.count(SystemMigration.id))
                   .where(*scoped(SystemMigration, p))
                   .scalar_subquery())
        cols += [_count_if(inside), sa.func.count(sa.distinct(
            sa.case((inside, StatusValue.municipality_id)))), systems]
    row = db.session.execute(sa.select(*cols).where(*scoped(StatusValue))).one()
    return {p.key: {"status_updates": row[3 * i], "status_municipalities": row[3 * i + 1],
                    "standardisation_updates": row[3 * i + 2] or 0}
            for i, p in enumerate(periods)}
