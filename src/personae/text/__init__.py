"""Voice of the customer: text documents, sentiment, themes, persona facets and safe quotes."""
