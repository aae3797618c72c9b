"""The program's email: templates per language, introductions, the outbox and sending it through SMTP.

- :mod:`~workbench.messages.templates`: the message templates (``templates/<code>/<kind>.txt``) and the
  choice of a message's language;
- :mod:`~workbench.messages.introductions`: a round's introductions, as ``.eml`` files, a mail-merge CSV,
  or drafts for the outbox;
- :mod:`~workbench.messages.outbox`: queue (introductions, topics, reminders, the survey) and send,
  idempotent and resumable;
- :mod:`~workbench.messages.smtp`: the mail server's settings, the connection, a test message.
"""
