"""People, roles, sessions, API tokens and system credentials."""
