"""Third-party governance under confidentiality agreements (第二十九条): who records them, what they cover, and the
scope a vendor works in while one is in force."""
