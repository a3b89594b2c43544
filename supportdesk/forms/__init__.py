"""Flask-WTF forms, one per screen."""
