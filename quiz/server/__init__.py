"""``quiz serve``: prepare the database, print the addresses, and run the live server."""
