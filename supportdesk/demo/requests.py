"""Demo requests (seed --demo): the fictional examples of digest §5, filed and worked through
the same services a person's clicks go through, with the clock moved back (`now=`): filing and
submission (number from the fiscal-year counter, routing, 情報部門 sharing, search text), the
conversation, support actions, experts and visits. Idempotent: nothing is added once the marker
exists.

A lecture or accompaniment request reaches 日程確定 through its confirmed visit and 実施済
through that visit's record, as in the desk itself, so each one has the visit it is about."""
import logging
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from ..calendar_jp import add_business_days
from ..extensions import db
from ..models import Case, ExpertAssignment, Municipality, SupportRequest, Theme, User
from ..roles import Role
from ..services.cases import record_case_introduction
from ..services.requests.experts import assign_experts, respond_assignment
from ..services.requests.links import link_requests, mark_duplicate
from ..services.requests.conversation import add_comment, record_support_action
from ..services.requests.filing import (
    create_request,
    perform_action,
    submit_request,
    withdraw_request,
)
from ..services.requests.waiting import WaitingFor, start_waiting
from ..services.visits.lifecycle import create_visit, record_visit
from ..timeutil import JST, utcnow
from .cast import demo_cast

logger = logging.getLogger(__name__)

# The first demo title doubles as the marker that the demo requests are present.
PATHS = {
    "draft": [],
    "submitted": ["submit"],
    "triage": ["submit", "triage"],
    "expert_selection": ["submit", "triage", "select_experts"],
    "scheduled": ["submit", "triage", "select_experts", "schedule"],
    "delivered": ["submit", "triage", "select_experts", "schedule", "deliver"],
    "lecture_closed": ["submit", "triage", "select_experts", "schedule", "deliver", "close"],
    "answered": ["submit", "triage", "answer"],
    "closed": ["submit", "triage", "answer", "close"],
    "on_hold": ["submit", "triage", "hold"],
    "withdrawn": ["submit", "withdraw"],
    "declined": ["submit", "triage", "decline"],
}
REASONS = {
    "hold": "令和7年度予算の編成方針が固まるまで保留(町から1月中旬に再連絡の予定)。",
    "withdraw": "総務省「地域DX推進体制構築支援」の伴走支援事業者と進めることになったため取り下げます。",
    "decline": "証明書コンビニ交付は国・J-LISの支援窓口の所管のため、窓口を案内のうえ本件は対応不可とします。",
}
GENAI_LECTURE = "生成AI活用入門講座の開催依頼"
KAIZEN_JOINT_LECTURE = "カイゼンDX講座の合同開催(宍粟市・佐用町)"
EXPERT = "expert@demo.example.jp"
EXPERT2 = "expert2@demo.example.jp"

