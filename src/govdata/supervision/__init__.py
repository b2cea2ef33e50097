"""Supervision (监督检查, 第六、九、二十六至二十八条): per-unit indicators computed from the platform's own records,
city and county roll-ups, dashboards and monthly reports, IT projects and their data-asset acceptance, return-flow
applications and vendor evaluation."""
