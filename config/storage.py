"""Production's static files storage: WhiteNoise's hashed, compressed files, with the imports
between our ES modules (static/widget/*.js, static/desk/*.js) pointed at the hashed names too."""

from whitenoise.storage import CompressedManifestStaticFilesStorage

# `import { el } from "./dom.js";` becomes `import { el } from "./dom.1a2b3c4d5e6f.js";`.
MODULE_IMPORT = (
    r"""(?P<matched>import(?P<names>\s*\{[^}]*\})\s*from\s*"(?P<url>\.\.?/[^"]+)";)""",
    """import%(names)s from "%(url)s";""",
)


class HashedModulesStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """A hashed module imports hashed modules, so a module and what it imports always come from
    the same release and are cached forever together.

    Django's own switch for this (`support_js_module_import_aggregation`) rewrites every *.js
    collected, and fails collectstatic on django-htmx's extensions, whose JSDoc comments say
    `import("../htmx")`. So the rewriting is ours, for our modules only, in the one import form
    they use (a relative path in double quotes, ending with a semicolon)."""

    patterns = (
        *CompressedManifestStaticFilesStorage.patterns,
        ("widget/*.js", (MODULE_IMPORT,)),
        ("desk/*.js", (MODULE_IMPORT,)),
    )
