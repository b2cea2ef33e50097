"""Data quality (第十、十四条): field rules, scans and reports, comparison (比对), corrections (纠错)."""
