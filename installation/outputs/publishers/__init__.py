"""Posting generated frames: the durable outbox and one publisher per network.

``outbox_store`` keeps every post in SQLite; ``outbox`` is the output sink and its worker;
``x_publisher``, ``mastodon_publisher``, ``bluesky_publisher`` and ``file_publisher`` each wrap
one client library (the only modules that import it).
"""
