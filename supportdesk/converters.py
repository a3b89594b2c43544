"""URL converters: an integer in a path matches only a value a row id can take."""
from werkzeug.routing import IntegerConverter

# Every id column is an INTEGER; PostgreSQL's is 32-bit signed. A larger value could never be a
# row, and handed to the database it fails (PostgreSQL: out of range; SQLite: over 64 bits).
MAX_ROW_ID = 2**31 - 1


def positive_up_to(limit):
    """A regex matching exactly the decimal numbers 1..limit (ASCII digits, no leading zero)."""
    text = str(limit)
    width = len(text)
    shorter = [f"[1-9][0-9]{{0,{width - 2}}}"] if width > 1 else []
    same_width = []
    for i, digit in enumerate(text):
        low = 1 if i == 0 else 0
        if int(digit) > low:
            same_width.append(f"{text[:i]}[{low}-{int(digit) - 1}][0-9]{{{width - i - 1}}}")
    same_width.append(text)
    return "(?:" + "|".join(shorter + same_width) + ")"


class RowIdConverter(IntegerConverter):
    """`<int:...>` for the whole app: 1..MAX_ROW_ID, anything else is no route (404).

    Without it, -1 and 0 reached the views, 2^31 was a 500 on PostgreSQL and 2^63 one on
    SQLite. The range is in the regex itself rather than only in to_python: a value the regex
    takes and to_python refuses made Werkzeug answer 405 for PATCH /api/v1/requests/0 (the GET
    rule "matched"). ASCII digits only: Python's \\d and int() also take other scripts' digits."""

    regex = positive_up_to(MAX_ROW_ID)

    def __init__(self, url_map, fixed_digits=0, min=1, max=MAX_ROW_ID, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=False)


def register(app):
    # Replaces Werkzeug's unbounded "int" before any blueprint adds its rules.
    app.url_map.converters["int"] = RowIdConverter
