"""Tests of the JSON API, the auth pages and the middleware in front of them."""
