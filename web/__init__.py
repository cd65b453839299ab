"""Request plumbing both apps share, below both of them: the client's address as every limit
counts it (clientip), and the answers given alike everywhere, 503 while a service is down and
429 when a client must wait (responses). It imports nothing of `leads`, `accounts` or `config`.
"""
