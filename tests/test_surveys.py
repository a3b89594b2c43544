"""Surveys (調査・照会): the table, building and opening, answering (draft, submit, correct,
versions), who may see an answer, the reminder and overdue jobs, and the results."""
import io
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from supportdesk import permissions
from supportdesk.calendar_jp import business_days_before
from supportdesk.extensions import db
from supportdesk.models import AuditLog, InAppNotification, OutboxMessage, SurveyResponseVersion
from supportdesk.roles import Role
from supportdesk.services import ValidationFailed
from supportdesk.services.surveys import answering
from supportdesk.services.surveys.answering import (AnswersInvalid, save_response_draft,
                                                    submit_response)
from supportdesk.services.surveys.building import add_question, move_question, open_survey
from supportdesk.services.reports.figures import month_period
from supportdesk.services.surveys.figures import survey_figures
from supportdesk.services.surveys.notices import send_survey_notices
from supportdesk.services.surveys.results import (answers_csv, answers_xlsx, question_summary,
                                                  status_rows)
from supportdesk.workflows.surveys import (TRANSITIONS, AnswerStatus, SurveyAction, SurveyStatus,
                                           allowed_survey_actions, answer_status)
from tests.factories import (make_liaison, make_staff, make_survey, make_user, municipality,
                             region)

NOW = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)        # Monday 10:00 in Tokyo
DEADLINE = date(2026, 12, 18)                          # Friday
REMINDER_DAY = datetime(2026, 12, 15, 0, 0, tzinfo=UTC)  # 3 business days before, 09:00 JST
AFTER = datetime(2026, 12, 21, 0, 0, tzinfo=UTC)       # Monday after the deadline


def test_the_table_and_the_answer_status_rule():
    assert allowed_survey_actions("draft", Role.LIAISON) == [SurveyAction.OPEN]
    assert allowed_survey_actions("open", Role.MANAGER) == [SurveyAction.CLOSE]
    assert allowed_survey_actions("draft", Role.STAFF) == []
    assert all(t.to != SurveyStatus.DRAFT for t in TRANSITIONS.values())
    d = date(2026, 12, 18)
    assert answer_status(has_draft=False, submitted=False, deadline=d, today=d) == \
        AnswerStatus.NOT_STARTED
    assert answer_status(has_draft=True, submitted=False, deadline=d, today=d) == \
        AnswerStatus.IN_PROGRESS
    assert answer_status(has_draft=True, submitted=False, deadline=d, today=date(2026, 12, 19)) \
        == AnswerStatus.OVERDUE
    assert answer_status(has_draft=True, submitted=True, deadline=d, today=date(2027, 1, 5)) == \
        AnswerStatus.ANSWERED
    assert business_days_before(date(2026, 12, 18), 3) == date(2026, 12, 15)
    assert business_days_before(date(2027, 1, 4), 1) == date(2026, 12, 28)  # 12/29-1/3 closed


@pytest.fixture
def people(app):
    return dict(liaison=make_liaison("西播磨", "中播磨"), sayo_info=make_staff("佐用町", info_dept=True),
                sayo_other=make_staff("佐用町"), kamikawa_info=make_staff("神河町", info_dept=True),
                toyooka=make_staff("豊岡市", info_dept=True))


def _survey(people, **kw):
    return make_survey(people["liaison"], deadline=DEADLINE, now=NOW, **kw)


def test_opening_fixes_targets_and_tells_each_municipalitys_respondents(people):
    survey = _survey(people)
    assert survey.status == "open"
    assert survey.scope_municipality_ids() == {municipality("佐用町").id, municipality("神河町").id}
    bells = db.session.scalars(sa.select(InAppNotification.user_id).where(
        InAppNotification.event_type == "survey.opened")).all()
    assert sorted(bells) == sorted([people["sayo_info"].id, people["kamikawa_info"].id])
    mail = db.session.scalar(sa.select(OutboxMessage).where(
        OutboxMessage.event_type == "survey.opened", OutboxMessage.channel == "email"))
    assert survey.title in mail.subject and "2026-12-18" in mail.body
    actions = set(db.session.scalars(sa.select(AuditLog.action)))
    assert {"survey.create", "survey.question.add", "survey.open"} <= actions
    # Staff of a municipality the survey was not sent to do not see it; drafts are never seen.
    assert permissions.can(people["sayo_other"], "view", survey)
    assert not permissions.can(people["toyooka"], "view", survey)
    draft = make_survey(people["liaison"], open_it=False, now=NOW, deadline=DEADLINE)
    assert not permissions.can(people["sayo_info"], "view", draft)
    with pytest.raises(ValidationFailed):
        add_question(survey, people["liaison"], kind="number", label="後から", now=NOW)


