"""Reminders by e-mail: the to-do (`govdata.todo`) as a daily digest per person and a message for what is due
today or overdue, queued in an outbox in the transaction that decides to send them and delivered by a job."""
