"""A project's cost shares (負担金): the one rule for what a participant pays before and after
the funding (交付金), and the totals over the participants."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Share:
    gross: int | None    # the share before the funding; None = not known yet (agreed, no figure)
    subsidy: int | None  # the part the funding covers
    net: int | None      # what the municipality bears


def gross_share(project, answer):
    """What one participant's share is before the funding: the fixed sum, the per-capita formula
    (均等割 + 単価 × the population it gave), or the amount agreed with it (None until agreed)."""
    if project.cost_kind == "fixed":
        return project.cost_fixed_yen
    if project.cost_kind == "per_capita":
        if answer is None or answer.population is None or project.cost_per_capita_yen is None:
            return None
        return (project.cost_base_yen or 0) + project.cost_per_capita_yen * answer.population
    return answer.agreed_yen if answer is not None else None


def subsidy_of(project, amount):
    """The funding's part of `amount` at the project's rate, rounded down to the yen."""
    if amount is None or not project.subsidy_rate_den:
        return 0 if amount is not None else None
    return amount * project.subsidy_rate_num // project.subsidy_rate_den


def share_for(project, answer):
    gross = gross_share(project, answer)
    subsidy = subsidy_of(project, gross)
    return Share(gross, subsidy, None if gross is None else gross - subsidy)


@dataclass(frozen=True)
class CostSummary:
    participants: int
    known: int           # participants whose share is known
    gross: int
    subsidy: int
    net: int
    per_participant: int | None  # the average net share of those known


def cost_summary(project, participant_answers):
    """Totals over the participants' answers (参加 only)."""
    shares = [share_for(project, a) for a in participant_answers]
    known = [s for s in shares if s.gross is not None]
    gross = sum(s.gross for s in known)
    subsidy = sum(s.subsidy for s in known)
    net = gross - subsidy
    return CostSummary(participants=len(shares), known=len(known), gross=gross, subsidy=subsidy,
                       net=net, per_participant=(net // len(known)) if known else None)


def rate_label(project):
    if not project.subsidy_rate_den:
        return None
    return f"{project.subsidy_rate_num}/{project.subsidy_rate_den}"
