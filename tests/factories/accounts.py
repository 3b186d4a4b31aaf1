import time

import factory

from accounts.models import User

PASSWORD = "test-pass-1234"


def totp_enable(user: User) -> str:
    """Enrol an authenticator app for `user` (as the 2FA set-up page does); returns its secret."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code_for_secret(secret: str, *, step: int = 0) -> str:
    """The code an authenticator app holding `secret` shows now (`step` periods later)."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    counter = int(time.time()) // app_settings.TOTP_PERIOD + step
    return format_hotp_value(hotp_value(secret, counter))


def totp_code(user: User, *, step: int = 0) -> str:
    """The code the user's authenticator app shows now (`step` periods later)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import decrypt

    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    return totp_code_for_secret(decrypt(authenticator.data["secret"]), step=step)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()

    @factory.post_generation
    def email_verified(obj, create, extracted, **kwargs):
        """A confirmed email address, as after the link in the sign-up email; `email_verified=False`
        for an account whose owner never confirmed it."""
        if create and extracted is not False:
            from allauth.account.models import EmailAddress

            EmailAddress.objects.get_or_create(
                user=obj, email=obj.email, defaults={"verified": True, "primary": True})

    @factory.post_generation
    def totp(obj, create, extracted, **kwargs):
        """Platform staff have two-factor authentication, as production requires; `totp=False`
        makes one without (to test the requirement)."""
        wanted = extracted if extracted is not None else bool(obj.platform_role)
        if create and wanted:
            from allauth.mfa.utils import is_mfa_enabled

            if not is_mfa_enabled(obj):
                totp_enable(obj)
