"""Operations at the venue: ``quiz export`` (the raw record of what happened, from the match
logs) and ``quiz backup`` (an online copy of the database that a server can run on).

Both only read the live database, so they are safe while ``quiz serve`` is running.
"""
