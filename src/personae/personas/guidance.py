"""Marketing guidance as rules over a persona's facts, so advice is as traceable as the facts.

Each rule reads one or two figures (a channel's share and lift, the discount sensitivity,
the purchase rhythm, the top goal or objection) and emits a recommendation whose evidence
is those figures. A marketer can disagree with a rule, but never has to wonder where a
recommendation came from.
"""

from __future__ import annotations

from personae.personas.journey import is_withheld_note
from personae.personas.schema import Claim, Fact, Guidance, JourneyStage, VoiceTheme
from personae.segments.describe import humanise, percent


def _first(facts: list[Fact], label: str) -> Fact | None:
    return next((f for f in facts if f.label == label), None)


def _c(text: str, *sources: Fact | VoiceTheme | Claim) -> Claim:
    evidence = [e for s in sources for e in s.evidence]
    return Claim(text=text, evidence=evidence)


def guidance(
    *,
    negative: bool,
    reasons: list[Claim],
    behaviour: list[Fact],
    channels: list[Fact],
    psychographics: list[Fact],
    goals: list[VoiceTheme],
    motivations: list[VoiceTheme],
    pains: list[VoiceTheme],
    objections: list[VoiceTheme],
    journey: list[JourneyStage],
) -> Guidance:
    g = Guidance()
    # messaging: lead with what they want and why they chose us
    for theme in goals[:1] + motivations[:1]:
        g.messaging.append(_c(f"Lead with “{theme.label}”: it is their {_facet(theme)}.", theme))
    for fact in psychographics[:2]:
        if fact.share and fact.share >= 0.3:
            g.messaging.append(
                _c(f"Speak to “{fact.value}” ({fact.label.lower()}: {percent(fact.share)}).", fact)
            )
    # channels: where they came from, how they buy, when to reach them
    for label, verb in (
        ("Came through", "Acquire through"),
        ("Heard about us via", "Be present on"),
        ("Channel", "Sell"),
        ("Best time to reach", "Schedule sends and ads"),
    ):
        fact = _first(channels + behaviour, label)
        if fact is not None:
            g.channels.append(_c(f"{verb} {fact.value} ({percent(fact.share or 0)}).", fact))
    opens = _first(channels, "Email opens")
    if opens is not None:
        g.channels.append(_c(f"Email: they open {opens.value} of emails.", opens))
    device = _first(behaviour, "Device")
    # content by stage
    stages = {s.stage: s for s in journey}
    if goals:
        g.content["awareness"] = [_c(f"Stories about “{goals[0].label}”.", goals[0])]
    if objections:
        g.content["consideration"] = [
            _c(f"Answer the objection “{objections[0].label}” up front.", objections[0])
        ]
    if device is not None:
        g.content["purchase"] = [
            _c(
                f"Make checkout effortless on {device.value} ({percent(device.share or 0)}).",
                device,
            )
        ]
    freq = _first(behaviour, "Purchase frequency")
    if freq is not None:
        g.content["retention"] = [_c(f"Time reminders to their rhythm: {freq.value}.", freq)]
    adv = stages.get("advocacy")
    # a minimum-group-size note is not a finding to build advice on
    found = [c for c in adv.claims if not is_withheld_note(c)] if adv is not None else []
    if adv is not None and found:
        g.content["advocacy"] = [
            _c(
                f"Ask for reviews and referrals: {percent(adv.reached_share)} already recommend.",
                found[0],
            )
        ]
    # offers: by discount sensitivity
    sens = _first(behaviour, "Discount sensitivity")
    top = _first(behaviour, "Buys most")
    if sens is not None and sens.value == "high" and not negative:
        g.offers.append(
            _c("Price-led offers work: they use discounts far more than average.", sens)
        )
    elif sens is not None:
        g.offers.append(
            _c("Do not lead with discounts; offer bundles, samples or loyalty perks.", sens)
        )
    if top is not None:
        g.offers.append(_c(f"Bundle around {top.value}, their main category.", top))
    # avoid: what hurts them
    for theme in pains[:2]:
        g.avoid.append(_c(f"Avoid adding to their pain point “{theme.label}”.", theme))
    if sens is not None and sens.value == "low":
        g.avoid.append(_c("Avoid discount-heavy messaging: it does not move them.", sens))
    if negative:
        for reason in reasons:
            g.deter.append(_c(_deterrent(reason.text), reason))
        came = _first(channels, "Came through")
        if came is not None:
            g.deter.append(
                _c(
                    f"Review spend on {came.value}: {percent(came.share or 0)} of them came "
                    "through it.",
                    came,
                )
            )
    return g


def _facet(theme: VoiceTheme) -> str:
    return {"goal": "most distinctive goal", "motivation": "main reason to choose us"}.get(
        theme.facet, humanise(theme.facet)
    )


def _deterrent(reason: str) -> str:
    r = reason.lower()
    if "return" in r:
        return "Curb returns: size guides and fit notes, no free returns on repeat returners."
    if "discount" in r or "coupon" in r:
        return "Stop rewarding coupon-only buying: cap stacking, exclude deal-site affiliates."
    if "ticket" in r or "support" in r:
        return "Qualify before selling: onboarding and fit checks before a contract."
    if "churn" in r:
        return "Do not chase them with acquisition spend; fix onboarding and usage first."
    return "Do not target look-alikes of this persona in acquisition campaigns."
