"""Stream orchestration: start, run, store, fan out, follow, lease, take over and drain.

Everything a stream does between a client's request and its last frame lives here, in one place
(docs/design.md, "Layers"); the consumer and the REST views only hand requests in.
"""