# (key, municipality, kind, theme, title, body, path, days_ago, options)
SPECS = [
    ("sayo_top", "佐用町", "lecture", "top_management",
     "首長・幹部向け「トップマネジメント」講座の合同開催について",
     "町長・副町長・課長級を対象に、自治体行政DXと地域社会DXのビジョン共有と意見交換をお願いしたい。"
     "類似規模の上郡町・太子町との県合同開催を希望。必要に応じ国のDXアドバイザーの派遣も相談したい。",
     "scheduled", 40, {"filer": "sayo.joho@demo.example.jp", "program": "top_management",
                       "co": ("上郡町", "太子町"), "experts": [(EXPERT, "accept")],
                       "visit": (12, 14, "佐用町役場 3階 大会議室")}),
    ("ichikawa", "市川町", "lecture", "kaizen_nocode", "税務課向けカイゼンDX講座(kintone・Excel活用)",
     "窓口受付簿の転記作業を改善したい。事前ワークで改善したい業務を整理済み。kintoneのデモと操作演習、"
     "グループワークでの助言を希望。町の導入ツールは情報部門から紹介予定。",
     "delivered", 60, {"program": "kaizen", "experts": [(EXPERT2, "accept")],
                       "prework": "改善したい業務: 窓口受付簿の転記、滞納整理の進捗表。",
                       "visit": (None, 14, "市川町役場 2階 研修室"),
                       "record": ("窓口受付簿の転記をkintoneアプリに置き換える演習、グループワーク",
                                  "滞納整理の進捗表は個人情報の扱いを整理してから",
                                  "作成したアプリの本番運用を情報部門と確認")}),
    ("shiso", "宍粟市", "lecture", "data_utilization", "「データ利活用」講座(BIツール・GIS)の複数市町合同実施",
     "オープンデータ公開と、BIツール・GISの実務導入を検討中。類似課題を持つ養父市・朝来市との合同実施を希望。"
     "事前ワークとして課題整理シートを提出予定。",
     "expert_selection", 20, {"program": "data", "co": ("養父市", "朝来市"),
                              "experts": [(EXPERT2, None)]}),
    ("nishiwaki", "西脇市", "consultation", "standardization", "ガバメントクラウド接続回線の契約情報について",
     "標準準拠システム移行に向け、ガバメントクラウドへの接続回線の具体的な契約情報と、"
     "ベンダ調整用チェックシートの最新版を提供してほしい。",
     "answered", 30, {"support": [("advice", "接続回線の契約情報とチェックシート最新版を送付。")]}),
    ("kami", "香美町", "consultation", "frontyard", "書かない窓口の導入に向けた先行市町の紹介依頼",
     "住民課で「書かない窓口」を検討している。窓口DXに取り組む先行市町の事例紹介と、"
     "担当者との意見交換の場の橋渡しをお願いしたい。",
     "triage", 12, {"support": [("bridge_muni", "西宮市")]}),
    ("kato", "加東市", "lecture", "ai_rpa", "AI-OCR・RPAによる申請書入力業務の自動化講座",
     "紙の申請書の手入力に時間がかかっている。AI-OCRで読み取りやすい様式の見直しも含め、講義とツールデモを希望。",
     "submitted", 3, {"program": "other"}),
    ("awaji", "淡路市", "consultation", "generative_ai", "生成AIの庁内利用ルール策定に関する助言",
     "生成AIを試行導入したいが、利用ガイドラインと研修内容の整理ができていない。"
     "他自治体の事例紹介と専門的な助言をお願いしたい。",
     "closed", 90, {"case": "本人手上げ式のDX推進員による勉強会(ChatGPT・AI-OCR)"}),
    ("fukusaki", "福崎町", "consultation", "funding", "デジ田交付金を活用した窓口DX事業の相談",
     "フロントヤード改革の財源としてデジ田交付金の活用を考えている。事業の組み立て方について相談したい。",
     "on_hold", 35, {}),
    ("inami", "稲美町", "consultation", "online_procedures", "e-ひょうご(電子申請)での申請フォーム作成支援",
     "各課の手続のオンライン化を進めたい。e-ひょうごでのフォーム作成手順と、刷新後のスマホ対応の見通しを知りたい。",
     "answered", 25, {}),
    ("sasayama", "丹波篠山市", "consultation", "governance_planning",
     "DX推進計画(全体方針・工程表)策定の進め方",
     "全体方針(ビジョンと工程表)を策定したい。策定手順の助言と、類似規模市の計画事例の紹介をお願いしたい。",
     "triage", 15, {"case": "「愛媛県・市町DX協働宣言」にもとづく県・市町協働のDX推進",
                    "wait": "計画の対象期間(何年度までの工程表にするか)を市で決めてから連絡をもらう。"}),
    ("shinonsen", "新温泉町", "consultation", "security", "情報セキュリティポリシー見直しの助言(一人情シス)",
     "情報担当が実質1人で、セキュリティポリシーの見直しと職員研修まで手が回らない。"
     "専門的な助言と研修教材の紹介を希望。",
     "expert_selection", 18, {"experts": [(EXPERT2, "decline"), (EXPERT, None)]}),
    ("sumoto", "洲本市", "consultation", "chatbot", "AIチャットボット共同調達スキームへの参加相談",
     "ホームページの問合せ対応にAIチャットボットを導入したい。県の共同調達スキームへの参加条件とスケジュールを教えてほしい。",
     "closed", 240, {}),
    ("harima_follow", "播磨町", "accompaniment", "kaizen_nocode", "カイゼンDX講座後のアプリ運用に関する伴走支援",
     "先月の出前講座で作成した業務アプリを本番運用したいが、権限設定やデータ移行で疑問が出てきた。"
     "継続的なサポートをお願いしたい。",
     "scheduled", 22, {"experts": [(EXPERT2, "accept")], "parent": "harima_lecture",
                       "visit": (5, 10, "播磨町役場 住民課")}),
    ("sanda", "三田市", "consultation", "external_talent", "外部デジタル人材(CIO補佐官)任用についての相談",
     "CIO補佐官として外部人材の任用を検討中。任用形態や求めるスキルの明確化について、他自治体の事例紹介を希望。",
     "triage", 9, {}),
    ("inagawa", "猪名川町", "lecture", "digital_divide", "高齢者向けスマホ教室の企画に関する講座",
     "住民向けスマホ教室を企画したい。他自治体の取組紹介と、地域団体との連携方法について意見交換をお願いしたい。",
     "submitted", 5, {"program": "other"}),
    ("takasago", "高砂市", "consultation", "hr_training", "DX推進リーダー育成と研修生派遣について",
     "DX推進リーダーを育成したい。県の研修生受入れ(生成AI・kintone等の実践的研修)への派遣と、"
     "オンライン研修サービスの共同調達について知りたい。",
     "answered", 28, {"support": [("bridge_dept", "市町振興課")]}),
    ("kamikawa", "神河町", "lecture", "internal_work", "【福祉課から直接】審査会のペーパーレス化講座",
     "介護認定審査会の資料印刷が負担。タブレットとペーパーレス会議システムのデモを希望。",
     "triage", 8, {"filer": "kamikawa.fukushi@demo.example.jp", "program": "other"}),
    ("minamiawaji", "南あわじ市", "consultation", "sector_dx", "観光DXに取り組む事業者の紹介依頼",
     "観光客の動態データを活用した施策を検討中。対応可能な事業者の紹介と、県関係課への橋渡しをお願いしたい。",
     "triage", 14, {"support": [("vendor", "観光動態データ分析の対応実績がある事業者(2社)"),
                                ("bridge_dept", "観光振興課")]}),
    ("ako", "赤穂市", "consultation", "joint_procurement", "衛星画像による漏水調査の広域連携事業について",
     "水道事業で衛星画像AI解析による漏水調査に関心がある。県の一括委託契約による広域連携事業の概要と、"
     "今後の参加可否を知りたい。",
     "closed", 260, {}),
    ("aioi", "相生市", "consultation", "frontyard", "おくやみ窓口(ワンストップ)の事例紹介",
     "死亡に伴う手続の窓口を一本化したい。先行自治体の事例と、必要なシステム・様式見直しの進め方を教えてほしい。",
     "answered", 16, {"case": "部局横断の「働き方改革推進チーム」によるDX推進"}),
    ("asago", "朝来市", "consultation", "mynumber", "マイナンバーカード活用による証明書のコンビニ交付拡大",
     "カード交付は進んだが、活用策が少ない。証明書コンビニ交付・オンライン申請との連携について助言がほしい。",
     "declined", 45, {}),
    ("ono", "小野市", "lecture", "data_utilization", "【リエゾン提案】定期巡回で把握した課題に基づくオープンデータ講座",
     "定期巡回でオープンデータ公開が停滞していることを把握。リエゾンからプッシュ型で出前講座を提案する"
     "(市の了承後に内容調整)。",
     "triage", 10, {"origin": "push", "program": "data"}),
    ("ashiya", "芦屋市", "consultation", "internal_work", "電子決裁・文書管理システム導入の進め方",
     "押印廃止と電子決裁に向けて文書管理システムを検討中。導入手順と庁内調整の進め方について助言を希望。",
     "submitted", 6, {}),
    ("kobe", "神戸市", "consultation", "other", "県内市町とのフロントヤード改革の情報交換について",
     "市の窓口改革の知見を県内市町と共有したい。情報交換の場の設け方を相談したい(神戸市はリエゾンの圏域外のため本庁で対応)。",
     "submitted", 4, {"filer": "kobe.joho@demo.example.jp"}),
    ("toyooka", "豊岡市", "consultation", "sector_dx", "配送DXの実証に向けた県関係課との調整",
     "中山間地域の配送DXの実証を検討している。県の関係課と国の支援事業の情報を知りたい。",
     "withdrawn", 50, {"filer": "toyooka.joho@demo.example.jp"}),
    ("harima_lecture", "播磨町", "lecture", "kaizen_nocode", "カイゼンDX講座(業務アプリ作成演習)",
     "住民課・税務課の職員向けに、ノーコードツールでの業務アプリ作成演習を希望。",
     "lecture_closed", 300, {"program": "kaizen", "experts": [(EXPERT2, "accept")],
                             "visit": (None, 13, "播磨町役場 大会議室"),
                             "record": ("ノーコードツールで転入届の受付アプリを作成する演習",
                                        "権限設定とデータ移行の方法が分からない",
                                        "本番運用に向けた伴走支援を案内")}),
    ("kamigori_dup", "上郡町", "lecture", "top_management", "トップマネジメント講座への参加申込(佐用町との合同開催)",
     "佐用町から案内のあった首長・幹部向け講座に上郡町も参加したい。",
     "submitted", 30, {"program": "top_management"}),
    # The two below reach 人材調整中; their visits come from the visit demo (demo/visits.py),
    # which confirms them (日程確定) and records the held one (実施済).
    ("sayo_genai", "佐用町", "lecture", "generative_ai", GENAI_LECTURE,
     "生成AIの試行導入に向け、全庁の職員向けに基礎と庁内での活用例の講座をお願いしたい。"
     "デモを交えた内容を希望。",
     "expert_selection", 45, {"filer": "sayo.joho@demo.example.jp", "program": "other",
                              "experts": [(EXPERT, "accept")]}),
    ("shiso_kaizen", "宍粟市", "lecture", "kaizen_nocode", KAIZEN_JOINT_LECTURE,
     "佐用町と合同で、業務改善(カイゼン)とノーコードツールの講座を開催したい。"
     "両市町の窓口・庶務担当の職員が対象。",
     "expert_selection", 25, {"program": "kaizen", "co": ("佐用町",),
                              "experts": [(EXPERT, "accept")]}),
    ("sayo_draft", "佐用町", "consultation", "frontyard", "窓口での手続案内にタブレットを活用したい",
     "窓口での手続案内にタブレットを使えないか検討中(下書き)。",
     "draft", 2, {"filer": "sayo.fukushi@demo.example.jp"}),
]
MARKER = SPECS[0][4]

