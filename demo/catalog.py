"""The demo stores' catalogs: products with variants, texts from Faker and a picture each."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from django.utils.text import slugify

from demo.pictures import jpeg_bytes, product_picture, thumbnail_bytes
from demo.stores import PRICE_FACTOR, Shelf, Store


@dataclass(frozen=True)
class ProductPlan:
    name: str
    shelf: Shelf
    description: str
    variants: list[dict[str, Any]]
    attributes: dict[str, str]


def _price(store: Store, shelf: Shelf, rng: random.Random) -> int:
    """A shop-like price in minor units (…90), in the store's currency."""
    euros = rng.randint(*shelf.price_eur)
    major = max(2, round(euros * PRICE_FACTOR[store.currency]))
    if major >= 200:
        major = round(major, -1)
    return major * 100 - 10


def category_path(store: Store, shelf: Shelf) -> str:
    return f"{slugify(store.department)}/{slugify(shelf.category)}"


def catalog_plan(store: Store, *, products: int) -> list[ProductPlan]:
    """The store's products, the same on every run (seeded by the store's slug)."""
    from faker import Faker

    rng = random.Random(f"catalog:{store.slug}")
    fake = Faker(store.locale)
    fake.seed_instance(f"catalog:{store.slug}")
    city = fake.city()
    names: list[tuple[str, Shelf]] = []
    pairs = [(f"{adjective} {noun}", shelf) for shelf in store.shelves
             for noun in shelf.nouns for adjective in shelf.adjectives]
    rng.shuffle(pairs)
    # Shelf by shelf in turn, so a short catalog still shows every category of the store.
    by_shelf = {shelf.category: [p for p in pairs if p[1] is shelf] for shelf in store.shelves}
    while len(names) < products and any(by_shelf.values()):
        for shelf in store.shelves:
            if by_shelf[shelf.category] and len(names) < products:
                names.append(by_shelf[shelf.category].pop())
    plans = []
    prefix = store.slug[:3].upper()
    for index, (name, shelf) in enumerate(names):
        price = _price(store, shelf, rng)
        on_sale = rng.random() < 0.18
        stock_for = (lambda: rng.choice([0, 2, 3])) if rng.random() < 0.1 else (lambda: rng.randint(20, 90))
        sku = f"{prefix}-{index + 1:03d}"
        values = list(shelf.values)
        variants: list[dict[str, Any]]
        if shelf.option and values:
            chosen = values[: rng.randint(2, len(values))]
            variants = [{"sku": f"{sku}-{slugify(value).upper()[:8]}", "options": {shelf.option: value},
                         "price_amount": price + (step * rng.choice([0, 0, 200, 500]) if shelf.option == "size" else 0),
                         "stock": stock_for()} for step, value in enumerate(chosen)]
        else:
            variants = [{"sku": sku, "options": {}, "price_amount": price, "stock": stock_for()}]
        for variant in variants:
            variant["currency"] = store.currency
            variant["weight_grams"] = shelf.weight_grams
            amount = int(variant["price_amount"])
            variant["compare_at_amount"] = (amount * 5 // 4 // 100 * 100 + 90) if on_sale else None
        material = name.split(" ")[0].lower()
        description = (
            f"<p>{name}, from {store.name} in {city}. {store.tagline}</p>"
            f"<p>{fake.sentence(nb_words=14)} {fake.sentence(nb_words=10)}</p>"
        )
        plans.append(ProductPlan(name=name, shelf=shelf, description=description, variants=variants,
                                 attributes={"style": material}))
    return plans


def store_catalog_seed(store: Store, *, products: int, categories: dict[str, int]) -> list[int]:
    """Create the store's catalog in the current (vendor) schema unless it has products already;
    returns the ids of the products made.

    In bulk (a few statements per store, not a few per product): rows as the catalog services
    would write them (sanitised description, initial stock with its history row), every product's
    picture and thumbnail saved through the catalog's storage like an upload's, and one outbox
    event per product so the marketplace projection follows the usual way.
    """
    from django.core.files.base import ContentFile
    from django.db import transaction

    from catalog.models import Product, ProductImage, Variant
    from catalog.services.images import THUMBNAIL_SIZE
    from catalog.services.outbox import outbox_write_many
    from catalog.services.stock import stock_history_initial_many
    from catalog.services.validation import description_sanitize

    if Product.objects.exists():
        return []
    plans = catalog_plan(store, products=products)
    with transaction.atomic():
        made = Product.objects.bulk_create([
            Product(name=plan.name, handle=slugify(plan.name)[:100], status=Product.Status.ACTIVE,
                    description=description_sanitize(plan.description),
                    category_id=categories.get(category_path(store, plan.shelf)),
                    option_types=[plan.shelf.option] if plan.shelf.option else [], attributes=plan.attributes)
            for plan in plans
        ])
        variants = Variant.objects.bulk_create([
            Variant(product=product, position=position, **spec)
            for product, plan in zip(made, plans, strict=True) for position, spec in enumerate(plan.variants)
        ])
        stock_history_initial_many(variants=variants)
        images = []
        for product, plan in zip(made, plans, strict=True):
            picture = product_picture(icon=plan.shelf.icon, colours=plan.shelf.colours,
                                      seed=f"{store.slug}:{plan.name}")
            image = ProductImage(product=product, alt=plan.name, width=picture.width, height=picture.height,
                                 position=0, thumbnail_status=ProductImage.ThumbnailStatus.READY)
            image.image.save(f"{product.handle}.jpg", ContentFile(jpeg_bytes(picture)), save=False)
            image.thumbnail.save(f"thumb-{product.handle}.webp",
                                 ContentFile(thumbnail_bytes(picture, THUMBNAIL_SIZE)), save=False)
            images.append(image)
        ProductImage.objects.bulk_create(images)
        outbox_write_many(product_ids=[product.pk for product in made])
    return [product.pk for product in made]
