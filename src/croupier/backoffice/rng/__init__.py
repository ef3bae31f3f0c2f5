"""Back-office view of the random number generator's health, and its reset."""
