"""Flask-WTF forms, one per screen."""
from wtforms import SelectChoice, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


def choices(pairs):
    """SelectField choices from (value, label) pairs: WTForms 3.3 deprecates bare tuples."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice as checkboxes (no Ctrl-click in a <select multiple>); same name, data and
    validation as SelectMultipleField. Choices with an optgroup are shown in groups."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def grouped(self):
        """[(group label or None, [checkbox subfields])], in the order of the choices."""
        options = list(self)
        if not self.has_groups():
            return [(None, options)]
        out, i = [], 0
        for name, group in self.iter_groups():
            out.append((name, options[i:i + len(group)]))
            i += len(group)
        return out
