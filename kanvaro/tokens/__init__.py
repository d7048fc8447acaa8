"""Personal access tokens (SPEC §13): the JSON API's credential."""
