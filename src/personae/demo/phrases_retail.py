"""Phrase banks for the retail archetypes.

Syntax: ``{a|b|c}`` picks one alternative (an empty alternative is allowed); ``@P`` is the
product name. Each answer is opener + core + optional specific + closer, so even a few
cores per archetype yield thousands of distinct sentences.
"""

from __future__ import annotations

BANK: dict[str, dict[str, tuple[list[str], list[str]]]] = {
    "busy_parent": {
        "goal": (
            [
                "keep the {kids|children|whole family} healthy without {spending hours|wasting "
                "evenings} {researching|reading labels}",
                "{find|have} a {simple|quick} routine that {fits|works} around school runs and work",
                "cut down on {sick days|colds|coughs} in our house{| this winter}",
                "{carve out|grab} {ten|fifteen|a few} minutes of self-care {for myself|just for me} "
                "{each night|after bedtime}",
                "{stock up|reorder} on the family basics {in one place|without thinking about it}",
                "get {better|more} sleep{| for once} {and feel less frazzled|so I'm not running on "
                "coffee}",
            ],
            [
                "especially during {cold and flu season|the school year}",
                "since {going back to work|my second was born}",
                "with {two|three} kids under {ten|eight}",
                "on {busy|hectic} weeknights",
                "{without|while not} breaking the {bank|budget}",
            ],
        ),
        "pain_point": (
            [
                "I never have time to compare {labels|ingredients} {properly|in the store}",
                "kids' products are {full of sugar|loaded with additives} and it's hard to tell which "
                "ones are {actually|really} {clean|safe}",
                "delivery windows never match {my schedule|our chaos at home}",
                '{everything|every site} claims to be "natural" and I don\'t know who to trust',
                "{reordering|remembering to reorder} the same things every month is {a chore|a pain}",
                "the {app|checkout} logs me out {right when|just as} I'm about to pay",
            ],
            [
                "after the kids are in bed",
                "when I'm already exhausted",
                "with a toddler on my hip",
                "and I end up giving up",
                "on a {Sunday|school} night",
            ],
        ),
        "motivation": (
            [
                "you had {kid-friendly|child-safe} options {I could trust|my pediatrician was happy "
                "with}",
                "the app makes reordering {super quick|take two minutes}",
                "{a friend|another mom at school} {recommended you|swore by your elderberry syrup}",
                "{I could|I can} get {vitamins|the kids' stuff} and something for me in one order",
                "{delivery|shipping} was {fast|reliable} and the subscription saves me a trip",
            ],
            [
                "{which is huge|and that matters} with my schedule",
                "in one go",
                "even at 10pm",
                "without loading two kids into the car",
            ],
        ),
        "objection": (
            [
                "{the prices|some prices} {seemed|looked} higher than the {supermarket|drugstore}",
                "I wasn't sure the kids would {actually|really} take the gummies",
                "{shipping costs|the delivery fee} on small orders",
                "I didn't want yet another {subscription|account} to manage",
                "I had {no idea|no clue} if the {ingredients|dosages} were right for {children|little "
                "ones}",
            ],
            [
                "{honestly|to be honest}",
                "until I read the reviews",
                "at first",
                "when I first looked",
            ],
        ),
    },
    "fitness_enthusiast": {
        "goal": (
            [
                "{hit|reach} my protein {target|goals} {every day|consistently} without the chalky "
                "taste",
                "{recover|bounce back} faster between {sessions|workouts|training days}",
                "{train|prep} for my {first|next} {marathon|half marathon|powerlifting meet|triathlon}",
                "{build|put on} lean muscle {and|while} {staying|keeping} {lean|light}",
                "{find|have} gear that {holds up|survives} to {daily|twice-a-day} training",
                "{fuel|power} my {early|5am|morning} {workouts|sessions} properly",
            ],
            [
                "this {season|year|spring}",
                "{before|ahead of} race day",
                "while working a desk job",
                "on a {student|tight} budget",
                "{without|with no} junk fillers",
            ],
        ),
        "pain_point": (
            [
                "{most|a lot of} protein {tastes awful|powders taste like chalk} or is full of "
                "{fillers|artificial sweeteners}",
                "sizes are {all over the place|inconsistent} between brands",
                "I run out of {electrolytes|pre-workout|protein} right before a {big|long} "
                "{session|week}",
                "{influencers|ads} push {stuff|products} that doesn't {actually|really} work",
                "{shipping|delivery} takes {forever|too long} when I need a refill {fast|now}",
            ],
            [
                "{and it kills my|which messes up my} {routine|training block}",
                "every single {time|month}",
                "during {marathon|comp} prep",
                "ngl",
            ],
        ),
        "motivation": (
            [
                "your plant protein {actually|genuinely} {tastes good|mixes well}",
                "I {saw|found} you {on Instagram|through a creator I follow} and the {reviews|results} "
                "{were legit|checked out}",
                "{fast|next-day} delivery means I never {miss|skip} a {shake|session}",
                "{the leggings|your activewear} {are squat-proof|didn't go see-through}",
                "{clean|third-party tested} ingredients with {no|zero} {proprietary blends|weird "
                "fillers}",
            ],
            [
                "{which is rare|not common}",
                "{and|plus} the app is {quick|easy}",
                "{for real|100%}",
                "and the price per serving is fair",
            ],
        ),
        "objection": (
            [
                "{I wasn't sure|not sure} about the sizing for the {leggings|shorts}",
                "the price per {serving|scoop} {looked high|seemed steep} {at first|vs the big tubs}",
                "I've been {burned|let down} by {brands|supplements} that {overpromise|underdeliver} "
                "before",
                "there was no {sample|trial} size to {test|try} the flavor",
            ],
            ["{lol|haha}", "tbh", "until a friend vouched for it", "because I'm picky"],
        ),
    },
    "mindful_retiree": {
        "goal": (
            [
                "{keep|stay} {active|mobile} and {independent|sharp} {as I get older|for as long as "
                "possible}",
                "{support|look after} my {joints|heart|bones} {naturally|the natural way}",
                "sleep through the night {without|instead of using} {pills|medication}",
                "enjoy a {calming|quiet} cup of tea {every afternoon|each morning} {with my "
                "husband|with my wife|on the porch}",
                "{find|use} remedies {my doctor|my pharmacist} {is comfortable with|approves of}",
            ],
            [
                "{now that|since} I'm retired",
                "at {sixty-eight|seventy|sixty-five}",
                "after my {hip|knee} surgery",
                "{like|as} my mother did",
            ],
        ),
        "pain_point": (
            [
                "the {print|text} on {labels|bottles} is {far too small|impossible} to read",
                "{websites|online shops} are {confusing|hard to navigate} and {push|pester} you with "
                "pop-ups",
                "{young|the} staff in {some|most} stores can't answer {real|proper} questions",
                "there are {so many|too many} {brands|choices} making {wild|big} claims",
                "I'm never sure about {interactions|mixing them} with my {prescriptions|medication}",
            ],
            [
                "{which|and that} is {frustrating|tiring} at my age",
                "{I must say|frankly}",
                "every time",
                "when I shop alone",
            ],
        ),
        "motivation": (
            [
                "your staff at the {store|shop} {took the time|were patient enough} to explain "
                "{everything|the options}",
                "the newsletter has {useful|sensible} articles {and not just|rather than} sales "
                "pitches",
                "the quality {is consistent|has never let me down} and the teas are {lovely|"
                "delightful}",
                "{my daughter|a neighbour|my doctor} {recommended|suggested} {your shop|you}",
                "you let me order {by phone|in person} {if I prefer|when I want}",
            ],
            [
                "{which I appreciate|and that means a great deal}",
                "{over the years|for years now}",
                "every single time",
                "on a pension",
            ],
        ),
        "objection": (
            [
                "I was {wary|unsure} of {buying|ordering} online",
                "some prices were {a little|rather} high for {a pension|a fixed income}",
                "I did not know whether the {capsules|supplements} were {safe|suitable} alongside my "
                "{medication|tablets}",
                "the website wanted {far too many|too many} {details|questions}",
            ],
            [
                "{at first|initially}",
                "{I admit|I confess}",
                "before I visited the shop",
                "{to be frank|to be perfectly honest}",
            ],
        ),
    },
    "eco_millennial": {
        "goal": (
            [
                "{cut|reduce} {plastic|single-use plastic|waste} {in my home|in our flat|at home} "
                "{one swap at a time|bit by bit}",
                "build a {skincare|bathroom} routine with {clean|honest}, {refillable|low-waste} "
                "products",
                "{support|buy from} brands that {pay fairly|treat their suppliers fairly} and "
                "{show|publish} their supply chain",
                "{live|shop} more {sustainably|consciously} without {paying|spending} a fortune",
                "go {zero-waste|plastic-free} in the kitchen{| this year}",
            ],
            [
                "{this year|by next year}",
                "{and|while} {inspiring|nudging} my friends",
                "as a renter",
                "for the planet, honestly",
            ],
        ),
        "pain_point": (
            [
                "{greenwashing|green-washing} is {everywhere|rampant} and {certifications|labels} are "
                "{confusing|meaningless}",
                '"{eco|sustainable}" products {still|often} arrive {wrapped|packed} in plastic',
                "{ethical|sustainable} {options|brands} cost {twice as much|way more}",
                "it's hard to {find out|verify} where {ingredients|materials} {actually|really} come "
                "from",
                "refills aren't {available|stocked} {locally|near me}",
            ],
            [
                "{which drives me mad|which is so frustrating}",
                "even from {big|well-known} brands",
                "every time I order",
                "{smh|ugh}",
            ],
        ),
        "motivation": (
            [
                "your packaging is {plastic-free|compostable} and you {actually|really} say "
                "{where|how} things are made",
                "the refill {program|scheme} was {exactly|just} what I {needed|wanted}",
                "I {read about you|found your sourcing report} on a {blog|podcast} I {trust|love}",
                "you're {transparent|open} about {carbon|emissions} and your suppliers",
                "the skincare {is|feels} {clean|gentle} and {actually|really} works",
            ],
            [
                "{which is rare|not many brands do that}",
                "{love that|so good}",
                "and the reviews were honest",
                "{plus|and} you offset shipping",
            ],
        ),
        "objection": (
            [
                "I wanted {proof|evidence} that the {sustainability|green} claims were {real|legit}",
                "{shipping|delivery} {emissions|distance} {worried|bothered} me {a bit|somewhat}",
                "prices seemed {higher|steeper} than my local {refill shop|zero-waste store}",
                "I couldn't find {full |}ingredient lists for {some|a few} products",
            ],
            [
                "{initially|at first}",
                "{honestly|tbh}",
                "until I read your impact report",
                "for a while",
            ],
        ),
    },
    "gift_shopper": {
        "goal": (
            [
                "find {thoughtful|beautiful} gifts that look {premium|expensive} without {much|a lot "
                "of} effort",
                "{sort out|tick off} {holiday|Christmas|Mother's Day|Valentine's} {gifts|presents} "
                "{in one go|quickly}",
                "send {a gift|presents} {straight to|directly to} {family|friends|my sister} with a "
                "{card|note}",
                "{treat|spoil} {someone|my partner|my mom} without {guessing|overthinking} what they "
                "like",
            ],
            [
                "{before|ahead of} the {holidays|big day}",
                "every {December|year}",
                "for {three|four|several} households",
                "{last minute|at the last minute}, as usual",
            ],
        ),
        "pain_point": (
            [
                "gift sets on most sites look {cheap|tacky} {once they arrive|in person}",
                "{delivery|shipping} cut-offs around {the holidays|Christmas} are {unclear|a mystery}",
                "I never know what {wellness|self-care} {stuff|products} people {actually|really} "
                "{like|use}",
                "{wrapping|gift wrap} {costs extra|is an extra charge} on every site",
            ],
            [
                "{which stresses me out|and it stresses me out}",
                "every {year|season}",
                "in the busy weeks",
                "{honestly|frankly}",
            ],
        ),
        "motivation": (
            [
                "{the gift sets|your gift boxes} {look|looked} {beautiful|gorgeous} and arrived "
                "{ready to give|wrapped}",
                "your {gift guide|gift finder} {made it easy|did the thinking for me}",
                "{guaranteed|reliable} delivery {before Christmas|by the date I needed}",
                "I could add a {personal|handwritten} note",
            ],
            [
                "{which|and that} {saved me|was a lifesaver}",
                "with a {last-minute|late} order",
                "{and|plus} it felt {premium|special}",
                "{for once|this time}",
            ],
        ),
        "objection": (
            [
                "the price of the bigger sets {made me|had me} {hesitate|pause}",
                "I wasn't sure it would {arrive|get there} {in time|before the holiday}",
                "I couldn't {see|tell} exactly what came in the box",
                "delivery to {multiple|several} addresses {looked complicated|was fiddly}",
            ],
            [
                "{honestly|to be honest}",
                "at first",
                "in the holiday rush",
                "for a {minute|moment}",
            ],
        ),
    },
    "serial_returner": {
        "goal": (
            [
                "find {leggings|activewear} that {actually|really} fit without ordering {three|two} "
                "sizes",
                "{try|test} {new|different} {products|things} without being stuck with {stuff|things} "
                "I don't like",
                "{look|feel} {put together|good} {at the gym|for classes} {on a budget|without "
                "overspending}",
                "{refresh|update} my {workout wardrobe|skincare shelf} every season",
            ],
            [
                "and send back what doesn't work",
                "{this|every} {month|season}",
                "with {free|easy} returns",
                "without the hassle",
            ],
        ),
        "pain_point": (
            [
                "the sizing is never {consistent|accurate} so I {have to|need to} return {half|most} "
                "of {it|my order}",
                "refunds take {forever|weeks} to {show up|come through}",
                "{colours|colors} look {nothing like|different from} the {photos|pictures}",
                "return labels {never|don't} {work|print} {properly|right}",
                "{customer service|support} keeps {asking|making me explain} {the same thing|"
                "everything again}",
            ],
            [
                "every single time",
                "and it's {exhausting|so annoying}",
                "on {almost|nearly} every order",
                "{!!|seriously}",
            ],
        ),
        "motivation": (
            [
                "you offered {free|easy} returns",
                "the {discount|coupon} looked {good|decent}",
                "{lots of|plenty of} {sizes|colours} were in stock",
                "{an ad|a retargeting ad} kept {showing|following me} those leggings",
            ],
            ["{honestly|tbh}", "{mostly|mainly}", "at the time", "{lol|I guess}"],
        ),
        "objection": (
            [
                "I didn't know if the {return|returns} {policy|window} would be {long enough|generous}",
                "your size chart looked {confusing|useless}",
                "some reviews said the {fabric|material} {pills|was thin}",
                "return shipping {might|could} {cost extra|be charged to me}",
            ],
            ["{at first|initially}", "{honestly|to be fair}", "and I was right", "for ages"],
        ),
    },
    "discount_hunter": {
        "goal": (
            [
                "get {the best|a good} {deal|price} on {basics|vitamins|everyday stuff}",
                "{stack|combine} {coupons|promo codes} and pay as little as possible",
                "{stock up|buy} only when there's a {sale|promo}",
                "spend less on {wellness|health} {stuff|products} than at the big {stores|chains}",
            ],
            [
                "{obviously|of course}",
                "every {month|time}",
                "with any {coupon|code} I can find",
                "nothing more",
            ],
        ),
        "pain_point": (
            [
                "{codes|coupon codes} {never|don't} work {at checkout|when I try them}",
                "{prices|full prices} are {way|far} {too high|inflated}",
                "{shipping|delivery} {fees|costs} {eat up|cancel out} the {discount|savings}",
                "{too many|way too many} {emails|marketing emails} with {no|hardly any} {real|decent} "
                "deals",
            ],
            ["{seriously|honestly}", "every single time", "which is annoying", "{smh|ugh}"],
        ),
        "motivation": (
            [
                "I had a {25%|30%|big} {off code|discount coupon}",
                "a {deal site|coupon site} listed {you|a promo}",
                "{free|cheap} shipping over a {low|small} minimum",
                "it was {on sale|discounted}",
            ],
            ["{simple as that|that's it}", "{honestly|basically}", "no other reason", "that day"],
        ),
        "objection": (
            [
                "the full price {was|is} {too high|ridiculous}",
                "my {code|coupon} {almost|nearly} didn't {apply|work}",
                "I was {waiting|holding out} for a {better|bigger} {deal|sale}",
                "{shipping|the delivery fee} {was|seemed} too {much|high}",
            ],
            ["{obviously|of course}", "{lol|haha}", "{as usual|like always}", "{honestly|tbh}"],
        ),
    },
}

