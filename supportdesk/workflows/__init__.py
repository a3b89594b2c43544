"""State machine tables of the desk's other objects (visits, expert assignments, announcements). Pure."""
