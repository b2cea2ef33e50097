"""The domains, in dependency order; each may have models.py, api.py (JSON) and pages.py (HTML)."""

DOMAINS = [
    "auth", "orgs", "audit", "notifications", "jobs", "workdays",
    "catalog", "datastore", "quality", "sharing",
]
