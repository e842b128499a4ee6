"""Rate limits (Flask-Limiter) on the endpoints that guess secrets or take the Saturday rush.

Log-in and token requests are counted per client address, so one address cannot try many
passwords; check-in and voucher codes per account, because a whole event may share one
mobile network's address. The limits come from the config; the counters live in
``RATELIMIT_STORAGE_URI`` (memory by default: per process; use Redis with several workers).
"""
from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user


def client_or_account() -> str:
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


limiter = Limiter(key_func=get_remote_address)


def client_ip() -> str:
    """The caller's address, as the limits and the counter's attempt log see it."""
    return request.remote_addr or "unknown"


def _configured(name: str):
    return lambda: current_app.config[name]


# One budget for pages and API alike: the page and the token endpoint guess the same passwords.
login = limiter.shared_limit(_configured("RATELIMIT_LOGIN"), scope="login", methods=["POST"])
checkin = limiter.shared_limit(_configured("RATELIMIT_CHECKIN"), scope="checkin", key_func=client_or_account,
                               methods=["POST"])
def cross_site_navigation() -> bool:
    """A page load that another site started (a link, an image, a redirect): the browser says so in
    Sec-Fetch-Site. It is not a deliberate look-up, and must not spend anyone's budget."""
    return request.method == "GET" and request.headers.get("Sec-Fetch-Site") in ("cross-site", "same-site")


voucher_code = limiter.shared_limit(_configured("RATELIMIT_VOUCHER_CODE"), scope="voucher-code",
                                    key_func=client_or_account, exempt_when=cross_site_navigation)
# Texting codes costs money and annoys the phone's holder: per address here, per phone in the service.
phone_code = limiter.shared_limit(_configured("RATELIMIT_PHONE_CODE"), scope="phone-code", methods=["POST"])
# Registration: page and API share one budget per address.
registration = limiter.shared_limit(_configured("RATELIMIT_REGISTRATION"), scope="registration", methods=["POST"])
