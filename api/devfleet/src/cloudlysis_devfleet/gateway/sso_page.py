"""The devfleet Gateway's single sign-on page: the login leg of the OIDC authorization-code flow,
standing in for whatever identity provider a real Gateway brokers."""

from html import escape

from cloudlysis_devfleet.gateway.signin import AuthorizeParams

_STYLE = (
    "body{font-family:system-ui,sans-serif;background:#f4f4f5;display:flex;justify-content:center;"
    "padding-top:10vh}form{background:#fff;border:1px solid #d4d4d8;border-radius:12px;"
    "padding:24px;width:320px;display:flex;flex-direction:column;gap:12px}"
    "label{display:flex;flex-direction:column;gap:4px;font-size:14px}"
    "input{padding:6px 8px;border:1px solid #a1a1aa;border-radius:6px}"
    "button{padding:8px;border-radius:6px;border:0;background:#18181b;color:#fff}"
    "p[role=alert]{color:#991b1b;margin:0}"
)


def sso_login_page(params: AuthorizeParams, error: str | None = None) -> str:
    hidden = {
        "response_type": "code",
        "client_id": params.client_id,
        "redirect_uri": params.redirect_uri,
        "state": params.state,
        "code_challenge": params.code_challenge,
        "code_challenge_method": "S256",
    }
    fields = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in hidden.items()
    )
    alert = f'<p role="alert">{escape(error)}</p>' if error else ""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<title>Cloudlysis Gateway · Single sign-on</title>"
        f"<style>{_STYLE}</style></head><body>"
        '<form method="post" action="/auth/v1/sso/authorize">'
        "<h1 style='font-size:18px;margin:0'>Cloudlysis Gateway</h1>"
        f"<p style='margin:0;font-size:14px'>Sign in to continue to {escape(params.client_id)}.</p>"
        f"{alert}{fields}"
        '<label>User name<input name="username" autocomplete="username" required></label>'
        '<label>Password<input name="password" type="password" autocomplete="current-password"'
        " required></label>"
        '<button type="submit">Sign in</button></form></body></html>'
    )
