"""Single sign-on providers (OpenID Connect) read from the environment, in allauth's shape.

Kept free of Django imports: settings.py calls it while Django is still being configured.
"""

import json
from collections.abc import Mapping
from urllib.parse import urlsplit


class SSOConfigError(ValueError):
    pass


def _provider(raw: Mapping, index: int) -> dict:
    missing = [key for key in ("client_id", "server_url") if not raw.get(key)]
    if missing:
        raise SSOConfigError(f"OIDC provider {index}: missing {', '.join(missing)}")
    provider_id = str(raw.get("id") or "sso")
    if not provider_id.replace("-", "").replace("_", "").isalnum():
        raise SSOConfigError(f"OIDC provider {index}: id must be letters, digits, - or _")
    server_url = str(raw["server_url"]).rstrip("/")
    if urlsplit(server_url).scheme not in {"https", "http"}:
        raise SSOConfigError(f"OIDC provider {index}: server_url must be an http(s) URL")
    return {
        "provider_id": provider_id,
        "name": str(raw.get("name") or "Single sign-on"),
        "client_id": str(raw["client_id"]),
        "secret": str(raw.get("secret") or ""),
        "settings": {
            "server_url": server_url,
            # An address the provider does not mark verified is trusted only when told so
            # (a directory whose addresses users cannot choose, docs/admin/security.md).
            "trust_email": bool(raw.get("trust_email", False)),
        },
    }


def providers_from_environment(environ: Mapping[str, str]) -> list[dict]:
    """HELPLINE_OIDC_PROVIDERS (a JSON list of objects with id, name, client_id, secret,
    server_url, trust_email) or one provider from HELPLINE_OIDC_{ID,NAME,CLIENT_ID,SECRET,
    SERVER_URL,TRUST_EMAIL}. Nothing set: no single sign-on."""
    listed = environ.get("HELPLINE_OIDC_PROVIDERS", "").strip()
    if listed:
        try:
            items = json.loads(listed)
        except json.JSONDecodeError as exc:
            raise SSOConfigError(f"HELPLINE_OIDC_PROVIDERS is not valid JSON: {exc}") from exc
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise SSOConfigError("HELPLINE_OIDC_PROVIDERS must be a JSON list of objects")
        providers = [_provider(item, index) for index, item in enumerate(items, 1)]
    elif environ.get("HELPLINE_OIDC_CLIENT_ID"):
        single = {
            "id": environ.get("HELPLINE_OIDC_ID", ""),
            "name": environ.get("HELPLINE_OIDC_NAME", ""),
            "client_id": environ.get("HELPLINE_OIDC_CLIENT_ID", ""),
            "secret": environ.get("HELPLINE_OIDC_SECRET", ""),
            "server_url": environ.get("HELPLINE_OIDC_SERVER_URL", ""),
            "trust_email": environ.get("HELPLINE_OIDC_TRUST_EMAIL", "").strip().lower()
            in {"1", "true", "yes", "on"},
        }
        providers = [_provider(single, 1)]
    else:
        providers = []
    ids = [item["provider_id"] for item in providers]
    if len(ids) != len(set(ids)):
        raise SSOConfigError("OIDC providers need distinct ids")
    return providers


def form_action_origins(providers: list[dict]) -> list[str]:
    """The providers' origins: the sign-in button posts to Helpline, which redirects there, and
    browsers apply the page's form-action policy to that redirect."""
    origins = []
    for item in providers:
        parts = urlsplit(item["settings"]["server_url"])
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return list(dict.fromkeys(origins))
