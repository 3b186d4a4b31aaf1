from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from allauth.account.signals import user_signed_up
        from django.contrib.auth.signals import user_logged_in

        from accounts.language import user_signed_up_remember_language
        from accounts.staff_sessions import user_logged_in_reset_staff_deadline

        user_signed_up.connect(user_signed_up_remember_language, dispatch_uid="accounts_language_on_signup")
        user_logged_in.connect(user_logged_in_reset_staff_deadline, dispatch_uid="accounts_staff_session_deadline")
