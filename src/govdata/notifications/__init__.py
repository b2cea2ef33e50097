"""Telling people things in the platform; what waits for them (the to-do) also goes out by e-mail (`govdata.mail`)."""