SOCIAL: dict[str, tuple[list[str], list[str]]] = {
    "busy_parent": (
        [
            "{Finally|Just} {restocked|reordered} the kids' {gummies|vitamins} from @greenleaf in "
            "{two|three} minutes on the app",
            "{Self-care|Me-time} {Sunday|night}: the {lavender|bath} soak and {zero|no} "
            "interruptions for {ten|fifteen} minutes",
            "{School|Flu} season {prep|armour}: elderberry syrup has been a {game changer|lifesaver} "
            "{for us|in our house}",
            "{Ordered|Sorted} the whole family's vitamins {during|on} my {lunch break|commute}",
        ],
        ["#momlife", "#selfcare", "#familywellness", "#workingmom", "#immunity"],
    ),
    "fitness_enthusiast": (
        [
            "{Morning|5am} {session|lift} done, now the {plant protein|vanilla protein} shake",
            "{New|Fresh} {leggings|shorts} from @greenleaf passed the squat test",
            "{Week|Day} {12|3|8} of {marathon|half marathon} {prep|training}: {electrolyte "
            "tabs|recovery BCAA} {are|is} {clutch|a must}",
            "{PR|New PR} today {fuelled|powered} by {oat bars|creatine and sleep}",
        ],
        ["#fitfam", "#legday", "#plantprotein", "#marathontraining", "#gymtok", "#recovery"],
    ),
    "mindful_retiree": (
        [
            "{Lovely|Delightful} {chat|visit} at our local Greenleaf {shop|store} {today|this "
            "morning}",
            "{Chamomile|Ginger} tea and a {good book|crossword} {this afternoon|on the porch}",
        ],
        ["#retirementlife", "#herbaltea", "#healthyaging"],
    ),
    "eco_millennial": (
        [
            "{Swapped|Switched} to {beeswax wraps|bamboo toothbrushes} {this month|today}, one less "
            "{bit of plastic|thing} {in the bin|to landfill}",
            "{Love|Loving} that my @greenleaf order arrived {plastic-free|in compostable "
            "packaging}",
            "{Refill|Refilled} {day|my cleaning kit} {again|today}: {zero-waste|low-waste} wins",
            "{Read|Just read} the @greenleaf impact report, {more brands|every brand} should do "
            "this",
        ],
        ["#zerowaste", "#sustainableliving", "#plasticfree", "#cleanbeauty", "#ecofriendly"],
    ),
    "gift_shopper": (
        [
            "{Christmas|Holiday} {gifts|shopping} sorted thanks to the {spa night|self-care} "
            "{gift set|box}",
            "{Mother's Day|Valentine's} gift {arrived|came} {beautifully|perfectly} wrapped",
        ],
        ["#giftideas", "#christmasgifts", "#giftguide"],
    ),
    "serial_returner": (
        [
            "{Third|Another} {return|refund} {this month|in a row}, the sizing was {off|wrong} "
            "{again|as usual} @greenleaf",
            "{Still|Two weeks} waiting for {my|a} refund from @greenleaf",
        ],
        ["#fail", "#customerservice", "#returns"],
    ),
    "discount_hunter": (
        [
            "{25%|30%} off {code|codes} {stacking|still working} at @greenleaf {today|right now}",
            "{Grabbed|Got} a {deal|bargain} on {vitamins|tea} with a promo code",
        ],
        ["#deals", "#coupons", "#savemoney"],
    ),
}

