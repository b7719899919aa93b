"""Customer value: RFM, lifetime value (BG/NBD + Gamma-Gamma), churn risk, acquisition cost,
upsell potential and the ideal customer profile."""
