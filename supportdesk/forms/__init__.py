"""Flask-WTF forms, one per screen."""
from wtforms import SelectChoice


def choices(pairs):
    """SelectField choices from (value, label) pairs: WTForms 3.3 deprecates bare tuples."""
    return [SelectChoice(value, label) for value, label in pairs]