def test_builder_refuses_a_choice_without_choices_and_reorders(people):
    survey = make_survey(people["liaison"], open_it=False, now=NOW, deadline=DEADLINE)
    with pytest.raises(ValidationFailed) as exc:
        add_question(survey, people["liaison"], kind="single_choice", label="どれ",
                     options=["ひとつ"], now=NOW)
    assert exc.value.field == "options" and "2つ以上" in str(exc.value)
    first, second = survey.questions
    move_question(second, people["liaison"], "up", now=NOW)
    assert [q.id for q in survey.questions] == [second.id, first.id]
    with pytest.raises(permissions.PermissionDenied):
        open_survey(survey, people["sayo_info"], now=NOW)


def test_draft_by_anyone_submit_by_info_dept_and_corrections_keep_versions(people):
    survey = _survey(people)
    n_q, c_q = survey.questions
    other = people["sayo_other"]
    # A wrong number is refused beside its field, nothing saved.
    with pytest.raises(AnswersInvalid) as exc:
        save_response_draft(survey, other, values={n_q.field_name: "三人"}, now=NOW)
    assert exc.value.errors == {n_q.field_name: "数値を半角で入力してください。"}
    r = save_response_draft(survey, other, values={n_q.field_name: "3"}, now=NOW)
    db.session.commit()
    assert r.status == "draft" and r.answers == {str(n_q.id): 3}
    assert status_rows(survey, NOW)[0][1] in (AnswerStatus.IN_PROGRESS, AnswerStatus.NOT_STARTED)
    with pytest.raises(ValidationFailed, match="情報部門"):
        submit_response(survey, other, values={n_q.field_name: "3", c_q.field_name: "はい"},
                        now=NOW)
    db.session.rollback()
    info = people["sayo_info"]
    submit_response(survey, info, values={n_q.field_name: "3", c_q.field_name: "はい"}, now=NOW)
    db.session.commit()
    submit_response(survey, info, values={n_q.field_name: "4", c_q.field_name: "はい"},
                    now=REMINDER_DAY)
    db.session.commit()
    versions = db.session.scalars(sa.select(SurveyResponseVersion).order_by(
        SurveyResponseVersion.version)).all()
    assert [(v.version, v.answers[str(n_q.id)]) for v in versions] == [(1, 3), (2, 4)]
    with pytest.raises(ValidationFailed, match="訂正"):
        submit_response(survey, info, values={n_q.field_name: "5"}, now=AFTER)
    db.session.rollback()
    assert {"survey.response.draft", "survey.response.submit", "survey.response.correct"} <= set(
        db.session.scalars(sa.select(AuditLog.action)))


def test_required_answers_are_asked_for_on_submit_and_choices_are_checked(people):
    survey = _survey(people, questions=[
        dict(kind="short_text", label="担当課", options=None, required=True),
        dict(kind="multiple_choice", label="導入済み", options=["RPA", "AI-OCR", "生成AI"]),
        dict(kind="date", label="移行予定日", options=None),
        dict(kind="table", label="システム", options=["業務", "ベンダ"])])
    text, multi, day, table = survey.questions
    with pytest.raises(AnswersInvalid) as exc:
        submit_response(survey, people["sayo_info"], values={
            multi.field_name: ["RPA", "量子"], day.field_name: "2027/13/40"}, now=NOW)
    assert set(exc.value.errors) == {text.field_name, multi.field_name, day.field_name}
    r = submit_response(survey, people["sayo_info"], values={
        text.field_name: "情報政策課", multi.field_name: ["生成AI", "RPA"],
        day.field_name: "2027-03-31", f"{table.field_name}_r0_c0": "住民記録",
        f"{table.field_name}_r0_c1": "A社", f"{table.field_name}_r1_c0": ""}, now=NOW)
    assert r.answers[str(multi.id)] == ["RPA", "生成AI"]  # in the question's order
    assert r.answers[str(table.id)] == [["住民記録", "A社"]]


