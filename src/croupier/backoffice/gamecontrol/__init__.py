"""Back-office game control: games switched off, the kill switch, stake caps, live RTP and
stale provider rounds."""
