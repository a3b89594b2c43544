"""Requests: filing, the state-machine executor (transitions), the conversation, the queue,
search and experts."""
