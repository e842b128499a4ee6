"""The home page of each role: what a volunteer, a manager or a centre brings together."""
