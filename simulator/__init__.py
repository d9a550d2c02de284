"""`make run`'s demo of the provider channels: a fake Twilio/Meta/Telegram (fake_provider/, which
tests and benchmarks also run) and /simulator/, a no-login page that plays their customers."""