def test_file_answers_use_the_upload_checks(people):
    survey = _survey(people, questions=[dict(kind="file", label="チェックリスト", options=None)])
    q = survey.questions[0]
    with pytest.raises(AnswersInvalid) as exc:
        save_response_draft(survey, people["sayo_info"],
                            uploads={q.field_name: ("list.pdf", b"not a pdf")}, values={}, now=NOW)
    assert "一致しません" in exc.value.errors[q.field_name]
    r = save_response_draft(survey, people["sayo_info"], values={},
                            uploads={q.field_name: ("list.pdf", b"%PDF-1.7\n...")}, now=NOW)
    assert r.answers[str(q.id)]["filename"] == "list.pdf"
    kept = submit_response(survey, people["sayo_info"], values={}, now=NOW)  # no new file
    assert kept.versions[-1].answers[str(q.id)]["file_id"] == r.answers[str(q.id)]["file_id"]


def test_nobody_outside_sees_an_answer(people):
    survey = _survey(people)
    n_q, c_q = survey.questions
    r = submit_response(survey, people["sayo_info"], values={n_q.field_name: "2",
                                                             c_q.field_name: "いいえ"}, now=NOW)
    db.session.commit()
    tajima = make_liaison("但馬")
    manager = make_user("manager")
    assert permissions.can(people["sayo_other"], "view", r)
    assert not permissions.can(people["kamikawa_info"], "view", r)
    assert not permissions.can(tajima, "view", r)
    assert permissions.can(people["liaison"], "view", r) and permissions.can(manager, "view", r)
    assert b"\xe4\xbd\x90\xe7\x94\xa8" not in answers_csv(survey, tajima)  # 佐用 not in its CSV
    with pytest.raises(permissions.PermissionDenied):
        save_response_draft(survey, people["toyooka"], values={}, now=NOW)


def test_reminder_then_overdue_list_once_each_in_office_hours(people):
    survey = _survey(people)
    n_q, c_q = survey.questions
    submit_response(survey, people["kamikawa_info"], values={n_q.field_name: "1",
                                                             c_q.field_name: "はい"}, now=NOW)
    db.session.commit()
    assert send_survey_notices(now=NOW)["items"] == 0  # before the reminder day
    assert send_survey_notices(now=REMINDER_DAY)["reminders"] == 1  # Kamikawa answered
    db.session.commit()
    assert send_survey_notices(now=REMINDER_DAY)["items"] == 0
    mail = db.session.scalar(sa.select(OutboxMessage).where(
        OutboxMessage.event_type == "survey.reminder", OutboxMessage.channel == "email"))
    assert mail.to_address == people["sayo_info"].email
    assert mail.next_attempt_at >= datetime(2026, 12, 14, 23, 30, tzinfo=UTC)  # 08:30 JST
    overdue = send_survey_notices(now=AFTER)
    db.session.commit()
    assert overdue["overdue"] >= 1 and send_survey_notices(now=AFTER)["items"] == 0
    note = db.session.scalar(sa.select(InAppNotification).where(
        InAppNotification.event_type == "survey.overdue",
        InAppNotification.user_id == people["liaison"].id))
    assert "佐用町" in note.body and "神河町" not in note.body
    rows = {m.name: st for m, st, _r in status_rows(survey, AFTER)}
    assert rows == {"佐用町": AnswerStatus.OVERDUE, "神河町": AnswerStatus.ANSWERED}
    late = submit_response(survey, people["sayo_info"], values={n_q.field_name: "2",
                                                                c_q.field_name: "いいえ"}, now=AFTER)
    assert late.versions[-1].late is True
    # The monthly report's figures: one survey sent, two answers due, one of them in time.
    figures = survey_figures(month_period(2026, 12))
    assert figures == {"surveys_sent": 1, "answers_due": 2, "answer_rate": 50.0,
                       "answer_days_median": 7.0}  # 0 days (神河町) and 14 days (佐用町)
    assert survey_figures(month_period(2026, 12), region_ids=[region("但馬").id])[
        "surveys_sent"] == 0


