"""Test support shipped with the package (the server never imports it): network emulation
for the fairness tests and benchmark (:mod:`quiz.testing.netem`) and an emulated contestant
phone speaking the live protocol (:mod:`quiz.testing.phone`)."""
