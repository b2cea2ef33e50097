"""Loading the domains' `plugin.py` modules, once per process: each registers its hooks (`govdata.hooks`)."""

from __future__ import annotations

from govdata.domains import domain_modules

_loaded = False


def load_plugins() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    domain_modules("plugin")
