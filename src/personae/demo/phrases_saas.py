"""Phrase banks for the SaaS (B2B) archetypes; same syntax as ``phrases_retail``."""

from __future__ import annotations

BANK: dict[str, dict[str, tuple[list[str], list[str]]]] = {
    "scaling_startup": {
        "goal": (
            [
                "{automate|get rid of} the {manual|repetitive} {handoffs|status updates} between "
                "{product|engineering} and {ops|sales}",
                "{connect|sync} all our tools through the API so {nothing|no data} {falls through the "
                "cracks|gets lost}",
                "{scale|grow} the team from {30|40|50} to {100|150|200} without {drowning in|adding} "
                "process",
                "ship {faster|on schedule} with a single source of truth for {roadmaps|projects}",
            ],
            [
                "{this quarter|before our Series B|by next quarter}",
                "across every squad",
                "{without|with no} extra headcount",
                "{ideally|hopefully} {in weeks|this month}",
            ],
        ),
        "pain_point": (
            [
                "{status|project} {updates|tracking} {live|are scattered} in {five|six} different "
                "tools",
                "our {integrations|Zapier zaps} {break|fail} {silently|without warning}",
                "{onboarding|ramping up} new {hires|engineers} {takes|eats} {too long|weeks}",
                "no one can see {who owns what|what's blocked}",
            ],
            [
                "{as we grow|while we scale}",
                "every {sprint|week}",
                "{which|and it} {slows us down|kills momentum}",
                "{honestly|frankly}",
            ],
        ),
        "motivation": (
            [
                "the API is {clean|well documented} and the webhooks {just work|are reliable}",
                "{automations|the automation builder} {save|saved} {us|our ops lead} {hours|a day} "
                "every week",
                "we found you on Product Hunt and the {trial|free trial} {convinced|sold} us",
                "the Pro plan {scales|grew} {with us|sensibly} instead of {jumping|a cliff} to "
                "enterprise pricing",
            ],
            [
                "{honestly|frankly}",
                "within {a week|days}",
                "compared to the {incumbents|legacy tools}",
                "and that mattered a lot",
            ],
        ),
        "objection": (
            [
                "{migrating|moving} all our {boards|projects} off {the old tool|spreadsheets} "
                "{looked|seemed} {painful|risky}",
                "{per-seat|seat-based} pricing {worried|scared} {us|our CFO} because we hire fast",
                "our engineers {weren't sure|doubted} the API {rate limits|limits} would hold up",
                "{SOC 2|security review} {paperwork|questions} took {a while|time}",
            ],
            [
                "{at first|initially}",
                "for a couple of weeks",
                "until your team stepped in",
                "{honestly|tbh}",
            ],
        ),
    },
    "enterprise_ops": {
        "goal": (
            [
                "{standardise|consolidate} {reporting|operational reporting} across all our "
                "{regions|business units|plants}",
                "give {leadership|the executive team} a single {view|dashboard} of "
                "{operations|performance}",
                "{meet|satisfy} {audit|compliance} requirements with full {audit trails|access "
                "controls}",
                "{retire|replace} {legacy|in-house} {tools|spreadsheets} without {disrupting|breaking} "
                "{workflows|operations}",
            ],
            [
                "before {year end|the next audit|Q3}",
                "across {12|20|30} sites",
                "under strict governance rules",
                "{globally|in every region}",
            ],
        ),
        "pain_point": (
            [
                "{provisioning|access} stays {manual|slow} without SSO and SCIM",
                "every {department|region} {builds|runs} its own {reports|spreadsheets}",
                "{security|procurement} {reviews|questionnaires} drag on for {months|quarters}",
                "IT cannot tell who {accessed|changed} {what|which records}",
            ],
            [
                "{which|and this} {creates audit risk|is a compliance headache}",
                "at our scale",
                "every {quarter|year}",
                "{frankly|in practice}",
            ],
        ),
        "motivation": (
            [
                "{SSO|SAML SSO} and {audit logs|granular permissions} came {built in|out of the box}",
                "your {security|InfoSec} package {passed|cleared} our review {quickly|first time}",
                "the account team understood our {procurement|compliance} {process|requirements}",
                "the platform scaled to {thousands of|all our} users without {performance|speed} "
                "issues",
            ],
            [
                "{which was decisive|and that decided it}",
                "compared to {other vendors|the alternatives}",
                "across the whole organisation",
                "{in our evaluation|during the RFP}",
            ],
        ),
        "objection": (
            [
                "{data residency|where data is hosted} {was a concern|needed clarifying}",
                "our {legal|procurement} team {pushed back|had questions} on the {MSA|contract terms}",
                "{change management|rolling out} to {thousands of|all} {staff|employees} "
                "{looked|seemed} {daunting|hard}",
                "IT {needed|required} {on-prem|private cloud} hosting {at first|initially}",
            ],
            [
                "during {procurement|the RFP}",
                "for {several|a few} months",
                "{understandably|of course}",
                "{before|until} the pilot",
            ],
        ),
    },
    "agency_power_user": {
        "goal": (
            [
                "build {client|monthly client} reports {in minutes|faster} instead of {days|whole "
                "afternoons}",
                "{reuse|clone} {templates|dashboards} across {all our|every} clients",
                "share {live|branded} dashboards with clients so they stop {asking|emailing} for "
                "updates",
                "take on {more|extra} clients without {hiring|adding} another analyst",
            ],
            [
                "every {month|month-end}",
                "across {15|20|30} clients",
                "under our own branding",
                "{before|ahead of} {renewals|QBRs}",
            ],
        ),
        "pain_point": (
            [
                "{copying|pasting} {numbers|screenshots} into {slides|decks} {eats|kills} the last "
                "week of the month",
                "clients expect {real-time|live} {numbers|reporting} and our {tools|stack} "
                "{can't|don't} keep up",
                "every client {uses|has} {different|their own} {platforms|ad accounts}",
                "{reports|decks} end up {inconsistent|messy} between account managers",
            ],
            [
                "every single month",
                "{which|and that} {hurts|costs us} {margins|billable hours}",
                "{honestly|frankly}",
                "on {tight|small} retainers",
            ],
        ),
        "motivation": (
            [
                "{templates|the template gallery} cut our reporting time {in half|dramatically}",
                "{white-label|branded} {sharing|exports} make us look {great|polished} in front of "
                "clients",
                "we saw {great|glowing} reviews on G2 from other agencies",
                "the Pro plan {fits|works for} a small agency team",
            ],
            [
                "{which|and that} {clients noticed|won us a pitch}",
                "{honestly|seriously}",
                "compared to our old {BI tool|setup}",
                "from day one",
            ],
        ),
        "objection": (
            [
                "we {worried|weren't sure} clients {would|could} see {the wrong|each other's} data",
                "some {connectors|data connectors} we needed weren't available yet",
                "{per-seat|seat} pricing for {freelancers|contractors} felt {awkward|expensive}",
                "the learning curve {looked|seemed} {steep|heavy} during our busiest quarter",
            ],
            [
                "{at first|initially}",
                "{honestly|to be fair}",
                "{until|before} the trial",
                "for a week",
            ],
        ),
    },
    "smb_owner": {
        "goal": (
            [
                "{keep track of|organise} {jobs|orders|bookings} instead of {sticky notes|a "
                "whiteboard|my head}",
                "{see|check} {what needs doing|today's tasks} on my phone between {jobs|shifts}",
                "keep my {small|little} team on the same page without {endless|constant} "
                "{texts|calls}",
                "spend less time on admin {and|so I can} {actually|finally} {run|grow} the business",
            ],
            [
                "on {weekends|busy weekends}",
                "with {just|only} {three|five|six} staff",
                "because I'm always on site",
                "on a {tight|small} budget",
            ],
        ),
        "pain_point": (
            [
                "{most|business} software is {built|made} for {big|huge} companies and charges {too "
                "much|way too much}",
                "we {lose|forget} {orders|jobs|tasks} when {it's|things get} busy",
                "setting things up {takes|would take} {hours|time} I don't have",
                "my staff won't use {anything|apps} {complicated|that's fiddly}",
            ],
            [
                "{honestly|to be honest}",
                "during {the rush|peak season}",
                "every {week|day}",
                "and it {costs|loses} me money",
            ],
        ),
        "motivation": (
            [
                "the free plan let {me|us} {try it|start} with no {risk|card}",
                "the mobile app is simple enough for my {staff|team}",
                "setup took {ten minutes|under an hour}",
                "{a|another} {business owner|shop owner} {recommended|told me about} it",
            ],
            [
                "{which|and that} {sold me|was enough}",
                "{honestly|simple as that}",
                "from day one",
                "at a {fair|low} price",
            ],
        ),
        "objection": (
            [
                "the {price|jump to Starter} {felt|seemed} {steep|a lot} for a {small|tiny} business",
                "we {weren't sure|didn't know} we would {actually|really} {use|stick with} it",
                "I'm not a tech person and {worried|thought} it {would|might} be {complicated|too "
                "much}",
                "{another|one more} {monthly|subscription} {bill|fee} to pay",
            ],
            [
                "{honestly|to be honest}",
                "{at first|in the beginning}",
                "with cash flow tight",
                "for a while",
            ],
        ),
    },
    "data_team": {
        "goal": (
            [
                "give {analysts|our analysts} {self-serve|direct SQL} access to "
                "{warehouse|Snowflake|BigQuery} data",
                "{schedule|automate} {reports|weekly reports} for {stakeholders|the business} instead "
                "of {exporting|sending} CSVs",
                "build {a|one} {trusted|governed} {metrics|KPI} layer the whole company agrees on",
                "{cut|reduce} {ad hoc|one-off} data requests so the team can focus on {modelling|real "
                "analysis}",
            ],
            [
                "{this|next} {quarter|half}",
                "across {marketing|finance} and {ops|product}",
                "without another BI licence",
                "at our volumes",
            ],
        ),
        "pain_point": (
            [
                "{dashboards|our dashboards} {disagree|don't match} on {basic|the same} "
                "{numbers|metrics}",
                "{stakeholders|business users} {ping|message} the data team for every {small|little} "
                "{question|change}",
                "our {BI tool|old BI tool} {chokes|times out} on {large|big} {queries|tables}",
                "no one {trusts|believes} our {data|numbers} after a few {mistakes|bad reports}",
            ],
            [
                "every {week|Monday}",
                "{which|and that} {burns|wastes} analyst time",
                "{honestly|frankly}",
                "at our scale",
            ],
        ),
        "motivation": (
            [
                "{native|direct} {warehouse|Snowflake} {connectors|connections} with real SQL",
                "scheduled reports {replaced|killed} {dozens of|a pile of} {manual|weekly} "
                "{exports|emails}",
                "a {webinar|talk} at {a data|an analytics} conference demoed {exactly|precisely} our "
                "use case",
                "query speed on {big|large} {tables|datasets} {was|is} {excellent|solid}",
            ],
            [
                "during our {proof of concept|evaluation}",
                "compared to our old BI tool",
                "{which|and that} {won over|convinced} {the team|our CFO}",
                "{honestly|frankly}",
            ],
        ),
        "objection": (
            [
                "{governance|row-level security} needed {more|extra} {testing|validation}",
                "we {worried|weren't sure} about {warehouse|compute} {costs|bills} from frequent "
                "{queries|refreshes}",
                "migrating our {existing|old} {dashboards|reports} {looked|seemed} like a big job",
                "our {data|security} team {wanted|needed} a {full|detailed} {DPA|architecture review}",
            ],
            [
                "during {the|our} evaluation",
                "{at first|initially}",
                "{understandably|of course}",
                "for {a few|several} weeks",
            ],
        ),
    },
    "at_risk_support_drain": {
        "goal": (
            [
                "get the team to {actually|finally} {use|adopt} the {tool|platform} we pay for",
                "{fix|sort out} our {sync|login} {problems|issues} so {people|staff} stop "
                "{complaining|giving up}",
                "{figure out|understand} whether {this|Tallyboard} is {worth the money|the right fit "
                "for us}",
                "get {any|some} {value|return} out of {the|our} {seats|licences}",
            ],
            [
                "{before|ahead of} {renewal|our renewal}",
                "{honestly|frankly}",
                "at this point",
                "without another {training|ticket}",
            ],
        ),
        "pain_point": (
            [
                "{support|your support} takes {days|forever} to {respond|reply} and doesn't "
                "{fix|solve} {anything|the issue}",
                "the {product|platform} {is|feels} {slow|buggy} and keeps {logging us out|crashing}",
                "our team never got {proper|real} onboarding",
                "we're paying for {seats|licences} no one {uses|logs into}",
            ],
            [
                "{again|once again}",
                "every {week|single week}",
                "{which|and that} is {unacceptable|not okay}",
                "{honestly|frankly}",
            ],
        ),
        "motivation": (
            [
                "the {sales rep|salesperson} {promised|said} Tallyboard would {replace|do} everything",
                "the {discount|first-year discount} looked {good|attractive}",
                "our {old|previous} {manager|director} {picked|chose} it",
                "it looked {simple|easy} in the demo",
            ],
            [
                "{at the time|back then}",
                "{I think|I suppose}",
                "{honestly|frankly}",
                "not sure why now",
            ],
        ),
        "objection": (
            [
                "the contract {was|seemed} {too long|a big commitment}",
                "we {doubted|weren't sure} the team would {adopt|learn} another tool",
                "{implementation|setup} {looked|seemed} {complicated|like a lot of work}",
                "the price seemed {high|steep} for how much we {need|use}",
            ],
            [
                "and we were right",
                "{honestly|frankly}",
                "{at first|initially}",
                "{in hindsight|looking back}",
            ],
        ),
    },
}

