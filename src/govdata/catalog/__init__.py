"""The data catalog (目录管理): entries, fields, versions, filings, search (第八、九、十一、十六、二十三条)."""
