"""Scheduled, idempotent jobs claimed in the database so that two processes never run one at once."""