SOCIAL: dict[str, tuple[list[str], list[str]]] = {
    "scaling_startup": (
        [
            "{Shipped|Launched} our new {onboarding|release} flow with @tallyboard automations, zero "
            "manual handoffs",
            "{Hiring|Growing} fast and @tallyboard {keeps|is keeping} every squad in sync",
            "{Wired|Hooked} up the @tallyboard API to our {CRM|data warehouse} in an afternoon",
        ],
        ["#buildinpublic", "#startups", "#automation", "#devtools"],
    ),
    "enterprise_ops": (
        [
            "{Proud|Pleased} to {roll out|complete} our global {reporting|operations} platform on "
            "@tallyboard",
            "{Great|Useful} session on {governance|access control} at scale with the @tallyboard "
            "team",
        ],
        ["#digitaltransformation", "#operations", "#governance"],
    ),
    "agency_power_user": (
        [
            "{Client|Monthly} reporting done in {an hour|20 minutes} thanks to @tallyboard templates",
            "Our clients {love|keep praising} the {live|branded} dashboards we {share|send} from "
            "@tallyboard",
            "{Tip|Pro tip} for agencies: {clone|reuse} one @tallyboard template for every client",
        ],
        ["#agencylife", "#marketing", "#reporting", "#dataviz"],
    ),
    "smb_owner": (
        [
            "{Finally|At last} on top of {all our|our} {orders|jobs} with the @tallyboard app",
            "Running the {shop|cafe|crew} from my phone {between jobs|after closing} with "
            "@tallyboard",
        ],
        ["#smallbusiness", "#shoplocal", "#productivity"],
    ),
    "data_team": (
        [
            "{Hot take|Unpopular opinion}: {governed|trusted} metrics beat {fancy|pretty} "
            "dashboards, and our @tallyboard metrics layer {proves|shows} it",
            "{Killed|Retired} {forty|thirty} weekly CSV exports with @tallyboard scheduled reports",
        ],
        ["#dataengineering", "#analytics", "#moderndatastack"],
    ),
    "at_risk_support_drain": (
        [
            "{Another|Third} {day|week} waiting on @tallyboard support to {fix|sort} our "
            "{login|sync} issue",
            "Paying for {40|60|25} @tallyboard seats and {nobody|barely anyone} uses them",
        ],
        ["#saas", "#customerexperience", "#frustrated"],
    ),
}

