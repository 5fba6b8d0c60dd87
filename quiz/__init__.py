"""quiz: a live buzzer-quiz system for public outreach events.

The package is split by what each part owns:

- ``quiz.engine``: the rules of a best-of-five buzzer match as a pure state machine
  (stdlib only, no clock, no I/O).
- ``quiz.bank``: the question bank format, its validator, spreadsheet conversion and drawing.
- ``quiz.models``: the SQLAlchemy models (the database schema).
- the web application (Flask + Flask-SocketIO), built by :func:`quiz.app.create_app`.
"""

__version__ = "0.1.0"
