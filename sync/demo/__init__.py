"""`payconsole demo`: a local emulator seeded with a realistic past month (`seed`), a trickle
of live payments (`generator`), and the session that runs both beside the sync (`session`).

Everything reaches the emulator through the StripeGateway, like the rest of sync/; only its
/_config/ control endpoints (the clock, disputes, webhook registration) go past it. Needs the
`demo` extra (localstripe); importing this package imports none of it.
"""
