"""The sign-in actions every interface calls: API tokens and the second factor."""

import math

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import ApiToken, TokenSecondFactor, User

# Every failed sign-in at the token endpoint gets this one answer: it never tells that a
# password was right (a missing or wrong code), nor that a user exists or is inactive.
WRONG_CREDENTIALS = (
    "Unable to log in with provided credentials "
    "(username, password and, once two-factor sign-in is set up, the current otp code)."
)
CODE_WRONG = "That code is wrong or has expired: enter the one your authenticator app shows now."
CODE_WAIT = (
    "After a wrong code the next one is accepted only after a pause: wait {seconds} second{s}, "
    "then enter the code your authenticator app shows then."
)
ENROL_FIRST = "Staff must set up two-factor sign-in in the admin first."
SESSION_WITHOUT_SECOND_FACTOR = (
    "Staff must sign in with a second factor: in the admin, set up two-factor sign-in, or enter "
    "the code from your authenticator app to confirm this session."
)
ISSUED_WITHOUT_SECOND_FACTOR = (
    "This token was issued without a second factor, which staff need: set up two-factor sign-in "
    "in the admin, then get a new token from POST /api/v1/auth/token/ with your otp code (or issue "
    "one in the admin while signed in with your code)."
)


@transaction.atomic
def issue_token(*, user: User, second_factor: bool = False) -> tuple[ApiToken, str]:
    """A new API token for `user`, expiring after API_TOKEN_TTL_DAYS, and its key: stored only
    as a digest, so this is the one time anyone sees it. `second_factor`: the sign-in issuing
    it passed one (with STAFF_2FA_REQUIRED, a staff user's token works only then). The user's
    expired tokens go."""
    ApiToken.objects.filter(user=user).expired().delete()
    token, key = ApiToken.objects.create(user=user)
    if second_factor:
        TokenSecondFactor.objects.create(token=token)
    return token, key


def verify_second_factor(*, request: HttpRequest, user: User, code: str | None) -> TOTPDevice | None:
    """The device that accepts `code` for `user`, or None for a user without one. A missing or
    wrong code is a failed sign-in (counted towards the lockout) raising the ValidationError of a
    wrong password (WRONG_CREDENTIALS), so nothing tells that the password was right."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=True).first()
    if device is None:
        return None
    code = "".join((code or "").split())
    if code.isdigit() and verify_token(user, device.persistent_id, code):
        return device
    user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)
    raise ValidationError({NON_FIELD_ERRORS: [WRONG_CREDENTIALS]})


def obtain_token(
    *, request: HttpRequest, username: str, password: str, otp: str = ""
) -> tuple[ApiToken, str]:
    """A token (issue_token) for the user these credentials name, marked as having passed a
    second factor when the user has one. Axes refuses a locked-out (username, address) and
    counts a wrong password; a missing or wrong code fails alike. Staff must have a second
    factor with STAFF_2FA_REQUIRED. Raises ValidationError naming the field."""
    user = authenticate(request, username=username, password=password)
    if user is None:
        raise ValidationError({NON_FIELD_ERRORS: [WRONG_CREDENTIALS]})
    device = verify_second_factor(request=request, user=user, code=otp)
    if settings.STAFF_2FA_REQUIRED and user.is_staff and device is None:
        # The admin's sign-in would accept this password too (and show only the enrolment
        # page), so naming the reason here tells nobody more than it does.
        raise ValidationError({"otp": [ENROL_FIRST]})
    return issue_token(user=user, second_factor=device is not None)


def end_sign_ins(*, user: User) -> User:
    """End every way the user is signed in: their sessions (User.objects.end_sessions) and API
    tokens. The caller keeps its own session with update_session_auth_hash(request, user)."""
    ApiToken.objects.filter(user=user).delete()
    return User.objects.end_sessions(user)


def enrolment_device(*, user: User) -> TOTPDevice:
    """The user's authenticator device: the confirmed one, else the pending one (created with a
    fresh random key), which counts only once a first code confirms it."""
    devices = TOTPDevice.objects.devices_for_user(user)
    device = devices.order_by("-confirmed", "-id").first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@transaction.atomic
def confirm_device(*, user: User, device: TOTPDevice, code: str) -> TOTPDevice | None:
    """Check `code` on the user's device; a pending device it confirms becomes the user's only
    one, and every other sign-in of theirs ends (end_sign_ins): a session or token from before
    never passed this factor. Returns the device, or None when the code is wrong."""
    verified = verify_token(user, device.persistent_id, "".join(code.split()))
    if verified is not None and not verified.confirmed:
        TOTPDevice.objects.devices_for_user(user).exclude(pk=verified.pk).delete()
        verified.confirmed = True
        verified.save(update_fields=["confirmed"])
        end_sign_ins(user=user)
    return verified


def code_wait_seconds(*, device: TOTPDevice) -> int:
    """Seconds until `device` takes a code again (django-otp's throttle doubles the pause after
    each wrong code), 0 when it takes one now: a right code sent sooner would be refused as wrong."""
    allowed, details = device.verify_is_allowed()
    if allowed or not (details or {}).get("locked_until"):
        return 0
    return max(1, math.ceil((details["locked_until"] - timezone.now()).total_seconds()))


@transaction.atomic
def remove_devices(*, user: User) -> int:
    """Delete the user's authenticator devices and end every sign-in of theirs (end_sign_ins),
    since the device may be in someone else's hands: until they enrol again, their password
    alone signs them in (or, with STAFF_2FA_REQUIRED, reaches only the enrolment page)."""
    deleted, _ = TOTPDevice.objects.devices_for_user(user).delete()
    end_sign_ins(user=user)
    return deleted


INTEGRATION_EMAIL_DOMAIN = "integrations.invalid"  # RFC 2606: never a mailbox, never mailed


@transaction.atomic
def create_integration(*, name: str, permissions: list) -> tuple[User, str]:
    """An account for another program: not staff, in no group (so never notified, never
    assigned, no admin), no password, exactly `permissions` (Permission rows), and a new API
    token whose key is returned, the one time anyone sees it. For an existing integration of
    that name: its permissions set again and a new token (the old ones keep working until
    revoked). Raises ValidationError on a name taken by a person's account."""
    user = User.objects.get_by_username(name)
    if user is None:
        user = User(
            username=name, email=f"{name}@{INTEGRATION_EMAIL_DOMAIN}", full_name=f"{name} (integration)"
        )
        user.full_clean(exclude=["password"])
        user.set_unusable_password()
        user.save()
    elif user.is_staff or user.is_superuser or user.groups.exists() or user.has_usable_password():
        raise ValidationError({"name": [f"{name!r} is a person's account; choose another name."]})
    user.user_permissions.set(permissions)
    _, key = issue_token(user=user)
    return user, key
