def test_fixture_gives_migrated_database(conn):
    assert conn.execute("SELECT count(*) FROM monitoring.config").fetchone()[0] == 1
