"""govdata: a city's government data aggregation, sharing and open-data platform."""

__version__ = "0.1.0"
