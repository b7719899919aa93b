"""Static reference data: products, stores, places, marketing channels, SaaS plans/features.

Kept apart from the archetypes so that behaviour (who buys what) and inventory (what
exists) can change independently. All names are invented; domains use ``.example``.
"""

from __future__ import annotations

from dataclasses import dataclass

RETAIL_DOMAIN = "shop.greenleaf.example"
SAAS_DOMAIN = "app.tallyboard.example"
SAAS_SITE = "www.tallyboard.example"
# The brand as customers write it: its name (no theme term) and handles/domains (never PII).
BRAND = {
    "retail": {"name": "greenleaf", "allow": ["@greenleaf", "greenleaf", RETAIL_DOMAIN]},
    "saas": {
        "name": "tallyboard",
        "allow": ["@tallyboard", "tallyboard", SAAS_DOMAIN, SAAS_SITE],
    },
}


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    category: str
    price: float


_RETAIL_PRODUCTS: dict[str, list[tuple[str, str, float]]] = {
    "supplements": [
        ("SUP-001", "Vitamin D3 + K2 Drops", 18.99),
        ("SUP-002", "Magnesium Glycinate", 24.50),
        ("SUP-003", "Omega-3 Algae Oil", 32.00),
        ("SUP-004", "Daily Multivitamin", 21.99),
        ("SUP-005", "Ashwagandha Calm Capsules", 27.00),
        ("SUP-006", "Joint Support Turmeric", 29.50),
    ],
    "herbal_tea": [
        ("TEA-001", "Chamomile Sleep Blend", 8.99),
        ("TEA-002", "Ginger Turmeric Tea", 9.49),
        ("TEA-003", "Peppermint Digest", 7.99),
        ("TEA-004", "Hibiscus Rosehip", 10.50),
    ],
    "natural_skincare": [
        ("SKN-001", "Rosehip Face Oil", 29.00),
        ("SKN-002", "Oat Milk Cleanser", 16.50),
        ("SKN-003", "Mineral SPF 30", 22.00),
        ("SKN-004", "Shea Body Butter", 18.00),
    ],
    "activewear": [
        ("ACT-001", "Seamless Leggings", 58.00),
        ("ACT-002", "Recycled Sports Bra", 42.00),
        ("ACT-003", "Merino Running Tee", 49.00),
        ("ACT-004", "Training Shorts", 36.00),
    ],
    "sports_nutrition": [
        ("SPN-001", "Plant Protein Vanilla 1kg", 44.99),
        ("SPN-002", "Electrolyte Tabs", 12.99),
        ("SPN-003", "Creatine Monohydrate", 29.99),
        ("SPN-004", "Oat Energy Bars 12-pack", 19.99),
        ("SPN-005", "Recovery BCAA", 27.50),
    ],
    "yoga_fitness_gear": [
        ("YOG-001", "Cork Yoga Mat", 74.00),
        ("YOG-002", "Resistance Band Set", 24.00),
        ("YOG-003", "Foam Roller", 32.00),
        ("YOG-004", "Adjustable Kettlebell", 119.00),
    ],
    "kids_family_wellness": [
        ("KID-001", "Kids Gummy Multivitamin", 15.99),
        ("KID-002", "Elderberry Family Syrup", 19.50),
        ("KID-003", "Lunchbox Snack Variety", 14.00),
        ("KID-004", "Gentle Baby Wash", 11.50),
    ],
    "aromatherapy_home": [
        ("ARO-001", "Ultrasonic Diffuser", 45.00),
        ("ARO-002", "Lavender Essential Oil", 12.00),
        ("ARO-003", "Soy Wax Candle", 24.00),
        ("ARO-004", "Bath Salt Soak", 16.00),
    ],
    "gift_sets": [
        ("GFT-001", "Self-Care Ritual Box", 68.00),
        ("GFT-002", "Tea Lover's Sampler", 39.00),
        ("GFT-003", "Spa Night Gift Set", 85.00),
        ("GFT-004", "Wellness Advent Calendar", 129.00),
        ("GFT-005", "Gift Card 50", 50.00),
    ],
    "sustainable_home": [
        ("SUS-001", "Bamboo Toothbrush 4-pack", 9.99),
        ("SUS-002", "Beeswax Food Wraps", 18.00),
        ("SUS-003", "Refillable Cleaning Kit", 34.00),
        ("SUS-004", "Glass Water Bottle", 26.00),
        ("SUS-005", "Compostable Sponge Set", 8.50),
    ],
}

RETAIL_CATEGORIES: list[str] = list(_RETAIL_PRODUCTS)
RETAIL_PRODUCTS: dict[str, list[Product]] = {
    cat: [Product(s, n, cat, p) for s, n, p in items] for cat, items in _RETAIL_PRODUCTS.items()
}

# Physical stores: (store id, country).
STORES: list[tuple[str, str]] = [(f"ST-{i:03d}", "US") for i in range(1, 11)] + [
    (f"ST-{i:03d}", "GB") for i in range(11, 15)
]

