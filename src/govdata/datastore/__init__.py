"""Aggregation (数据汇聚): each registered entry's data in its own typed table (第九、十、十五、二十八条)."""
