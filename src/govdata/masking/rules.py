"""Which rule applies to a field (`rule_for`), and a rule made into a function ready to call (`Rule.compile`).

The field's own `masking_rule` decides when it names a rule. When it names none, the field's sensitivity and
level decide (`default_rule`): personal or commercial data, and anything at L3 or L4, is suppressed; only L1 and
L2 data that is neither goes in clear. A text that names no rule (kept from before the catalog checked it) is
suppressed: nothing unknown ever means "clear". An L3 or L4 field is never in clear by its own rule: a field
that states `clear` at those levels is suppressed (第二十一条: only a grant, with a reason, gives them in clear —
`policy.grading`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Any, Protocol

from govdata.catalog import masking_rules
from govdata.catalog.models import MaskingRule, SecurityLevel, Sensitivity
from govdata.masking import identifiers, people, values
from govdata.policy.grading import is_masked_by_default

Mask = Callable[[Any], Any]

SIMPLE: dict[MaskingRule, Mask] = {
    MaskingRule.CLEAR: values.clear,
    MaskingRule.SUPPRESS: values.suppress,
    MaskingRule.ID_CARD: identifiers.mask_id_card,
    MaskingRule.MOBILE: identifiers.mask_mobile,
    MaskingRule.LANDLINE: identifiers.mask_landline,
    MaskingRule.PHONE: identifiers.mask_phone,
    MaskingRule.NAME: people.mask_name,
    MaskingRule.ADDRESS: people.mask_address,
    MaskingRule.BANK_CARD: identifiers.mask_bank_card,
    MaskingRule.EMAIL: identifiers.mask_email,
    MaskingRule.PLATE: identifiers.mask_plate,
    MaskingRule.DATE_YEAR: values.mask_date_year,
    MaskingRule.DATE_MONTH: values.mask_date_month,
}
CLEAR_LEVELS = frozenset({SecurityLevel.L1.value, SecurityLevel.L2.value})


class FieldLike(Protocol):
    """What masking reads of a field: a catalog `Field` is one; so is any snapshot with these attributes."""

    @property
    def name(self) -> str: ...
    @property
    def data_type(self) -> str: ...
    @property
    def sensitivity(self) -> str: ...
    @property
    def security_level(self) -> str: ...
    @property
    def masking_rule(self) -> str: ...


class RuleSource(StrEnum):
    """Why a field got its rule (for the record a caller keeps, e.g. on a grant)."""

    FIELD = "field"  # the field's own masking_rule
    DEFAULT = "default"  # none stated: its sensitivity and level decided
    INVALID = "invalid"  # its text names no rule: suppressed
    CHOICE = "choice"  # the caller chose it in clear (a provider's opinion on a share request)


@dataclass(frozen=True)
class Rule:
    name: MaskingRule
    param: int | None = None  # number_band: the width; pseudonym: hex characters kept
    source: RuleSource = RuleSource.FIELD

    @property
    def is_clear(self) -> bool:
        return self.name is MaskingRule.CLEAR

    @property
    def text(self) -> str:
        """The rule as a field would state it: `number_band:10000`, `name`."""
        return f"{self.name.value}:{self.param}" if self.param is not None else self.name.value

    @property
    def label(self) -> str:
        """Its Chinese label, as the catalog shows it."""
        return masking_rules.label(self.text)

    def compile(self, key: str) -> Mask:
        """The rule as a function of one value. `key` is the platform's secret (`Settings.key`); only pseudonyms
        use it, and they refuse an empty one rather than hash with no secret."""
        simple = SIMPLE.get(self.name)
        if simple is not None:
            return simple
        default = masking_rules.PARAMS[self.name][0]
        param = self.param if self.param is not None else default
        if self.name is MaskingRule.NUMBER_BAND:
            return partial(values.mask_number_band, width=param)
        if not key:
            raise ValueError("pseudonym needs the platform's secret key")
        return values.pseudonymizer(key, param)


SUPPRESSED = Rule(MaskingRule.SUPPRESS, source=RuleSource.DEFAULT)
IN_CLEAR = Rule(MaskingRule.CLEAR, source=RuleSource.DEFAULT)


def default_rule(*, sensitivity: str, security_level: str) -> Rule:
    """The rule of a field that states none: clear only for non-sensitive L1/L2 data, suppressed otherwise
    (an unknown sensitivity or level counts as sensitive: fail closed)."""
    if sensitivity == Sensitivity.NONE.value and security_level in CLEAR_LEVELS:
        return IN_CLEAR
    return SUPPRESSED


def rule_for(field: FieldLike) -> Rule:
    """The rule that applies to `field`'s values when they leave their unit masked."""
    text = (field.masking_rule or "").strip()
    if not text:
        return default_rule(sensitivity=field.sensitivity, security_level=field.security_level)
    try:
        parsed = masking_rules.parse(text, data_type=field.data_type)
    except ValueError:
        return Rule(MaskingRule.SUPPRESS, source=RuleSource.INVALID)
    if parsed.rule is MaskingRule.CLEAR and is_masked_by_default(field.security_level):
        return SUPPRESSED
    return Rule(parsed.rule, parsed.param if parsed.rule in masking_rules.PARAMS else None)
