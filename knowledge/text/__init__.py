"""Reading workers' Chinese text: normalisation, numbers, money, durations, dates."""
