"""personae serve: the tracking API, the profile API and the persona library pages."""