REPLY = ("ご相談ありがとうございます。担当リエゾンの{liaison}です。内容を確認し、"
         "必要な支援(助言・橋渡し・事例紹介・事業者紹介)を整理のうえご連絡します。")
NOTE = "【内部】前回の定期巡回でも話題に出た件。担当者は{muni}の情報部門と連携済み。"
# Lecture requests name two candidate dates (the filing rule); the visit is arranged later.
CANDIDATE_BUSINESS_DAYS = (15, 20)


def _users():
    return {u.email: u for u in db.session.scalars(sa.select(User).where(
        User.email.like("%@demo.example.jp")))}


def _liaison_for(muni, users):
    liaisons = [u for u in users.values() if u.role == Role.LIAISON]
    if not muni.region.has_liaison:
        return next(u for u in liaisons if u.is_central_team)
    for u in liaisons:
        if muni.region_id in u.region_ids:
            return u
    return next(u for u in liaisons if u.is_central_team)


def _candidates(start):
    """Two 14:00-16:00 candidate dates some weeks after the request was written."""
    day = start.astimezone(JST).date()
    out = []
    for n in CANDIDATE_BUSINESS_DAYS:
        begin = datetime.combine(add_business_days(day, n), time(14), tzinfo=JST)
        out.append((begin, begin + timedelta(hours=2)))
    return out


