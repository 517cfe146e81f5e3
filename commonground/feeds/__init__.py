"""Live feeds: sensors, events and locations, pushed or pulled, read three ways (issue 18)."""
