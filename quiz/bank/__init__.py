"""The question bank: YAML format, validation, spreadsheet conversion, import and drawing.

What the rest of the application uses (kept out of this module so that importing the package,
e.g. for its command group, stays cheap):

- :func:`quiz.bank.validate.load_bank` -> :class:`~quiz.bank.validate.BankResult` (the valid
  questions and every problem);
- :mod:`quiz.bank.schema`: the question models (``question.prompt.zh`` ...) and
  :func:`~quiz.bank.schema.engine_view`, a question as plain data for the engine;
- :func:`quiz.bank.draw.draw`, :func:`~quiz.bank.draw.remaining`,
  :class:`~quiz.bank.draw.PoolExhausted`: drawing the questions of an event;
- :func:`quiz.bank.importer.import_bank`: the bank into the database, versioned;
- :mod:`quiz.bank.shuffle`: the option order of a drawn question and its shown id;
- :mod:`quiz.bank.cues` (``quiz bank cues``): the cues that give answers away, measured;
- :mod:`quiz.bank.calibrate` (``quiz bank calibrate``): difficulty from real answer rates.
"""
