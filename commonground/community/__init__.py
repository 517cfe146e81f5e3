"""Community: data requests that groups and residents put to organisations, answered on the
record, with support and notifications."""
