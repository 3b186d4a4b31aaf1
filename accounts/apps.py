from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from allauth.account.signals import user_signed_up

        from accounts.language import user_signed_up_remember_language

        user_signed_up.connect(user_signed_up_remember_language, dispatch_uid="accounts_language_on_signup")