def test_results_csv_xlsx_and_summary(people):
    survey = _survey(people)
    n_q, c_q = survey.questions
    for who, n, c in (("sayo_info", "3", "はい"), ("kamikawa_info", "1", "いいえ")):
        submit_response(survey, people[who], values={n_q.field_name: n, c_q.field_name: c},
                        now=NOW)
    db.session.commit()
    data = answers_csv(survey, people["liaison"])
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "佐用町" in text and "神河町" in text and "はい" in text
    wb = load_workbook(io.BytesIO(answers_xlsx(survey, people["liaison"])))
    values = [[c.value for c in row] for row in wb["回答"].iter_rows(min_row=3)]
    assert sorted(v[1] for v in values) == ["佐用町", "神河町"]
    summary = {s["question"].id: s for s in question_summary(survey, people["liaison"])}
    assert ("平均", 2.0) in summary[n_q.id]["lines"]
    assert summary[c_q.id]["bars"] == [("はい", 1), ("いいえ", 1)]
    nishiharima_only = make_liaison("西播磨")  # 神河町 is in 中播磨: not this liaison's answer
    assert "神河町" not in answers_csv(survey, nishiharima_only).decode("utf-8-sig")


def test_a_mapped_answer_updates_the_dx_tracker_with_its_history(people):
    from supportdesk.services.municipalities.status import (current_value, item_by_key,
                                                           value_history)
    from tests.factories import make_status_value

    sayo = municipality("佐用町")
    make_status_value(sayo, "cio_appointed", "いいえ", as_of=date(2026, 4, 1),
                      now=datetime(2026, 4, 1, 1, tzinfo=UTC))
    survey = _survey(people, questions=[
        dict(kind="single_choice", label="CIOを任命していますか", options=["はい", "いいえ"],
             status_item_key="cio_appointed"),
        dict(kind="number", label="マイナンバーカード交付率(%)", options=None,
             status_item_key="mynumber_card_rate"),
        dict(kind="short_text", label="備考", options=None)])
    cio_q, rate_q, _note = survey.questions
    submit_response(survey, people["sayo_info"], values={
        cio_q.field_name: "はい", rate_q.field_name: "78", _note.field_name: "特になし"}, now=NOW)
    db.session.commit()
    cio = current_value(sayo, item_by_key("cio_appointed"))
    assert cio.source_kind == "survey" and cio.source_ref == f"survey:{survey.id}:v1"
    assert cio.set_by_id == people["sayo_info"].id and cio.as_of == date(2026, 12, 7)
    history = value_history(sayo, item_by_key("cio_appointed"))
    assert [h.source_kind for h in history][-2:] in (["import", "survey"], ["survey", "import"])
    assert len(history) == 2  # the earlier value stays readable
    assert current_value(sayo, item_by_key("mynumber_card_rate")).value_number == 78
    db.session.refresh(sayo)
    assert sayo.cio_appointed is True  # the profile column follows the tracker
    # Another municipality's values are untouched.
    assert current_value(municipality("神河町"), item_by_key("cio_appointed")) is None


def test_a_survey_for_a_contact_role_is_answered_by_the_role_holder(people):
    from supportdesk import permissions
    from tests.factories import make_contact

    cio_user = make_staff("佐用町")
    make_contact("佐用町", "cio", user=cio_user)
    survey = _survey(people, recipient_role="cio")
    assert permissions.survey_respondents(survey, municipality("佐用町").id) == [cio_user]
    # A municipality whose CIO has no account: its 情報部門 answers.
    assert permissions.survey_respondents(survey, municipality("神河町").id) == \
        [people["kamikawa_info"]]
    n_q, c_q = survey.questions
    with pytest.raises(Exception):
        submit_response(survey, people["sayo_info"], values={n_q.field_name: "1",
                                                            c_q.field_name: "はい"}, now=NOW)
    db.session.rollback()
    r = submit_response(survey, cio_user, values={n_q.field_name: "1", c_q.field_name: "はい"},
                        now=NOW)
    assert r.version == 1

