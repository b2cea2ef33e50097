"""Masking (脱敏): one library every exit calls before values leave their unit — sharing, vendor reads, record
views and exports for other units, comparison diffs, quality samples, correction views, and the open-data portal.

It knows fields, rules and values, nothing of HTTP, grants or who asks: the caller decides which fields go in
clear, this library how the rest is masked. `masker.masker_for(fields, key=settings.key, choices=...)` gives a
`Masker` for rows; `rules.rule_for(field)` says which rule applies; each rule is a documented function in
`identifiers`, `people` or `values`. The rule names are the catalog's (`catalog.models.MaskingRule`). The rules,
their defaults and what L1–L4 mean here: docs/masking.md.
"""
