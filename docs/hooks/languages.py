"""Which language mkdocs-static-i18n is building, for the hooks (not a hook itself).

The i18n plugin builds the site once per language: English (the default) into
`site/`, then Korean into `site/ko/`, re-running every hook. The API reference
exists once, in English, so the hooks ask here whether this is the default
build.
"""

from __future__ import annotations

I18N = "i18n"


def _plugin(config):
    return config.plugins.get(I18N)


def current_language(config):
    """The locale being built (`"en"` before the i18n plugin has set one)."""
    plugin = _plugin(config)
    if plugin is None:
        return "en"
    return plugin.current_language or plugin.default_language


def default_language(config):
    plugin = _plugin(config)
    return "en" if plugin is None else plugin.default_language


def is_default_build(config):
    """Whether this build writes the default (English) site at the root."""
    return current_language(config) == default_language(config)