TICKET_MIX: dict[str, dict[str, float]] = {
    "scaling_startup": {"integration": 0.4, "feature_request": 0.3, "bug": 0.2, "billing": 0.1},
    "enterprise_ops": {
        "login_sso": 0.5,
        "billing": 0.2,
        "feature_request": 0.2,
        "performance": 0.1,
    },
    "agency_power_user": {"feature_request": 0.4, "integration": 0.3, "bug": 0.3},
    "smb_owner": {"billing": 0.5, "login_sso": 0.3, "bug": 0.2},
    "data_team": {"performance": 0.4, "integration": 0.4, "bug": 0.2},
    "at_risk_support_drain": {
        "bug": 0.3,
        "login_sso": 0.2,
        "performance": 0.2,
        "billing": 0.1,
        "cancellation": 0.2,
    },
}

TICKETS: dict[str, tuple[list[str], list[str]]] = {
    "login_sso": (
        [
            "SSO login {failing|broken}",
            "{Can't|Cannot} log in",
            "SAML {error|assertion error}",
            "Users {locked out|unable to sign in}",
        ],
        [
            "Since {this morning|yesterday} our users get {an error|a SAML error} when signing in "
            "{through|via} {Okta|Azure AD}.",
            "{Several|Half of our} users {can't|cannot} log in to @P and password reset {does "
            "nothing|never arrives}.",
        ],
    ),
    "billing": (
        [
            "Invoice {question|incorrect}",
            "Charged for {unused|extra} seats",
            "{Update|Change} billing contact",
            "Downgrade {plan|request}",
        ],
        [
            "Our {latest|last} invoice {charges|bills} us for more seats than we {use|have}.",
            "Please {update|change} the billing contact and {resend|reissue} the invoice.",
            "We'd like to {downgrade|move} to a {smaller|cheaper} plan at {renewal|the end of the "
            "month}.",
        ],
    ),
    "bug": (
        [
            "{Dashboard|Board} not loading",
            "Export {fails|broken}",
            "Error when {saving|sharing}",
            "{Data|Numbers} {missing|wrong} in @P",
        ],
        [
            "The {dashboard|board} {spins forever|shows a blank page} {in|on} @P {since the "
            "update|today}.",
            "Exporting to {PDF|CSV} {fails|throws an error} {every time|for large reports}.",
        ],
    ),
    "integration": (
        [
            "{Salesforce|HubSpot|Slack} integration {stopped syncing|broken}",
            "Webhook {failures|not firing}",
            "API rate limit {question|errors}",
        ],
        [
            "Our {Salesforce|HubSpot|Slack} sync {stopped|failed} {overnight|yesterday} with no "
            "error shown.",
            "We're {hitting|getting} 429 errors from the API {during|in} our nightly sync.",
        ],
    ),
    "performance": (
        [
            "{Slow|Very slow} queries",
            "@P {timing out|very slow}",
            "Reports take {minutes|forever}",
        ],
        [
            "{Queries|Reports} on {large|our bigger} tables {time out|take minutes} in @P.",
            "{Page loads|Dashboards} {got|became} {very|much} slower {this week|after the update}.",
        ],
    ),
    "feature_request": (
        [
            "Feature request: {custom fields|recurring tasks|client permissions}",
            "{Need|Request} {white-label|bulk} {exports|editing}",
            "{Suggestion|Idea} for @P",
        ],
        [
            "It would {help|save us} a lot if @P supported {custom fields|recurring tasks|per-client "
            "permissions}.",
            "{Could|Can} you add {bulk editing|white-label PDF exports|a Gantt view}? We {need|use} "
            "it {weekly|daily}.",
        ],
    ),
    "cancellation": (
        [
            "Cancel {subscription|our plan}",
            "{Not|Won't be} renewing",
            "Reduce seats {before|at} renewal",
        ],
        [
            "We {want|would like} to cancel {at renewal|our subscription}. {Nobody|No one} is using "
            "@P.",
            "Please {reduce|cut} our seats to the {minimum|lowest tier} before we renew.",
        ],
    ),
}