TICKET_MIX: dict[str, dict[str, float]] = {
    "busy_parent": {
        "delivery": 0.3,
        "product_question": 0.3,
        "account": 0.2,
        "billing": 0.1,
        "damaged": 0.1,
    },
    "fitness_enthusiast": {"delivery": 0.4, "product_question": 0.3, "return": 0.2, "damaged": 0.1},
    "mindful_retiree": {"product_question": 0.5, "account": 0.3, "delivery": 0.2},
    "eco_millennial": {"product_question": 0.4, "damaged": 0.2, "delivery": 0.4},
    "gift_shopper": {"delivery": 0.6, "damaged": 0.2, "billing": 0.2},
    "serial_returner": {"return": 0.7, "billing": 0.1, "damaged": 0.2},
    "discount_hunter": {"billing": 0.7, "return": 0.3},
}

TICKETS: dict[str, tuple[list[str], list[str]]] = {
    "return": (
        [
            "Return request for @P",
            "{Need|Want} to return {the|my} @P",
            "Return label {not working|missing}",
            "{Refund|Where is my refund} for @P",
            "Exchange @P for another size",
        ],
        [
            "I {ordered|bought} the @P {last week|recently} and {it doesn't fit|the size is "
            "wrong|it's not what I expected}. {Can you|Could you please} send me a return label?",
            "I sent the @P back {ten days|two weeks} ago and still {haven't seen|have no} refund. "
            "{Please check|Can you look into it}.",
            "The return portal {gives an error|won't load} when I try to return the @P.",
        ],
    ),
    "delivery": (
        [
            "{Where is|Tracking for} my order",
            "Order {still not arrived|hasn't arrived}",
            "Late delivery of @P",
            "Delivery {missed|marked delivered but not here}",
        ],
        [
            "My order with the @P {was supposed to|should have} {arrive|arrived} {three days "
            "ago|last Friday} and tracking {hasn't updated|shows nothing}.",
            "Tracking says delivered but there's {nothing|no parcel} {at my door|here}. {Can you "
            "help?|What now?}",
            "I need the @P by {the weekend|Friday}, is there any way to {speed it up|expedite}?",
        ],
    ),
    "damaged": (
        [
            "{Damaged|Broken} @P",
            "@P arrived {leaking|broken|crushed}",
            "Item damaged in transit",
        ],
        [
            "The @P arrived {leaking|cracked|with the seal broken}. {Photos attached.|I've kept "
            "the box.}",
            "Box was {crushed|soaked} and the @P {is unusable|got damaged}. I'd like a "
            "{replacement|refund}.",
        ],
    ),
    "product_question": (
        [
            "Question about @P",
            "Is the @P {suitable|safe} {for kids|during pregnancy|with medication}?",
            "Ingredients in @P",
            "{Packaging|Sourcing} of @P",
        ],
        [
            "Could you tell me {whether|if} the @P is {suitable|safe} {for children|alongside blood "
            "thinners|for sensitive skin}?",
            "What {exactly|precisely} is in the @P? The label {online|on the site} {is|seems} "
            "{incomplete|unclear}.",
            "Is the packaging of the @P {recyclable|compostable}, and where is it {made|sourced}?",
        ],
    ),
    "billing": (
        [
            "Charged twice",
            "{Coupon|Promo code} {didn't|did not} apply",
            "Wrong amount charged",
            "Refund amount incorrect",
        ],
        [
            "I was charged {twice|two times} for {my order|the @P}. Please refund the duplicate.",
            "My {code|coupon} {wasn't|was not} applied at checkout for the @P. Can you {adjust|"
            "refund the difference}?",
            "The {refund|credit} I received is {less than|lower than} what I paid for the @P.",
        ],
    ),
    "account": (
        [
            "{Can't|Cannot} log in",
            "{Update|Change} my email address",
            "App keeps logging me out",
            "Loyalty points missing",
        ],
        [
            "I {can't|cannot} log in {to the app|on the website}, the reset email never "
            "{arrives|comes}.",
            "Please {update|change} the email on my account, I {typed it wrong|have a new one}.",
            "My loyalty points from {my last order|the @P order} {are missing|never showed up}.",
        ],
    ),
}

