from django.apps import AppConfig


class VendorsConfig(AppConfig):
    name = "vendors"
    verbose_name = "Vendors"

    def ready(self) -> None:
        from celery.signals import task_postrun, task_prerun

        from vendors import row_security

        # A task run in a vendor's schema is bound to that vendor (docs/adr/0047); connected after
        # tenant-schemas-celery's own handlers (config.celery), which switch the schema first.
        task_prerun.connect(row_security.task_bind, dispatch_uid="vendor_row_security_bind")
        task_postrun.connect(row_security.task_release, dispatch_uid="vendor_row_security_release")
        from payments.connected_accounts import AccountDirectory, account_directory_register
        from vendors.selectors import vendor_account_ids, vendor_account_known

        # payments knows no other app: vendors tells it which Connect accounts are ours.
        account_directory_register(AccountDirectory(known=vendor_account_known,
                                                    account_ids=vendor_account_ids))
