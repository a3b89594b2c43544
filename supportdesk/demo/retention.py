"""Demo: a few consultations closed five fiscal years ago, so that this year's spring list of
records whose retention period ends (公文書管理, /retention) has something to decide.
Filed, answered and closed through the services with the clock moved back; the list is then
prepared as the April job does. Idempotent: nothing is added once the marker exists."""
import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..extensions import db
from ..models import SupportRequest, Theme, User
from ..services.requests.conversation import add_comment
from ..services.requests.filing import create_request, perform_action
from ..services.retention.decisions import prepare_spring_list
from ..timeutil import JST, fiscal_year, utcnow
from .cast import demo_cast

logger = logging.getLogger(__name__)

MARKER = "旧システムの電子申請サービスの更新について(過年度)"
OLD = [  # (title, theme code, closing day in the old fiscal year: (month, day))
    (MARKER, "online_procedures", (3, 31)),
    ("庁内ネットワークの分離方式の見直し(過年度)", "standardization", (2, 10)),
    ("窓口の申請書様式の統一(過年度)", "frontyard", (11, 20)),
]


def seed_demo_retention(now=None):
    if db.session.scalar(sa.select(SupportRequest.id).where(SupportRequest.title == MARKER)):
        return 0
    now = now or utcnow()
    cast = demo_cast()
    filer = db.session.scalar(sa.select(User).where(
        User.email == cast("sayo.joho@demo.example.jp")))
    liaison = db.session.scalar(sa.select(User).where(
        User.email == cast("liaison.nishiharima@demo.example.jp")))
    if filer is None or liaison is None:
        return 0
    # Requests keep 5 years by default: closed in fiscal year N-5, the period starts on 1 April
    # of N-4 and ends on 31 March at the end of this fiscal year N.
    old_fy = fiscal_year(now) - 5
    themes = {t.code: t.id for t in db.session.scalars(sa.select(Theme))}
    for title, theme, (month, day) in OLD:
        year = old_fy if month >= 4 else old_fy + 1
        closed = datetime(year, month, day, 16, 0, tzinfo=JST)
        filed = closed - timedelta(days=30)
        sreq = create_request(filer, "consultation", submit=True, now=filed, title=title,
                              body="過年度の相談(デモ)。保存期間の満了で移管・廃棄の対象になります。",
                              theme_ids=[themes[theme]] if theme in themes else [])
        add_comment(sreq, liaison, "担当課に確認のうえ回答します。", now=filed + timedelta(days=1))
        for action, actor, at in (("triage", liaison, filed + timedelta(days=1)),
                                  ("answer", liaison, closed - timedelta(days=2)),
                                  ("close", filer, closed)):
            perform_action(sreq, action, actor, now=at)
    db.session.flush()
    added = prepare_spring_list(fiscal_year(now), now=now)
    logger.info("demo retention: %s old requests, %s on the spring list", len(OLD), added)
    return len(OLD)
