"""Reference ids for unexpected errors: shown to the user and written to the log with the
traceback, so the desk can find the one from the other."""
import secrets


def new_reference():
    """Eight characters, easy to read out on the phone (e.g. "E-3F9A2C1B")."""
    return "E-" + secrets.token_hex(4).upper()
