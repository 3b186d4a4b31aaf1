"""Catalog writes (in the current vendor's schema), one module per entity; every product change also writes the outbox.

Every public name is re-exported here, so `from catalog.services import product_create` keeps working.
"""

from catalog.errors import (
    InvalidImage as InvalidImage,
)
from catalog.errors import (
    InvalidProduct as InvalidProduct,
)
from catalog.errors import (
    InvalidStockAdjustment as InvalidStockAdjustment,
)
from catalog.errors import (
    InvalidStockLocation as InvalidStockLocation,
)
from catalog.errors import (
    InvalidTransition as InvalidTransition,
)
from catalog.errors import (
    StockShort as StockShort,
)
from catalog.services.csv_import import (
    csv_import_start as csv_import_start,
)
from catalog.services.images import (
    ALLOWED_IMAGE_FORMATS as ALLOWED_IMAGE_FORMATS,
)
from catalog.services.images import (
    MAX_IMAGE_BYTES as MAX_IMAGE_BYTES,
)
from catalog.services.images import (
    MAX_IMAGE_PIXELS as MAX_IMAGE_PIXELS,
)
from catalog.services.images import (
    THUMBNAIL_SIZE as THUMBNAIL_SIZE,
)
from catalog.services.images import (
    product_image_add as product_image_add,
)
from catalog.services.images import (
    product_image_delete as product_image_delete,
)
from catalog.services.images import (
    product_image_make_main as product_image_make_main,
)
from catalog.services.images import (
    product_image_thumbnail_generate as product_image_thumbnail_generate,
)
from catalog.services.locations import (
    stock_location_create as stock_location_create,
)
from catalog.services.locations import (
    stock_location_delete as stock_location_delete,
)
from catalog.services.locations import (
    stock_location_update as stock_location_update,
)
from catalog.services.outbox import (
    RELAY_BATCH_SIZE as RELAY_BATCH_SIZE,
)
from catalog.services.outbox import (
    outbox_publish_pending as outbox_publish_pending,
)
from catalog.services.outbox import (
    outbox_write as outbox_write,
)
from catalog.services.outbox import (
    outbox_write_many as outbox_write_many,
)
from catalog.services.outbox import (
    variants_changed_publish as variants_changed_publish,
)
from catalog.services.products import (
    STATUS_TRANSITIONS as STATUS_TRANSITIONS,
)
from catalog.services.products import (
    product_create as product_create,
)
from catalog.services.products import (
    product_delete as product_delete,
)
from catalog.services.products import (
    product_get as product_get,
)
from catalog.services.products import (
    product_prices_change as product_prices_change,
)
from catalog.services.products import (
    product_status_set as product_status_set,
)
from catalog.services.products import (
    product_update as product_update,
)
from catalog.services.stock import (
    stock_adjust as stock_adjust,
)
from catalog.services.stock import (
    stock_bulk_update as stock_bulk_update,
)
from catalog.services.stock import (
    stock_import as stock_import,
)
from catalog.services.stock import (
    stock_location_default as stock_location_default,
)
from catalog.services.stock import (
    stock_move as stock_move,
)
from catalog.services.stock import (
    stock_policy_set as stock_policy_set,
)
from catalog.services.stock import (
    stock_release as stock_release,
)
from catalog.services.stock import (
    stock_reserve as stock_reserve,
)
from catalog.services.stock import (
    stock_restock as stock_restock,
)
from catalog.services.stock import (
    stock_set_initial as stock_set_initial,
)
from catalog.services.translations import (
    product_translation_delete as product_translation_delete,
)
from catalog.services.translations import (
    product_translation_set as product_translation_set,
)
from catalog.services.validation import (
    ALLOWED_ATTRIBUTES as ALLOWED_ATTRIBUTES,
)
from catalog.services.validation import (
    ALLOWED_TAGS as ALLOWED_TAGS,
)
from catalog.services.validation import (
    MAX_OPTION_TYPES as MAX_OPTION_TYPES,
)
from catalog.services.validation import (
    currency_validate as currency_validate,
)
from catalog.services.validation import (
    description_sanitize as description_sanitize,
)
from catalog.services.validation import (
    price_parse as price_parse,
)
from catalog.services.validation import (
    price_validate as price_validate,
)
from catalog.services.validation import (
    vendor_currency as vendor_currency,
)
from catalog.services.variants import (
    variant_create as variant_create,
)
from catalog.services.variants import (
    variant_delete as variant_delete,
)
from catalog.services.variants import (
    variant_update as variant_update,
)
