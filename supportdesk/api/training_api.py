"""Training (研修) over the API, with the pages' scoping: municipal staff see the courses open to
them and their own municipality's applications and trainees (another municipality's answer
404); they apply with a write token. The prefecture reads everything."""
import sqlalchemy as sa
from flask_babel import gettext as _

from .. import permissions
from ..extensions import db
from ..models import LeaderTrainee, TrainingApplication, TrainingCourse
from ..services.training import applications as apps
from . import bp
from .core import (ApiError, api_route, api_user, dump, json_response, load_visible, parse_body,
                   parse_query)
from .pages import keyset_page
from .schemas.training import (ApplicationIn, ApplicationOut, ApplicationPage, CourseListQuery,
                               CourseOut, CoursePage, CourseSummary, MaterialOut,
                               TraineeListQuery, TraineeOut, TraineePage)

FIELDS = ("id", "title", "level", "format", "starts_on", "ends_on", "capacity", "apply_by",
          "requires_approval", "status")


def _refuse_unless(user, action, kind):
    if not permissions.can(user, action, kind):
        raise ApiError(403, _("この操作を行う権限がありません。"))


def _summary(c):
    return {f: getattr(c, f) for f in FIELDS}


def _application(a):
    return ApplicationOut(id=a.id, course_id=a.course_id, municipality_code=a.municipality.code,
                          applicant=a.user.display_name, status=a.status,
                          applied_at=a.applied_at, completed_at=a.completed_at)


@api_route(bp, "/training/courses", "GET", summary="Courses the caller may see (研修)",
           query=CourseListQuery, response=CoursePage, tag="training", errors=(401, 403, 429))
def list_courses():
    args = parse_query(CourseListQuery)
    user = api_user()
    _refuse_unless(user, "view", "training_course")
    stmt = permissions.scope_courses(sa.select(TrainingCourse), user)
    rows, next_cursor = keyset_page(stmt, TrainingCourse.id, args)
    return json_response(dump(CoursePage(items=[CourseSummary(**_summary(c)) for c in rows],
                                         next_cursor=next_cursor)))


@api_route(bp, "/training/courses/<int:course_id>", "GET",
           summary="One course with its seats and material", response=CourseOut, tag="training",
           errors=(401, 403, 404, 429))
def get_course(course_id):
    user = api_user()
    _refuse_unless(user, "view", "training_course")
    c = load_visible(TrainingCourse, course_id)
    return json_response(dump(CourseOut(
        **_summary(c), description=c.description, venue=c.venue, audience=c.audience,
        seats_taken=apps.seats_taken(c), waiting=len(apps.waiting_list(c)),
        materials=[MaterialOut(id=m.id, kind=m.kind, title=m.title, url=m.url, body=m.body)
                   for m in c.materials])))


@api_route(bp, "/training/courses/<int:course_id>/applications", "GET",
           summary="The course's applications the caller may read (staff: their municipality's)",
           query=CourseListQuery, response=ApplicationPage, tag="training",
           errors=(401, 403, 404, 429))
def list_applications(course_id):
    args = parse_query(CourseListQuery)
    user = api_user()
    _refuse_unless(user, "view", "training_application")
    c = load_visible(TrainingCourse, course_id)
    stmt = permissions.scope_training_applications(sa.select(TrainingApplication).where(
        TrainingApplication.course_id == c.id), user)
    rows, next_cursor = keyset_page(stmt, TrainingApplication.id, args)
    return json_response(dump(ApplicationPage(items=[_application(a) for a in rows],
                                              next_cursor=next_cursor)))


@api_route(bp, "/training/courses/<int:course_id>/applications", "POST",
           summary="Apply to a course for the caller's municipality (municipal staff)",
           scope="write", body=ApplicationIn, response=ApplicationOut, status=201,
           tag="training", errors=(401, 403, 404, 409, 429))
def apply(course_id):
    body = parse_body(ApplicationIn)
    user = api_user()
    _refuse_unless(user, "apply", "training_course")
    c = load_visible(TrainingCourse, course_id)
    a = apps.apply_to_course(c, user, note=body.note)
    db.session.commit()
    return json_response(dump(_application(a)), status=201)


@api_route(bp, "/training/trainees", "GET",
           summary="市町DX推進リーダー trainees the caller may see (staff: their municipality's)",
           query=TraineeListQuery, response=TraineePage, tag="training", errors=(401, 403, 429))
def list_trainees():
    args = parse_query(TraineeListQuery)
    user = api_user()
    _refuse_unless(user, "view", "leader_trainee")
    stmt = permissions.scope_leader_trainees(sa.select(LeaderTrainee), user)
    if args.status:
        stmt = stmt.where(LeaderTrainee.status == args.status)
    rows, next_cursor = keyset_page(stmt, LeaderTrainee.id, args)
    items = [TraineeOut(id=t.id, cohort=t.cohort.name, municipality_code=t.municipality.code,
                        name=t.name, term=t.term, starts_on=t.starts_on, ends_on=t.ends_on,
                        host_department=t.host_department,
                        mentor=t.mentor.display_name if t.mentor else None, status=t.status,
                        completed_at=t.completed_at) for t in rows]
    return json_response(dump(TraineePage(items=items, next_cursor=next_cursor)))
