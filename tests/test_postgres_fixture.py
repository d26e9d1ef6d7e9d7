import psycopg
import pytest


@pytest.mark.postgres
def test_server_answers(postgres):
    with psycopg.connect(postgres.dsn) as connection:
        assert connection.execute("select 1 + 1").fetchone() == (2,)