RETAIL_COUPONS = [
    "WELCOME10",
    "SPRING15",
    "SUMMER20",
    "FLASH25",
    "VIP15",
    "BUNDLE10",
    "FREESHIP",
    "HOLIDAY20",
    "APPONLY10",
    "PARTNER15",
    "FRIEND10",
    "BDAY20",
]
PAYMENT_METHODS = ["visa", "mastercard", "amex", "paypal", "apple_pay", "gift_card"]

# Web content sections (page paths are /<kind>/<section>/...).
RETAIL_CONTENT = [
    "family-wellness",
    "immunity",
    "sleep",
    "quick-recipes",
    "training",
    "protein",
    "recovery",
    "healthy-aging",
    "herbal-remedies",
    "mindfulness",
    "zero-waste",
    "clean-beauty",
    "ethical-sourcing",
    "gift-guides",
    "deals",
    "returns-policy",
]
SAAS_CONTENT = [
    "docs/automation",
    "docs/api",
    "docs/integrations",
    "docs/sso",
    "docs/permissions",
    "docs/dashboards",
    "docs/sql",
    "blog/startup-growth",
    "blog/agency-reporting",
    "blog/small-business",
    "blog/data-culture",
    "pricing",
    "security",
    "customers",
    "templates",
    "help/billing",
    "help/troubleshooting",
]

# Marketing: UTM (source, medium, campaign) -> spend channel. The spend file uses the same
# campaign names so events and spend join on campaign.
MARKETING: list[tuple[str, str, str, str]] = [
    # channel, utm source, utm medium, campaign
    ("paid_search", "google", "cpc", "brand_search"),
    ("paid_search", "google", "cpc", "generic_search"),
    ("paid_search", "bing", "cpc", "generic_search_bing"),
    ("paid_social", "facebook", "paid_social", "fb_prospecting"),
    ("paid_social", "instagram", "paid_social", "ig_reels"),
    ("paid_social", "tiktok", "paid_social", "tiktok_creators"),
    ("paid_social", "linkedin", "paid_social", "linkedin_abm"),
    ("display", "gdn", "display", "retargeting"),
    ("display", "criteo", "display", "dynamic_product_ads"),
    ("email", "newsletter", "email", "weekly_newsletter"),
    ("email", "lifecycle", "email", "winback_flow"),
    ("affiliate", "dealhub", "affiliate", "coupon_partners"),
    ("affiliate", "wellnessblog", "affiliate", "content_partners"),
    ("organic", "google", "organic", "seo"),
    ("referral", "producthunt", "referral", "launch_referrals"),
    ("referral", "partner", "referral", "partner_directory"),
]
SPEND_CHANNELS = [
    "paid_search",
    "paid_social",
    "display",
    "email",
    "affiliate",
    "organic",
    "referral",
]
RETAIL_CAMPAIGNS = [
    m for m in MARKETING if m[3] not in ("linkedin_abm", "launch_referrals", "partner_directory")
]
SAAS_CAMPAIGNS = [
    m
    for m in MARKETING
    if m[3] not in ("ig_reels", "tiktok_creators", "dynamic_product_ads", "coupon_partners")
]

# Places: (city, state/region, postal prefix, tag). Tags let archetypes prefer regions.
US_CITIES: list[tuple[str, str, str, str]] = [
    ("New York", "NY", "100", "metro"),
    ("Brooklyn", "NY", "112", "metro"),
    ("Chicago", "IL", "606", "metro"),
    ("Los Angeles", "CA", "900", "metro"),
    ("Austin", "TX", "787", "metro"),
    ("Denver", "CO", "802", "metro"),
    ("Boston", "MA", "021", "metro"),
    ("Atlanta", "GA", "303", "metro"),
    ("Miami", "FL", "331", "metro"),
    ("Naperville", "IL", "605", "suburb"),
    ("Plano", "TX", "750", "suburb"),
    ("Cary", "NC", "275", "suburb"),
    ("Overland Park", "KS", "662", "suburb"),
    ("Edison", "NJ", "088", "suburb"),
    ("Columbus", "OH", "432", "suburb"),
    ("Charlotte", "NC", "282", "suburb"),
    ("Troy", "MI", "480", "suburb"),
    ("Naples", "FL", "341", "sunbelt"),
    ("Sarasota", "FL", "342", "sunbelt"),
    ("Tucson", "AZ", "857", "sunbelt"),
    ("Scottsdale", "AZ", "852", "sunbelt"),
    ("Boca Raton", "FL", "334", "sunbelt"),
    ("Palm Springs", "CA", "922", "sunbelt"),
    ("Portland", "OR", "972", "green"),
    ("Seattle", "WA", "981", "green"),
    ("San Francisco", "CA", "941", "green"),
    ("Oakland", "CA", "946", "green"),
    ("Boulder", "CO", "803", "green"),
    ("Asheville", "NC", "288", "green"),
    ("Burlington", "VT", "054", "green"),
]
UK_CITIES: list[tuple[str, str, str, str]] = [
    ("London", "Greater London", "SW1", "metro"),
    ("London", "Greater London", "N1", "metro"),
    ("Manchester", "Greater Manchester", "M1", "metro"),
    ("Leeds", "West Yorkshire", "LS1", "metro"),
    ("Guildford", "Surrey", "GU1", "suburb"),
    ("Solihull", "West Midlands", "B91", "suburb"),
    ("Bournemouth", "Dorset", "BH1", "sunbelt"),
    ("Eastbourne", "East Sussex", "BN21", "sunbelt"),
    ("Bristol", "Bristol", "BS1", "green"),
    ("Brighton", "East Sussex", "BN1", "green"),
    ("Edinburgh", "Scotland", "EH1", "metro"),
    ("Bath", "Somerset", "BA1", "green"),
]
CITY_TAGS = ["metro", "suburb", "sunbelt", "green"]

