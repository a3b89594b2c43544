"""Demo training (研修) for `flask seed --demo`, made through the training services: a course open
to all 41 with applications (one waiting for its 情報部門's approval, two seats taken, one on the
waiting list) and material, a past e-learning course with completions, and a 市町DX推進リーダー
cohort with a one-week trainee who completed (now a contact of 佐用町) and a six-month trainee
with a progress log."""
from datetime import timedelta

import sqlalchemy as sa

from ..extensions import db
from ..models import Municipality, TrainingCourse, User
from ..services.training import applications as apps
from ..services.training.courses import create_course, publish_course
from ..services.training.leaders import add_trainee, complete_trainee, create_cohort, log_progress
from ..services.training.materials import add_material
from ..timeutil import JST, fiscal_year, utcnow
from .cast import demo_cast

DEMO_LIAISON = "liaison.nishiharima@demo.example.jp"
TITLE = "自治体DX 基礎研修(データ利活用とEBPM)"
MATERIALS = (
    ("slides", "第1回 講義スライド(データ利活用の基礎)",
     "https://files.example.lg.jp/training/ebpm-01.pdf", None),
    ("video", "事前学習動画: Excelでのクロス集計", "https://video.example.lg.jp/training/excel-pivot",
     None),
    ("text", "よくある質問", None,
     "Q. 個人情報を含むデータは使えますか。\nA. 演習では匿名化したサンプルデータを使います。"),
)


def _user(email):
    return db.session.scalar(sa.select(User).where(User.email == email))


def _muni(name):
    return db.session.scalar(sa.select(Municipality).where(Municipality.name == name))


def seed_demo_training(now=None):
    """Idempotent: skipped once the demo course exists."""
    now = now or utcnow()
    cast = demo_cast()
    liaison = _user(cast(DEMO_LIAISON))
    people = {k: _user(cast(f"{k}@demo.example.jp")) for k in (
        "sayo.joho", "sayo.fukushi", "kamikawa.joho", "kamikawa.fukushi", "toyooka.joho",
        "kobe.joho")}
    if liaison is None or None in people.values() or db.session.scalar(
            sa.select(TrainingCourse.id).where(TrainingCourse.title == TITLE)) is not None:
        return 0
    today = now.astimezone(JST).date()
    course = create_course(
        liaison, now=now, title=TITLE, level="basic", format="in_person",
        description="庁内のデータを集めて見える化し、政策立案に生かす手順を演習で学びます(J-LISモデルカリキュラム準拠)。"
                    "PCを持参してください。",
        venue=cast("兵庫県庁 3号館 第1会議室"), starts_on=today + timedelta(days=30),
        ends_on=today + timedelta(days=30), capacity=2, apply_by=today + timedelta(days=14),
        requires_approval=True, audience="all", target_all=True)
    publish_course(course, liaison, now=now)
    for kind, title, url, body in MATERIALS:
        add_material(course, liaison, kind=kind, title=title, url=url, body=body, now=now)
    t = now - timedelta(days=3)
    a = apps.apply_to_course(course, people["kamikawa.fukushi"], note="福祉部門の統計を扱うため", now=t)
    apps.approve_application(a, people["kamikawa.joho"], now=t + timedelta(hours=2))
    b = apps.apply_to_course(course, people["toyooka.joho"], now=t + timedelta(hours=3))
    apps.approve_application(b, people["toyooka.joho"], now=t + timedelta(hours=4))
    c = apps.apply_to_course(course, people["kobe.joho"], now=t + timedelta(days=1))
    apps.approve_application(c, people["kobe.joho"], now=t + timedelta(days=1, hours=1))  # full
    apps.apply_to_course(course, people["sayo.fukushi"], note="窓口業務の改善に生かしたい",
                         now=now - timedelta(hours=5))  # waits for 佐用町's 情報部門

    past = now - timedelta(days=120)
    elearning = create_course(
        liaison, now=past, title="情報セキュリティ eラーニング(全職員向け)", level="intro",
        format="elearning", description="標的型メール・パスワード管理・持出し端末の扱いを30分で学びます。",
        venue="LGWAN-ASP 研修サイト", starts_on=past.astimezone(JST).date() + timedelta(days=7),
        ends_on=past.astimezone(JST).date() + timedelta(days=60), capacity=200,
        apply_by=past.astimezone(JST).date() + timedelta(days=7), requires_approval=False,
        audience="all", target_all=True)
    publish_course(elearning, liaison, now=past)
    done = [apps.apply_to_course(elearning, people[k], now=past + timedelta(days=i))
            for i, k in enumerate(("sayo.joho", "sayo.fukushi", "kamikawa.joho", "toyooka.joho"))]
    apps.complete_applications(elearning, liaison, [x.id for x in done[:3]],
                               now=past + timedelta(days=61))

    cohort = create_cohort(liaison, name=cast(f"市町DX推進リーダー育成 {fiscal_year(now)}年度 第1期"),
                           fiscal_year=fiscal_year(now),
                           note="1週間の実践研修と6か月の育成プログラム(支援パッケージⅢ-2(1))。", now=now)
    mentor = _user("expert@demo.example.jp") or liaison
    week = add_trainee(cohort, liaison, municipality_id=_muni(cast.muni("佐用町")).id,
                       name=cast("佐用 未来"), department="企画防災課",
                       email=cast("mirai.sayo@town.example.jp"),
                       term="one_week", starts_on=today - timedelta(days=21),
                       host_department=cast("兵庫県 デジタル改革課"), mentor_id=mentor.id,
                       learning_plan="1日目 県の業務改善事例の見学\n2-4日目 自庁の申請手続の棚卸しとオンライン化の優先順位づけ\n5日目 成果の発表",
                       now=now - timedelta(days=30))
    log_progress(week, liaison, note="申請手続42件を棚卸しし、優先10件を選んだ。",
                 noted_on=today - timedelta(days=17), now=now - timedelta(days=17))
    complete_trainee(week, liaison, now=now - timedelta(days=10))
    six = add_trainee(cohort, liaison, municipality_id=_muni(cast.muni("神河町")).id,
                      name=cast("神河 拓海"),
                      department="総務課", term="six_months", starts_on=today - timedelta(days=60),
                      host_department=cast("兵庫県 情報政策課"), mentor_id=mentor.id,
                      learning_plan="前半: 庁内DX推進計画の改定案づくり(県の伴走)\n後半: 住民向けオンライン申請の導入と職員研修の企画",
                      now=now - timedelta(days=61))
    for days, note in ((50, "庁内アンケートの設計を終えた。"), (20, "推進計画の骨子を課長会で説明した。")):
        log_progress(six, liaison, note=note, noted_on=today - timedelta(days=days),
                     now=now - timedelta(days=days))
    db.session.flush()
    return 1
