"""Web plumbing shared by every domain's api.py and pages.py."""