def _fields(spec, munis, themes, built, start):
    """The form fields of a spec, as create_request takes them."""
    _key, _muni, kind, theme, title, body, _path, _days, opts = spec
    program = opts.get("program")
    fields = {"title": title, "body": body, "theme_ids": [themes[theme].id], "program": program,
              "prework": opts.get("prework"),
              "co_municipality_ids": [munis[n].id for n in opts.get("co", ())]}
    if kind == "consultation":
        fields["help_wanted"] = ["advice"]
    if kind == "lecture":
        fields.update(formats=["lecture", "exchange"], expected_participants=20,
                      audiences=["executives"] if program == "top_management" else ["business"])
        if opts.get("origin") != "push":
            fields["candidate_dates"] = _candidates(start)
    if "parent" in opts:
        fields["parent_id"] = built[opts["parent"]].id
    return fields


def _triage_work(sreq, liaison, muni, opts, munis, at):
    """What a liaison does on taking a request: a reply, an internal note, the support given."""
    add_comment(sreq, liaison, REPLY.format(liaison=liaison.display_name),
                now=at + timedelta(hours=2))
    add_comment(sreq, liaison, NOTE.format(muni=muni.name), internal=True,
                now=at + timedelta(hours=3))
    at = at + timedelta(hours=4)
    for kind, value in opts.get("support", ()):
        if kind == "bridge_muni":
            record_support_action(sreq, liaison, "bridge", target_municipality_id=munis[value].id,
                                  now=at)
        elif kind == "bridge_dept":
            record_support_action(sreq, liaison, "bridge", target_department=value, now=at)
        elif kind == "vendor":
            record_support_action(sreq, liaison, "vendor", vendor_name=value, now=at)
        else:
            record_support_action(sreq, liaison, kind, note=value, now=at)
    case = opts.get("case") and db.session.scalar(sa.select(Case).where(Case.title == opts["case"]))
    if case:
        record_case_introduction(sreq, case, liaison, note="類似の取組として紹介しました。", now=at)


