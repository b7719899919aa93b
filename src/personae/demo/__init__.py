"""Demo data generator with planted ground truth.

``generate("retail", 5_000, seed=7, out=Path("demo"))`` writes realistic, messy customer
data (CRM, orders, Segment events, e-mail, surveys, tickets, reviews, social, spend) plus a
``truth/`` folder recording who every record belongs to, which archetype each person was
planted as, and every deliberately broken row — so the pipeline can be scored end to end.
"""

from personae.demo.generator import FORMATS, SCENARIOS, DemoManifest, generate

__all__ = ["FORMATS", "SCENARIOS", "DemoManifest", "generate"]