REVIEW_TITLES = {
    "pos": [
        "{Game changer|Huge time saver} for {our team|us}",
        "{Excellent|Great} {platform|tool}",
        "{Best|Favourite} {work management|reporting} tool we've used",
        "{Powerful|Flexible} and easy to adopt",
    ],
    "neu": [
        "{Good|Solid}, but {pricey|room to improve}",
        "Does the job",
        "Mixed experience",
        "{Decent|Fine} {tool|platform}, {steep|some} learning curve",
    ],
    "neg": [
        "{Disappointing|Frustrating} {support|experience}",
        "Not worth the {price|seats}",
        "{Buggy|Unreliable} and slow",
        "{Would not|Wouldn't} recommend",
    ],
}
REVIEW_BODIES = {
    "pos": [
        "@P {fits|slots into} our workflow {perfectly|nicely} and {the team|everyone} "
        "adopted it {fast|within weeks}",
        "{We've used|We have used} @P for {a year|six months} and {it keeps getting "
        "better|it's rock solid}",
    ],
    "neu": [
        "@P {works|is fine} for {basic|most} needs but {reporting|permissions} {could be "
        "better|is limited}",
        "@P is {capable|powerful} {though|but} {pricing|onboarding} {is|was} {rough|a lot}",
    ],
    "neg": [
        "@P {was|is} {slow|unreliable} and {support|their support} {took days|never helped}",
        "We {struggled|fought} with @P for {months|a year} and {never|barely} got value",
    ],
}
