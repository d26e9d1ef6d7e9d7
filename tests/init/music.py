"""A music-store schema the tests create in PostgreSQL, DuckDB and SQLite: CamelCase names, a composite key
("TrackPrice": ("TrackId", "Currency")), a self-reference ("Employee"."ReportsTo"), an M:N table
("PlaylistTrack"), an "InvoiceLine" with its own key and foreign keys to "Invoice" and "Track". Seeded rows."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

TABLES = [
    ('Album', '"AlbumId" integer primary key, "Title" varchar(160) not null, "ArtistName" varchar(120)'),
    ('Track', '"TrackId" integer primary key, "Name" varchar(200) not null, "AlbumId" integer references "Album"("AlbumId"),'
              ' "Milliseconds" integer not null, "UnitPrice" numeric(10,2) not null'),
    ('TrackPrice', '"TrackId" integer not null references "Track"("TrackId"), "Currency" varchar(3) not null, "Price" numeric(10,2) not null,'
                   ' primary key ("TrackId", "Currency")'),
    ('Employee', '"EmployeeId" integer primary key, "LastName" varchar(20) not null, "FirstName" varchar(20) not null, "Title" varchar(30),'
                 ' "ReportsTo" integer references "Employee"("EmployeeId"), "HireDate" timestamp, "Email" varchar(60)'),
    ('Invoice', '"InvoiceId" integer primary key, "CustomerEmail" varchar(60) not null, "SalesRepId" integer references "Employee"("EmployeeId"),'
                ' "InvoiceDate" timestamp not null, "BillingCountry" varchar(40), "Total" numeric(10,2) not null'),
    ('InvoiceLine', '"InvoiceLineId" integer primary key, "InvoiceId" integer not null references "Invoice"("InvoiceId"),'
                    ' "TrackId" integer not null references "Track"("TrackId"), "UnitPrice" numeric(10,2) not null, "Quantity" integer not null'),
    ('Playlist', '"PlaylistId" integer primary key, "Name" varchar(120)'),
    ('PlaylistTrack', '"PlaylistId" integer not null references "Playlist"("PlaylistId"), "TrackId" integer not null references "Track"("TrackId"),'
                      ' primary key ("PlaylistId", "TrackId")'),
]
COMMENTS = [('Album', None, 'Albums of an artist'), ('Track', '"Milliseconds"', 'Length of the track')]


def rows(seed: int = 7) -> dict[str, list[tuple]]:
    rng = random.Random(seed)
    start = datetime(2023, 1, 1, 9, 30)
    data: dict[str, list[tuple]] = {}
    data["Album"] = [(i, f"Album {i}", rng.choice([f"Artist {rng.randint(1, 5)}", None])) for i in range(1, 9)]
    data["Track"] = [(i, f"Track {i}", None if i == 30 else rng.randint(1, 8), rng.randint(60_000, 400_000),
                      Decimal(rng.choice(["0.99", "1.29", "1.99"]))) for i in range(1, 31)]
    data["TrackPrice"] = [(i, currency, Decimal(f"{rng.randint(50, 300) / 100:.2f}")) for i in range(1, 31) for currency in ("EUR", "USD")]
    data["Employee"] = [(1, "Adams", "Andrew", "General Manager", None, start, "andrew@example.com")] + [
        (i, f"Last{i}", f"First{i}", "Sales", 1 if i < 4 else 2, start + timedelta(days=i), None) for i in range(2, 7)]
    data["Invoice"] = [(i, f"c{rng.randint(1, 10)}@example.com", rng.choice([3, 4, 5, None]), start + timedelta(days=i, hours=i),
                        rng.choice(["Norway", None]), Decimal(f"{i * 1.98:.2f}")) for i in range(1, 21)]
    data["InvoiceLine"] = [(i, (i - 1) // 3 + 1, rng.randint(1, 30), Decimal("0.99"), rng.randint(1, 3)) for i in range(1, 61)]
    data["Playlist"] = [(1, "Music"), (2, "Movies"), (3, "Classical")]
    data["PlaylistTrack"] = sorted({(rng.randint(1, 3), rng.randint(1, 30)) for _ in range(40)})
    return data


def _insert(table: str, width: int, placeholder: str) -> str:
    return f'insert into "{table}" values ({", ".join([placeholder] * width)})'


def _sqlite_value(value):
    if isinstance(value, Decimal):
        return str(value)  # numeric affinity stores it as REAL
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return value


def create(connection, placeholder: str = "?", comments: bool = True, sqlite: bool = False) -> dict[str, list[tuple]]:
    """Create and fill the schema through a DB-API connection (psycopg: placeholder %s). Returns the rows."""
    data = rows()
    for name, body in TABLES:
        connection.execute(f'create table "{name}" ({body})')
    if comments:
        for table, column, text in COMMENTS:
            target = f'table "{table}"' if column is None else f'column "{table}".{column}'
            connection.execute(f"comment on {target} is '{text}'")
    for name, _ in TABLES:
        if data[name]:
            cursor = connection.cursor() if hasattr(connection, "cursor") else connection
            values = [tuple(map(_sqlite_value, row)) for row in data[name]] if sqlite else data[name]
            cursor.executemany(_insert(name, len(data[name][0]), placeholder), values)
    return data


CHANGES = [
    'update "Track" set "Name" = \'Track 1 (remastered)\' where "TrackId" = 1',
    'update "Employee" set "ReportsTo" = 3 where "EmployeeId" = 6',
    'update "Track" set "AlbumId" = 3 where "TrackId" = 4',
    'update "TrackPrice" set "Price" = 9.99 where "TrackId" = 2 and "Currency" = \'EUR\'',
    'delete from "PlaylistTrack" where ("PlaylistId", "TrackId") in (select "PlaylistId", "TrackId" from "PlaylistTrack" order by 1, 2 limit 2)',
    'delete from "InvoiceLine" where "InvoiceLineId" = 60',
    'insert into "Invoice" values (21, \'c1@example.com\', 2, timestamp \'2024-02-01 10:00:00\', \'Norway\', 3.96)',
    'insert into "InvoiceLine" values (61, 21, 5, 0.99, 4)',
    'update "Invoice" set "SalesRepId" = null where "InvoiceId" = 1',
]
