"""Telling people things: in-app now, e-mail later through the same call."""
