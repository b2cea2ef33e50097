"""Open data (第十六至十七条): the open catalog the bureau publishes, the public portal, masked downloads."""
