from django.apps import AppConfig


class VendorsConfig(AppConfig):
    name = "vendors"
    verbose_name = "Vendors"

    def ready(self) -> None:
        from payments.connected_accounts import AccountDirectory, account_directory_register
        from vendors.selectors import vendor_account_ids, vendor_account_known

        # payments knows no other app: vendors tells it which Connect accounts are ours.
        account_directory_register(AccountDirectory(known=vendor_account_known,
                                                    account_ids=vendor_account_ids))