REVIEW_TITLES = {
    "pos": [
        "{Love|Loving} it",
        "{Great|Excellent} {quality|product}",
        "Will buy again",
        "{Exactly|Just} what I {needed|wanted}",
        "Five stars",
        "{So|Really} {good|pleased}",
    ],
    "neu": [
        "{Okay|OK}, not {amazing|great}",
        "Decent {but|though} pricey",
        "Mixed feelings",
        "{Does|It does} the job",
    ],
    "neg": [
        "{Disappointed|Very disappointed}",
        "Not worth the money",
        "{Returned|Sent} it back",
        "{Poor|Bad} {quality|experience}",
    ],
}
REVIEW_BODIES = {
    "pos": [
        "The @P {is|was} {exactly as described|even better than expected}",
        "{I've been using|Been using} the @P for {two weeks|a month|a few weeks} and {I love "
        "it|it's great}",
        "The @P {arrived quickly|came fast} and {works|feels} {great|lovely}",
    ],
    "neu": [
        "The @P is {fine|okay} but {nothing special|not life-changing}",
        "The @P works, {though|but} {the price|shipping} {is|was} a bit much",
    ],
    "neg": [
        "The @P arrived {damaged|late|leaking} and {didn't|did not} {work|fit} for me",
        "{Sadly|Unfortunately} the @P {broke|stopped working|irritated my skin} after "
        "{a week|a few days}",
    ],
}
