"""The demo stores of `make run`: who sells what, where, in which currency, and their logins.

One source for the seed, the table `make run` prints and the README's list of stores.
"""

from __future__ import annotations

from dataclasses import dataclass

DEMO_PASSWORD = "demo-pass-1234"
PLATFORM_LOGINS = (
    ("platform admin", "admin@example.com", "Ada Admin", "admin"),
    ("finance", "finance@example.com", "Finn Finance", "finance"),
    ("buyer", "buyer@example.com", "Bea Buyer", ""),
)


@dataclass(frozen=True)
class Shelf:
    """One category a store sells in: what its products are called and what tells variants apart."""

    category: str  # name of the subcategory under the store's department
    icon: str  # a bootstrap-icons name: the picture of every product of this shelf
    colours: tuple[str, str]  # gradient of the picture, top to bottom
    nouns: tuple[str, ...]
    adjectives: tuple[str, ...]
    price_eur: tuple[int, int]  # price range in whole euros, converted for other currencies
    option: str = ""  # "colour" or "size"; empty: a single variant
    values: tuple[str, ...] = ()
    weight_grams: int = 500


@dataclass(frozen=True)
class Store:
    slug: str
    name: str
    currency: str
    country: str
    locale: str  # Faker's locale for the store's buyers, addresses and texts
    department: str  # the top-level category
    tagline: str
    shelves: tuple[Shelf, ...]

    @property
    def owner_email(self) -> str:
        return f"owner@{self.slug}.example.com"


# Whole euros → whole units of the store's currency, roughly (demo prices only, not an FX rate).
PRICE_FACTOR = {"EUR": 1.0, "GBP": 0.85, "CHF": 0.95, "SEK": 11.0, "DKK": 7.5, "PLN": 4.3}

COLOURS = ("black", "navy", "forest green", "sand", "red", "grey")
SIZES = ("S", "M", "L", "XL")

