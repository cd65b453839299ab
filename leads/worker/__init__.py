"""What `manage.py db_worker` runs, beside the work each task does (each @task in the module
of its work), from the top down:

- runner: the worker loop, which survives database outages and runs again the tasks of a
  worker that died.
- queued: what the queue holds about a prospect (erasure and deletion remove it).
- fanout: what follows a change: a submission's deliveries or resubmission, an event's
  emails and webhook calls, the round-robin assignment.
- deliveries (with their retry policy), files (removing deleted rows' files), resume_text
  (each resume's text, read in a child process: extract).
- emails and webhooks: one attempt at one email or webhook call (webhooks' outbound HTTP:
  outbound).
- failures: what an attempt reports and when it is tried again, at the bottom.

Services queue these tasks inside their own transaction (the database task backend is the
outbox); arguments are ids and plain values, never model instances.
"""
