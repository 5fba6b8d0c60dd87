"""``python -m quiz`` is the same as the ``quiz`` console script (handy on Windows)."""

from quiz.cli import main

main()