def _cast_spec(cast, spec):
    """A spec with its names cast; a case (事例) keeps its title, the library's own."""
    *head, opts = spec
    return (*cast(tuple(head)), {k: v if k == "case" else cast(v) for k, v in opts.items()})


def _build(spec, users, munis, themes, built, now, reasons):
    _key, muni_name, kind, _theme, _title, _body, path, days_ago, opts = spec
    muni = munis[muni_name]
    liaison = _liaison_for(muni, users)
    # A request without a named filer was phoned or mailed in and filed by the liaison.
    filer = users[opts["filer"]] if "filer" in opts else liaison
    start = now - timedelta(days=days_ago)
    sreq = create_request(filer, kind, municipality_id=muni.id,
                          origin=opts.get("origin", "municipal"), now=start,
                          **_fields(spec, munis, themes, built, start))
    at = start
    visit = None
    for i, action in enumerate(PATHS[path]):
        # A step after a visit comes once the visit is over (a record is written afterwards).
        at = max(start + timedelta(days=2 * i, hours=1), at + timedelta(hours=1))
        if action == "submit":
            submit_request(sreq, filer, now=at)
        elif action == "withdraw":
            withdraw_request(sreq, filer, reasons["withdraw"], now=at)
        elif action == "schedule":
            visit = _visit(sreq, liaison, opts, path, at, now)
            if path != "scheduled":
                at = visit.ends_at
        elif action == "deliver":
            covered, issues, follow_ups = opts["record"]
            record_visit(visit, liaison, covered=covered, issues=issues, follow_ups=follow_ups,
                         attendees_business=sreq.expected_participants or 0,
                         attendees_information=1, now=at)
        else:
            hold_until = (now + timedelta(days=45)).date() if action == "hold" else None
            perform_action(sreq, action, liaison, reason=reasons.get(action),
                           hold_until=hold_until, now=at)
            if action == "triage":
                _triage_work(sreq, liaison, muni, opts, munis, at)
                if "wait" in opts:
                    start_waiting(sreq, liaison, WaitingFor.MUNICIPALITY, reason=opts["wait"],
                                  now=at + timedelta(hours=5))
            elif action == "select_experts":
                _experts(sreq, liaison, opts.get("experts", ()), users, at)
    return sreq


