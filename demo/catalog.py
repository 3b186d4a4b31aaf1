"""The demo stores' catalogs: products with variants, texts from Faker and a picture each."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.text import slugify

from demo.pictures import product_picture
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

    rng = random.Random(f"catalog:{store.slug}")  # nosec B311: demo data, not security
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


def store_catalog_seed(store: Store, *, products: int, categories: dict[str, int]) -> int:
    """Create the store's catalog in the current (vendor) schema unless it has products already;
    returns how many were created. Every product gets its picture and thumbnail now, through the
    same services as a vendor's upload, so the listing and pages show them from the start."""
    from django.db import transaction

    from catalog.models import Product, ProductImage
    from catalog.services import product_create, product_image_add, product_image_thumbnail_generate

    if Product.objects.exists():
        return 0
    made = 0
    for plan in catalog_plan(store, products=products):
        with transaction.atomic():
            product = product_create(
                name=plan.name, status=Product.Status.ACTIVE,
                category_id=categories.get(category_path(store, plan.shelf)),
                option_types=[plan.shelf.option] if plan.shelf.option else [],
                attributes=plan.attributes, variants=plan.variants, description=plan.description,
            )
            picture = product_picture(icon=plan.shelf.icon, colours=plan.shelf.colours,
                                      seed=f"{store.slug}:{plan.name}")
            upload: Any = SimpleUploadedFile(f"{product.handle}.jpg", picture, content_type="image/jpeg")
            image = product_image_add(product=product, upload=upload, alt=plan.name)
        if image.thumbnail_status != ProductImage.ThumbnailStatus.READY:
            product_image_thumbnail_generate(image_id=image.pk)
        made += 1
    return made
