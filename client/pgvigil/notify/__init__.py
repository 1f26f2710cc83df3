"""Delivery of the notifications the database decided.

Grouping, timers and the decision to notify live in SQL
(``monitoring.flush_notification_groups()`` writes the outbox,
``monitoring.notifications``); this package only does what SQL cannot: read
the secrets a receiver names (``KEY_file``, ``KEY_env``) and talk to the
receivers over the network. One module per protocol: ``webhook`` (HTTP, with
Standard Webhooks signatures); ``delivery`` claims, sends and records.
"""
