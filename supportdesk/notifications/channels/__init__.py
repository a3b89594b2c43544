"""Delivery channels used by the dispatcher. A channel sends one message snapshot or raises."""


class DeliveryError(Exception):
    """A failed delivery. permanent=True dead-letters at once (e.g. HTTP 410, SMTP 550)."""

    def __init__(self, message, permanent=False):
        super().__init__(message)
        self.permanent = permanent


def channel_for(name):
    from . import email, inapp, subscription, webhook

    return {"email": email.send, "webhook": webhook.send, "inapp": inapp.send,
            "subscription": subscription.send}[name]
