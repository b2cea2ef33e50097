"""Regions, units and their connected systems (第五、七、二十五、二十六条)."""
