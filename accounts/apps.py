from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from allauth.account import signals as account_signals
        from allauth.mfa import signals as mfa_signals
        from django.contrib.auth.signals import user_logged_in
        from django.utils.module_loading import autodiscover_modules
        from hijack import signals as hijack_signals

        from accounts.guests import guest_ends_with_a_password
        from accounts.impersonation import hijack_ended_audit, hijack_started_audit
        from accounts.language import user_signed_up_remember_language
        from accounts.staff_sessions import user_logged_in_reset_staff_deadline
        from accounts.tokens import api_tokens_revoke_on_credential_change

        account_signals.user_signed_up.connect(
            user_signed_up_remember_language, dispatch_uid="accounts_language_on_signup")
        user_logged_in.connect(user_logged_in_reset_staff_deadline, dispatch_uid="accounts_staff_session_deadline")
        for signal in (account_signals.password_changed, account_signals.password_set,
                       account_signals.password_reset, mfa_signals.authenticator_added,
                       mfa_signals.authenticator_removed):
            signal.connect(api_tokens_revoke_on_credential_change,
                           dispatch_uid="accounts_tokens_revoke_on_credential_change")
        for signal in (account_signals.password_reset, account_signals.password_set):
            signal.connect(guest_ends_with_a_password, dispatch_uid="accounts_guest_ends_with_a_password")
        hijack_signals.hijack_started.connect(hijack_started_audit, dispatch_uid="accounts_impersonation_start_audit")
        hijack_signals.hijack_ended.connect(hijack_ended_audit, dispatch_uid="accounts_impersonation_stop_audit")
        # Each app's `personal_data.py` registers what it holds of a person (accounts.personal_data).
        autodiscover_modules("personal_data")
