"""Security operations (安全保障, 第二十一至二十四条): backups and verified restore, log push to the units,
emergency switches, incidents, risk assessments, security tests and drills, the security dashboard, and the
等保 三级 sign-in rules. Each subject has its own modules (`<subject>.py` rules, `<subject>_pages.py`,
`<subject>_api.py`); `models.py`, `api.py`, `pages.py`, `jobs.py` and `plugin.py` only gather them."""
