"""Business rules: verb_noun functions that flush; callers commit."""


class DomainError(Exception):
    """A rule refused the action; the message is user-facing (already translated)."""


class ValidationFailed(DomainError):
    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field
