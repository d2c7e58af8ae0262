"""A review database that cannot be opened or used is one clear error naming it (a URL's password
hidden), never a driver traceback; a query's own errors are not mistaken for it."""
from __future__ import annotations

import socket
import sqlite3

import pytest

from alphacut.errors import AlphacutError, InputError
from alphacut.review import ReviewDatabaseError, ReviewStore


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_postgres_server_that_refuses_is_one_line_without_the_password():
    pytest.importorskip("psycopg")
    url = f"postgresql://reviewer:hunter2@127.0.0.1:{closed_port()}/votes"
    with pytest.raises(ReviewDatabaseError) as raised:
        ReviewStore(url)
    message = str(raised.value)
    assert message.startswith("review database postgresql://reviewer:***@127.0.0.1:")
    assert "cannot connect" in message and "Connection refused" in message
    assert "hunter2" not in message and "\n" not in message
    assert not isinstance(raised.value, InputError) and isinstance(raised.value, AlphacutError)


def test_a_postgres_url_that_does_not_parse_hides_its_password_too():
    pytest.importorskip("psycopg")
    with pytest.raises(ReviewDatabaseError, match=r"cannot connect") as raised:
        ReviewStore("postgresql://reviewer:hunter2@[::1")
    assert "hunter2" not in str(raised.value) and "reviewer:***@" in str(raised.value)


def test_a_file_that_is_not_a_database_is_named(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a database " * 100)
    with pytest.raises(ReviewDatabaseError, match=rf"review database {path}: cannot use it \(file is not a database\)"):
        ReviewStore(str(path))
    assert path.read_text() == "not a database " * 100  # the file is left as it was


def test_a_folder_given_as_the_database_and_an_impossible_folder_are_named(tmp_path):
    with pytest.raises(ReviewDatabaseError, match="cannot open it"):
        ReviewStore(str(tmp_path))
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ReviewDatabaseError, match="cannot create its folder"):
        ReviewStore(str(blocker / "sub" / "votes.sqlite3"))


def test_a_query_error_is_not_taken_for_an_unusable_database(tmp_path):
    store = ReviewStore(str(tmp_path / "votes.sqlite3"))
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        with store._transaction() as run:
            run("SELECT * FROM no_such_table")
    assert store.reviews() == []  # and the store still works
