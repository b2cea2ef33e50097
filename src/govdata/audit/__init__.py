"""The audit spine: every operation recorded, hash-chained, kept at least 180 days (第二十一、二十四条)."""
