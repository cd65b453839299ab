"""Accounts in the admin. Superusers only: users, sign-in attempts and lockouts, authenticator
devices. Every staff user: their own API tokens (superusers: everyone's) and the sign-in form."""

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.admin import AccessLogAdmin as AxesAccessLogAdmin
from axes.models import AccessAttempt, AccessLog
from django.contrib import admin
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from . import services
from .forms import AdminLoginForm, IssueTokenForm
from .models import ApiToken, User

# Username, password and, for users who enrolled an authenticator, its code.
admin.site.login_form = AdminLoginForm


class SuperusersOnly:
    """Whoever sees this can harm every account (grant permissions, read who signed in from
    where), so only active superusers may, whatever permissions a staff account was given."""

    def has_module_permission(self, request):
        return request.user.is_superuser and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return request.user.is_superuser and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)


class UserCreationForm(AdminUserCreationForm):
    """Django's admin creation form, bound to our user model, asking for the email too."""

    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ["username", "email", "full_name"]


class UserChangeForm(DjangoUserChangeForm):
    class Meta(DjangoUserChangeForm.Meta):
        model = User
        fields = [
            "username",
            "password",
            "full_name",
            "email",
            "is_active",
            "is_staff",
            "is_superuser",
            "groups",
            "user_permissions",
        ]


@admin.register(User)
class UserAdmin(SuperusersOnly, DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ["username", "email", "full_name", "is_active", "is_staff", "is_superuser", "date_joined"]
    list_filter = ["is_active", "is_staff", "is_superuser", "groups"]
    search_fields = ["username", "email", "full_name"]
    ordering = ["username"]
    readonly_fields = ["id", "last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["id", "username", "password"]}),
        ("Personal info", {"fields": ["full_name", "email"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "email", "full_name", "usable_password", "password1", "password2"],
            },
        ),
    ]


@admin.register(AccessAttempt)
class AccessAttemptAdmin(SuperusersOnly, AxesAccessAttemptAdmin):
    """Failed sign-ins per (username, address); deleting one clears its lockout at once."""

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AccessLog)
class AccessLogAdmin(SuperusersOnly, AxesAccessLogAdmin):
    """Successful admin sign-ins and sign-outs."""

    def has_change_permission(self, request, obj=None):
        return False


admin.site.unregister(TOTPDevice)  # django-otp's shows every user's device, and its key


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(SuperusersOnly, admin.ModelAdmin):
    """Authenticator devices: a superuser removes one for a user who lost theirs, which ends
    that user's sessions and API tokens as their own removal does (services.remove_devices)."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # users enrol themselves on the two-factor page

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        self.remove_devices(request, [obj.user_id])

    def delete_queryset(self, request, queryset):
        self.remove_devices(request, set(queryset.values_list("user_id", flat=True)))

    def remove_devices(self, request, user_ids) -> None:
        for user in User.objects.filter(pk__in=user_ids):
            # Their own device: the request's user, so that this session goes on.
            mine = user == request.user
            services.remove_devices(user=request.user if mine else user)
            if mine:
                update_session_auth_hash(request, request.user)


admin.site.unregister(AuthToken)  # knox's lists digests and issues tokens for anyone


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """API tokens, never their keys: superusers see and issue everyone's, other staff their own.
    A new token's key is shown once, on the page that issued it; deleting a token revokes it.
    A token passed a second factor only when its holder issued it signed in with their code."""

    list_display = ["__str__", "user", "created", "expiry", "passed_second_factor"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    fields = ["user", "created", "expiry", "passed_second_factor"]
    readonly_fields = fields

    def get_queryset(self, request):
        tokens = super().get_queryset(request).with_second_factor()
        return tokens if request.user.is_superuser else tokens.filter(user=request.user)

    def may_manage(self, request, obj=None) -> bool:
        user = request.user
        return (
            user.is_active and user.is_staff and (obj is None or user.is_superuser or obj.user_id == user.pk)
        )

    def has_module_permission(self, request):
        return self.may_manage(request)

    def has_view_permission(self, request, obj=None):
        return self.may_manage(request, obj)

    def has_add_permission(self, request):
        return self.may_manage(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.may_manage(request, obj)

    @admin.display(boolean=True, description="Second factor")
    def passed_second_factor(self, token: ApiToken) -> bool:
        return token.passed_second_factor

    def add_view(self, request, form_url="", extra_context=None):
        """Issue a token and show its key, this once."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = IssueTokenForm(request.POST if request.method == "POST" else None, issuer=request.user)
        context = {**self.admin_site.each_context(request), "opts": self.opts, "form": form}
        context["title"] = "Issue an API token"
        if form.is_valid():
            holder = form.cleaned_data["user"]
            # Its holder's own sign-in passed a second factor only if they are the one here,
            # signed in with a code; a superuser's code says nothing about someone else.
            second_factor = holder == request.user and request.user.is_verified()
            token, key = services.issue_token(user=holder, second_factor=second_factor)
            self.log_addition(request, token, [{"added": {}}])
            context.update(title="API token issued", token=token, key=key)
        return TemplateResponse(request, "admin/accounts/apitoken/issue.html", context)