# Phone area codes: format-valid US codes (NXX, not N11) and UK geographic codes.
US_AREA_CODES: list[str] = [str(a) for a in range(201, 990) if a % 100 != 11 and a % 10 != 0]
UK_AREA_CODES: list[str] = [
    "20 7946",
    "161 496",
    "121 496",
    "113 496",
    "117 496",
    "131 496",
    "141 496",
    "151 496",
    "114 496",
    "115 496",
    "118 496",
    "116 496",
]

CONSUMER_DOMAINS_US = [
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "icloud.com",
    "aol.com",
    "proton.me",
]
CONSUMER_DOMAINS_GB = [
    "gmail.com",
    "btinternet.com",
    "hotmail.co.uk",
    "yahoo.co.uk",
    "outlook.com",
    "icloud.com",
]

# ---------------------------------------------------------------- SaaS
SAAS_PLANS = ["free", "starter", "pro", "enterprise"]
PLAN_SEAT_PRICE = {"free": 0.0, "starter": 10.0, "pro": 24.0, "enterprise": 45.0}
SAAS_ADDONS = [
    ("addon_extra_storage", "Extra Storage 1TB", 49.0),
    ("addon_premium_support", "Premium Support", 199.0),
    ("addon_data_connectors", "Data Connectors Pack", 149.0),
    ("addon_white_label", "White-label Reports", 99.0),
]
SAAS_PRODUCTS = [
    "tallyboard-platform",
    "tallyboard-analytics",
    "tallyboard-automation",
    "tallyboard-mobile",
]
SAAS_FEATURES = [
    "Dashboard Created",
    "Report Exported",
    "Automation Created",
    "Integration Connected",
    "Task Completed",
    "Board Viewed",
    "Query Run",
    "User Invited",
    "SSO Configured",
    "Audit Log Viewed",
    "Template Used",
    "Client Report Shared",
    "Comment Added",
    "Data Source Connected",
    "Scheduled Report Created",
    "Permission Changed",
]
INDUSTRIES = [
    "Software",
    "Fintech",
    "E-commerce",
    "Manufacturing",
    "Healthcare",
    "Financial Services",
    "Logistics",
    "Marketing & Advertising",
    "Media",
    "Retail",
    "Hospitality",
    "Professional Services",
    "Construction",
    "Insurance",
    "Education",
    "Nonprofit",
]
ROLES = ["decision_maker", "champion", "end_user", "finance", "it_security"]
JOB_TITLES: dict[str, list[str]] = {
    "decision_maker": [
        "CEO",
        "Founder",
        "VP Operations",
        "Head of Marketing",
        "COO",
        "Director of Analytics",
        "Owner",
        "General Manager",
    ],
    "champion": [
        "Operations Manager",
        "Product Manager",
        "Marketing Operations Lead",
        "Analytics Lead",
        "Project Manager",
        "Agency Director",
    ],
    "end_user": [
        "Data Analyst",
        "Account Executive",
        "Designer",
        "Marketing Specialist",
        "Software Engineer",
        "Coordinator",
        "Customer Success Rep",
    ],
    "finance": ["Controller", "Finance Manager", "Accounts Payable Specialist", "CFO"],
    "it_security": ["IT Manager", "Security Engineer", "CISO", "Systems Administrator"],
}
COMPANY_WORDS_A = [
    "North",
    "Blue",
    "Bright",
    "Iron",
    "Silver",
    "Cedar",
    "Summit",
    "Harbor",
    "Granite",
    "Maple",
    "Golden",
    "Swift",
    "Clear",
    "Red",
    "Green",
    "True",
    "Prime",
    "Atlas",
    "Lumen",
    "Vivid",
    "Copper",
    "Oak",
    "River",
    "Stone",
    "Pine",
    "Falcon",
    "Nova",
    "Apex",
    "Bold",
    "Quiet",
]
COMPANY_WORDS_B = [
    "wind",
    "field",
    "point",
    "bridge",
    "works",
    "light",
    "path",
    "wave",
    "stack",
    "line",
    "forge",
    "peak",
    "gate",
    "mark",
    "vale",
    "crest",
    "ridge",
    "spark",
    "loop",
    "grid",
]
COMPANY_SUFFIX = [
    "Labs",
    "Logistics",
    "Health",
    "Partners",
    "Media",
    "Systems",
    "Group",
    "Foods",
    "Studio",
    "Analytics",
    "Finance",
    "Retail",
    "Builders",
    "Insurance",
    "Co",
]
COMPANY_TLDS = ["com", "io", "co", "net", "co.uk"]