DEMO_STORES: tuple[Store, ...] = (
    Store("acme", "Acme Outdoor", "EUR", "DE", "de_DE", "Outdoor",
          "Gear for long days on the trail, tested in the Alps.", (
              Shelf("Backpacks", "backpack", ("#2f6b4f", "#123528"),
                    ("Backpack 30L", "Daypack 20L", "Trekking Pack 45L", "Hip Bag", "Roll-top Bag"),
                    ("Trail", "Summit", "Alpine", "Ridge", "Canyon", "Forest"), (39, 149), "colour",
                    COLOURS[:4], 900),
              Shelf("Hiking gear", "compass", ("#3d6f8e", "#173345"),
                    ("Trekking Poles", "Compass", "Headlamp", "Water Filter", "Camp Stove"),
                    ("Aluminium", "Carbon", "Pocket", "Expedition", "Ultralight"), (15, 99), weight_grams=400),
              Shelf("Clothing", "sun", ("#c0873f", "#6b3f12"),
                    ("Hiking Socks", "Sun Hat", "Rain Jacket", "Fleece", "Base Layer"),
                    ("Merino", "Windproof", "Breathable", "Packable", "Thermal"), (19, 129), "size", SIZES, 300),
          )),
    Store("globex", "Globex Kitchen", "EUR", "FR", "fr_FR", "Kitchen",
          "Cookware French chefs reach for every day.", (
              Shelf("Cookware", "fire", ("#b5523b", "#5a1f12"),
                    ("Skillet", "Saucepan", "Dutch Oven", "Wok", "Crêpe Pan"),
                    ("Cast Iron", "Copper", "Enamelled", "Carbon Steel", "Stainless"), (29, 189), "size",
                    ("20 cm", "24 cm", "28 cm"), 2000),
              Shelf("Knives", "scissors", ("#5b6770", "#22292e"),
                    ("Chef's Knife", "Paring Knife", "Bread Knife", "Santoku", "Knife Block"),
                    ("Forged", "Damascus", "Olivewood", "Classic", "Professional"), (25, 169), weight_grams=300),
              Shelf("Tableware", "cup-hot", ("#d8a24a", "#7a4b10"),
                    ("Espresso Cups", "Dinner Plates", "Salad Bowl", "Teapot", "Carafe"),
                    ("Porcelain", "Stoneware", "Bistro", "Provence", "Glazed"), (14, 79), "colour",
                    ("white", "blue", "sage"), 800),
          )),
    Store("initech", "Initech Office", "EUR", "NL", "nl_NL", "Office",
          "A calmer desk: lamps, paper and tools that last.", (
              Shelf("Lighting", "lamp", ("#e0b84c", "#6e5410"),
                    ("Desk Lamp", "Clip Light", "Floor Lamp", "Monitor Light"),
                    ("Ergonomic", "Dimmable", "Architect", "Minimal", "Brass"), (29, 159), "colour",
                    ("black", "white", "brass"), 1500),
              Shelf("Supplies", "paperclip", ("#c44536", "#5e1a12"),
                    ("Stapler", "Desk Organiser", "Pen Cup", "Letter Tray", "Paper Clips"),
                    ("Red", "Steel", "Walnut", "Cork", "Heavy-duty"), (5, 49), weight_grams=400),
          )),
    Store("nordlys", "Nordlys Home", "SEK", "SE", "sv_SE", "Home",
          "Scandinavian light and textiles from Gothenburg.", (
              Shelf("Textiles", "house", ("#8aa39b", "#33453f"),
                    ("Throw", "Cushion Cover", "Linen Tablecloth", "Wool Blanket", "Rug"),
                    ("Linen", "Wool", "Striped", "Woven", "Nordic"), (25, 189), "colour",
                    ("oat", "slate", "rust"), 900),
              Shelf("Candles", "fire", ("#f2c14e", "#7d5a12"),
                    ("Candle Holder", "Pillar Candles", "Lantern", "Tea Lights"),
                    ("Brass", "Beeswax", "Glass", "Midsummer", "Smoked"), (9, 69), weight_grams=600),
              Shelf("Decor", "flower2", ("#b7a4c9", "#4a3a5c"),
                    ("Vase", "Wall Print", "Mirror", "Bowl", "Planter"),
                    ("Ceramic", "Oak", "Round", "Frosted", "Handmade"), (19, 149), weight_grams=1200),
          )),
    Store("thistle", "Thistle & Wool", "GBP", "GB", "en_GB", "Fashion",
          "Knitwear from small Scottish mills.", (
              Shelf("Knitwear", "suit-heart", ("#6d597a", "#2e2236"),
                    ("Jumper", "Cardigan", "Beanie", "Scarf", "Mittens"),
                    ("Lambswool", "Cable-knit", "Fair Isle", "Shetland", "Cashmere"), (25, 189), "size", SIZES, 400),
              Shelf("Accessories", "handbag", ("#a26769", "#4a2426"),
                    ("Tote Bag", "Wallet", "Belt", "Umbrella", "Tweed Cap"),
                    ("Leather", "Tweed", "Waxed", "Tartan", "Canvas"), (19, 129), "colour",
                    ("brown", "black", "tartan"), 350),
          )),
    Store("fjord", "Fjord Ceramics", "DKK", "DK", "da_DK", "Kitchen",
          "Stoneware thrown by hand in Aarhus.", (
              Shelf("Tableware", "cup", ("#5e8c9a", "#20404a"),
                    ("Mug", "Plate", "Bowl", "Jug", "Serving Platter"),
                    ("Stoneware", "Speckled", "Matte", "Glazed", "Raw"), (15, 89), "colour",
                    ("sand", "sea", "charcoal"), 700),
              Shelf("Cookware", "egg-fried", ("#c97b4a", "#5f3216"),
                    ("Baking Dish", "Casserole", "Pie Dish", "Mortar"),
                    ("Clay", "Glazed", "Rustic", "Oven-proof"), (29, 119), weight_grams=2000),
          )),
    Store("alpenrose", "Alpenrose Sport", "CHF", "CH", "de_CH", "Sports",
          "Ski, bike and run gear from Zermatt.", (
              Shelf("Cycling", "bicycle", ("#d1495b", "#5e1520"),
                    ("Bike Light", "Saddle Bag", "Helmet", "Bottle Cage", "Cycling Gloves"),
                    ("Aero", "Gravel", "Commuter", "Carbon", "Reflective"), (15, 199), weight_grams=400),
              Shelf("Running", "stopwatch", ("#00798c", "#00323a"),
                    ("Running Vest", "Trail Shoes", "Sports Watch", "Headband", "Running Belt"),
                    ("Lightweight", "Trail", "Marathon", "Night", "Alpine"), (19, 249), "size", SIZES, 300),
              Shelf("Winter sports", "snow", ("#7fb7d8", "#24506b"),
                    ("Ski Goggles", "Ski Gloves", "Neck Warmer", "Wax Kit", "Ski Socks"),
                    ("Powder", "Glacier", "Thermal", "Storm", "Piste"), (19, 179), weight_grams=350),
          )),
    Store("wisla", "Wisła Toys", "PLN", "PL", "pl_PL", "Toys",
          "Wooden toys and games made near Kraków.", (
              Shelf("Wooden toys", "balloon", ("#e07a5f", "#7a2e1b"),
                    ("Train Set", "Stacking Rings", "Rocking Horse", "Building Blocks", "Pull-along Dog"),
                    ("Wooden", "Beech", "Rainbow", "Classic", "Painted"), (12, 89), weight_grams=900),
              Shelf("Games and puzzles", "puzzle", ("#3d405b", "#16172a"),
                    ("Jigsaw Puzzle", "Board Game", "Memory Game", "Chess Set", "Dominoes"),
                    ("Family", "1000-piece", "Travel", "Classic", "Forest"), (9, 59), weight_grams=700),
          )),
    Store("verde", "Verde Garden", "EUR", "ES", "es_ES", "Garden",
          "Tools and seeds for Mediterranean gardens.", (
              Shelf("Garden tools", "tools", ("#6a994e", "#26401a"),
                    ("Trowel", "Pruning Shears", "Watering Can", "Hand Rake", "Kneeling Pad"),
                    ("Stainless", "Ash-handled", "Copper", "Ergonomic", "Compact"), (9, 69), weight_grams=600),
              Shelf("Planters", "flower1", ("#bc6c25", "#5a3008"),
                    ("Terracotta Pot", "Window Box", "Hanging Planter", "Raised Bed"),
                    ("Terracotta", "Glazed", "Zinc", "Cedar"), (12, 149), "size", ("S", "M", "L"), 2500),
              Shelf("Seeds", "tree", ("#a7c957", "#3f5412"),
                    ("Tomato Seeds", "Herb Collection", "Wildflower Mix", "Pepper Seeds", "Olive Sapling"),
                    ("Heirloom", "Organic", "Sun-loving", "Drought-tolerant", "Balcony"), (3, 39), weight_grams=50),
          )),
    Store("lumen", "Lumen Carta", "EUR", "IT", "it_IT", "Stationery",
          "Paper goods bound by hand in Florence.", (
              Shelf("Notebooks", "journal", ("#9c6644", "#452716"),
                    ("Notebook A5", "Sketchbook", "Travel Journal", "Planner", "Pocket Notebook"),
                    ("Leather", "Marbled", "Dotted", "Lined", "Linen"), (9, 59), "colour",
                    ("tan", "navy", "olive"), 300),
              Shelf("Writing", "pencil", ("#264653", "#0d1b21"),
                    ("Fountain Pen", "Ink Bottle", "Pencil Set", "Calligraphy Kit", "Wax Seal"),
                    ("Brass", "Florentine", "Classic", "Vintage", "Walnut"), (6, 129), weight_grams=150),
          )),
    Store("paws", "Paws & Co", "GBP", "GB", "en_GB", "Pets",
          "Beds, bowls and toys for dogs and cats, made in Bristol.", (
              Shelf("Dogs", "heart", ("#e9c46a", "#6b5212"),
                    ("Dog Bed", "Lead", "Collar", "Rope Toy", "Treat Pouch"),
                    ("Cosy", "Waxed", "Reflective", "Orthopaedic", "Tough"), (9, 119), "size",
                    ("S", "M", "L"), 800),
              Shelf("Cats", "emoji-smile", ("#f4a261", "#7a3d0e"),
                    ("Cat Tree", "Scratching Post", "Feather Wand", "Cat Bowl", "Cat Bed"),
                    ("Sisal", "Ceramic", "Cosy", "Playful", "Felt"), (6, 139), weight_grams=900),
          )),
    Store("bloom", "Bloom Apothecary", "EUR", "BE", "nl_BE", "Beauty",
          "Soaps, oils and candles made in small batches in Ghent.", (
              Shelf("Skincare", "droplet", ("#d4a5a5", "#5e3434"),
                    ("Face Oil", "Hand Cream", "Lip Balm", "Body Butter", "Cleansing Balm"),
                    ("Rosehip", "Lavender", "Calendula", "Unscented", "Sea Buckthorn"), (8, 49), "size",
                    ("30 ml", "100 ml"), 200),
              Shelf("Soap", "bucket", ("#9fc5b0", "#2e5241"),
                    ("Soap Bar", "Shampoo Bar", "Bath Salts", "Soap Dish"),
                    ("Olive Oil", "Oatmeal", "Charcoal", "Rosemary", "Honey"), (5, 29), weight_grams=150),
          )),
)

STORES_BY_SLUG = {store.slug: store for store in DEMO_STORES}


def readme_table() -> str:
    """The README's list of demo stores and logins (a test keeps the README equal to it)."""
    lines = [
        f"Every demo login's password is `{DEMO_PASSWORD}`.",
        "",
        "| who | login | where (port 8000) |",
        "| --- | --- | --- |",
        "| buyer | `buyer@example.com` | http://marketplace.localhost:8000/ |",
        *(f"| {who} | `{email}` | http://marketplace.localhost:8000/ops/ |"
          for who, email, _name, role in PLATFORM_LOGINS if role),
        "",
        "| store | sells | country, currency | owner's login | dashboard |",
        "| --- | --- | --- | --- | --- |",
        *(f"| {store.name} | {store.department}: {', '.join(s.category.lower() for s in store.shelves)} "
          f"| {store.country}, {store.currency} | `{store.owner_email}` "
          f"| http://{store.slug}.marketplace.localhost:8000/dashboard/ |" for store in DEMO_STORES),
    ]
    return "\n".join(lines)