def _visit(sreq, liaison, opts, path, at, now):
    """The confirmed visit that moves the request to 日程確定: ahead of `now` for a request still
    scheduled, else on the business day after `at` (it is recorded, and so 実施済, later)."""
    days_ahead, hour, venue = opts["visit"]
    if path == "scheduled":
        day = add_business_days(now.astimezone(JST).date(), days_ahead)
    else:
        day = add_business_days(at.astimezone(JST).date(), 1)
    starts_at = datetime.combine(day, time(hour), tzinfo=JST)
    experts = db.session.scalars(sa.select(User).join(
        ExpertAssignment, ExpertAssignment.expert_id == User.id).where(
        ExpertAssignment.request_id == sreq.id, ExpertAssignment.status == "accepted")).all()
    kind = "accompaniment" if sreq.kind == "accompaniment" else "lecture"
    return create_visit(liaison, kind=kind, title=sreq.title, starts_at=starts_at,
                        ends_at=starts_at + timedelta(hours=2),
                        municipalities=[sreq.municipality, *sreq.co_municipalities],
                        attendees=experts, sreq=sreq, venue=venue, confirm=True, now=at)


def _experts(sreq, liaison, experts, users, at):
    for n, (email, response) in enumerate(experts):
        expert = users.get(email)
        if expert is None:
            continue
        when = at + timedelta(hours=2 + n)
        (assignment,) = assign_experts(sreq, [expert], liaison, now=when)
        if response == "accept":
            respond_assignment(assignment, expert, accept=True, now=when + timedelta(hours=5))
        elif response == "decline":
            respond_assignment(assignment, expert, accept=False, now=when + timedelta(minutes=30),
                               reason="当該期間は他市町の伴走支援が続くため対応が難しいです。")


def seed_demo_requests(now=None):
    """Add the demo requests once; a second run finds the marker and adds nothing."""
    cast = demo_cast()
    if db.session.scalar(sa.select(SupportRequest.id).where(SupportRequest.title == cast(MARKER))):
        return 0
    now = now or utcnow()
    users = _users()
    munis = {m.name: m for m in db.session.scalars(sa.select(Municipality))}
    themes = {t.code: t for t in db.session.scalars(sa.select(Theme))}
    # Oldest first, so that the request numbers follow the order of submission (and a parent
    # request exists before its follow-up).
    built = {}
    reasons = cast(REASONS)
    for spec in sorted((_cast_spec(cast, s) for s in SPECS), key=lambda spec: -spec[7]):
        built[spec[0]] = _build(spec, users, munis, themes, built, now, reasons)
    liaison = _liaison_for(munis[cast.muni("佐用町")], users)
    link_at = now - timedelta(days=1)
    link_requests(built["harima_follow"], built["harima_lecture"], "follow_up", liaison,
                  now=link_at)
    link_requests(built["kami"], built["aioi"], "related", liaison, now=link_at)
    mark_duplicate(built["kamigori_dup"], built["sayo_top"], liaison, now=link_at)
    db.session.flush()
    logger.info("demo requests added: %s", len(built))
    return len(built)
