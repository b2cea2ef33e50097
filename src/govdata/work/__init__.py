"""Background work: long uploads, scans, comparisons and exports run off the request, with their progress."""
