"""The to-do list: what waits for a person now, computed from the items' current state (never from notices)."""
