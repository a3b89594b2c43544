"""N_: marks a string for pybabel extraction without translating it; it is translated where shown."""


def N_(message):
    # Label tables are built at import time, outside any request: the locale is only known when
    # a page shows the label, so templates and views call _() on the value then.
    return message
