"""Static file storage for production: hashed, compressed names, without rewriting source maps."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


def _without_source_maps(patterns):
    return tuple(
        (
            extension,
            tuple(
                rule
                for rule in rules
                if "sourceMappingURL" not in (rule[0] if isinstance(rule, tuple) else rule)
            ),
        )
        for extension, rules in patterns
    )


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's manifest storage, leaving `sourceMappingURL` comments alone.

    Vendored minified files name source maps we do not ship; the stock storage refuses to
    collect a file whose source map is missing, and a browser only asks for maps in devtools.
    """

    patterns = _without_source_maps(CompressedManifestStaticFilesStorage.patterns)
