"""The contact directory's tables: the roles a municipality's contact can hold, and the change
proposal state machine (the 情報部門 proposes, a liaison accepts or rejects). Pure.

ContactRole is the target that announcements, surveys (`recipient_role`) and meeting invitations
name: store its values, show its labels."""
from dataclasses import dataclass
from enum import StrEnum

from ..i18n import N_
from ..roles import Role


class ContactRole(StrEnum):
    MAYOR = "mayor"                      # 首長
    CIO = "cio"                          # CIO(またはそれに相当する職)
    CIO_ADVISER = "cio_adviser"          # CIO補佐官
    CDO = "cdo"                          # CDO
    INFO_HEAD = "info_head"              # 情報部門長
    DX_OFFICER = "dx_officer"            # DX担当
    EXTERNAL_TALENT = "external_talent"  # 外部デジタル人材 (appointed by the municipality)
    DX_LEADER = "dx_leader"              # 市町DX推進リーダー (completed the prefecture's programme)


ROLE_LABELS = {
    ContactRole.MAYOR: N_("首長"),
    ContactRole.CIO: N_("CIO(相当職を含む)"),
    ContactRole.CIO_ADVISER: N_("CIO補佐官"),
    ContactRole.CDO: N_("CDO"),
    ContactRole.INFO_HEAD: N_("情報部門長"),
    ContactRole.DX_OFFICER: N_("DX担当"),
    ContactRole.EXTERNAL_TALENT: N_("外部デジタル人材"),
    ContactRole.DX_LEADER: N_("市町DX推進リーダー"),
}


class ProposalKind(StrEnum):
    ADD = "add"        # 追加
    CHANGE = "change"  # 変更
    END = "end"        # 終了 (the person left the role)


KIND_LABELS = {
    ProposalKind.ADD: N_("追加"),
    ProposalKind.CHANGE: N_("変更"),
    ProposalKind.END: N_("終了"),
}


class ProposalStatus(StrEnum):
    PENDING = "pending"    # 確認待ち
    ACCEPTED = "accepted"  # 反映済
    REJECTED = "rejected"  # 見送り


STATUS_LABELS = {
    ProposalStatus.PENDING: N_("確認待ち"),
    ProposalStatus.ACCEPTED: N_("反映済"),
    ProposalStatus.REJECTED: N_("見送り"),
}


class ProposalAction(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"


@dataclass(frozen=True)
class ProposalTransition:
    to: ProposalStatus
    by: frozenset


TRANSITIONS = {
    (ProposalStatus.PENDING, ProposalAction.ACCEPT):
        ProposalTransition(ProposalStatus.ACCEPTED, frozenset({Role.LIAISON, Role.ADMIN})),
    (ProposalStatus.PENDING, ProposalAction.REJECT):
        ProposalTransition(ProposalStatus.REJECTED, frozenset({Role.LIAISON, Role.ADMIN})),
}


def transition_for(status, action):
    return TRANSITIONS.get((ProposalStatus(status), ProposalAction(action)))
