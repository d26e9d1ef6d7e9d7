"""Northwind-shaped sample data: a deterministic first snapshot and a sequence of change batches.

Pure Python, seeded: the same (seed, scale, batches) always gives the same rows. Every table of the
Northwind source is produced with its real columns; the change batches insert, update (descriptive
attributes and relationships, including a value that changes and changes back) and delete rows, and restore
a deleted row, so that each Data Vault construct is exercised.

Linear in the data: the sorted keys of each table are kept up to date as rows come and go (never re-sorted per
row), and the order lines per order are counted; `snapshots` yields one batch at a time, so only the current
state and the batch being loaded are in memory.
"""

from __future__ import annotations

import bisect
import copy
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Iterator

Row = dict[str, Any]
State = dict[str, dict[tuple, Row]]  # table -> primary key -> row

PRIMARY_KEYS = {
    "categories": ("category_id",),
    "customer_customer_demo": ("customer_id", "customer_type_id"),
    "customer_demographics": ("customer_type_id",),
    "customers": ("customer_id",),
    "employee_territories": ("employee_id", "territory_id"),
    "employees": ("employee_id",),
    "order_details": ("order_id", "product_id"),
    "orders": ("order_id",),
    "products": ("product_id",),
    "region": ("region_id",),
    "shippers": ("shipper_id",),
    "suppliers": ("supplier_id",),
    "territories": ("territory_id",),
    "us_states": ("state_id",),
}

CITIES = [("Berlin", "Germany", None), ("London", "UK", None), ("Seattle", "USA", "WA"), ("Madrid", "Spain", None),
          ("Lyon", "France", None), ("Sao Paulo", "Brazil", "SP"), ("Tokyo", "Japan", None), ("Portland", "USA", "OR"),
          ("Montreal", "Canada", "Quebec"), ("Helsinki", "Finland", None), ("Graz", "Austria", None), ("Torino", "Italy", None)]
FIRST = ["Maria", "Ana", "Antonio", "Thomas", "Christina", "Hanna", "Frederique", "Martin", "Laurence", "Elizabeth", "Victoria", "Patricio"]
LAST = ["Anders", "Trujillo", "Moreno", "Hardy", "Berglund", "Moos", "Citeaux", "Sommer", "Lebihan", "Lincoln", "Ashworth", "Simpson"]
WORDS = ["Alpha", "Nord", "Ost", "Sun", "River", "Crown", "Harbor", "Golden", "Royal", "Blue", "Green", "Old"]
TITLES = ["Sales Representative", "Owner", "Marketing Manager", "Accounting Manager", "Sales Agent", "Order Administrator"]
CATEGORIES = ["Beverages", "Condiments", "Confections", "Dairy Products", "Grains/Cereals", "Meat/Poultry", "Produce", "Seafood"]
REGIONS = ["Eastern", "Western", "Northern", "Southern"]
STATES = [("Alabama", "AL", "south"), ("Alaska", "AK", "north"), ("Arizona", "AZ", "west"), ("California", "CA", "west"),
          ("New York", "NY", "east"), ("Oregon", "OR", "west"), ("Texas", "TX", "south"), ("Washington", "WA", "west")]


@dataclass(frozen=True)
class Snapshot:
    """The full content of every source table at one batch."""

    number: int
    tables: dict[str, list[Row]]


def _customer_code(index: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    value, code = index, ""
    for _ in range(5):
        code = letters[value % 26] + code
        value //= 26
    return code


class NorthwindGenerator:
    def __init__(self, seed: int = 42, scale: float = 1.0):
        self.rng = random.Random(seed)
        self.scale = scale
        self.state: State = {table: {} for table in PRIMARY_KEYS}
        self.next_ids = {"customers": 0, "orders": 10248, "products": 1, "suppliers": 1, "employees": 1}
        self.batch = 0
        self._deleted: dict[str, list[Row]] = {}
        self._sorted: dict[str, list[tuple]] = {table: [] for table in PRIMARY_KEYS}  # each table's keys, in order
        self._lines: dict[int, int] = {}  # order_id -> its number of order lines
        self._last_order_date: date | None = None

    # -- helpers ---------------------------------------------------------------------------------------------
    def _n(self, base: int) -> int:
        return max(2, int(round(base * self.scale)))

    def _keys(self, table: str) -> list[tuple]:
        """The table's primary keys in order (the list the generator keeps; do not modify)."""
        return self._sorted[table]

    def _put(self, table: str, row: Row) -> None:
        key = tuple(row[c] for c in PRIMARY_KEYS[table])
        rows = self.state[table]
        if key not in rows:
            keys = self._sorted[table]
            if not keys or keys[-1] < key:
                keys.append(key)
            else:
                bisect.insort(keys, key)
            if table == "order_details":
                self._lines[key[0]] = self._lines.get(key[0], 0) + 1
        rows[key] = row
        if table == "orders" and (self._last_order_date is None or row["order_date"] > self._last_order_date):
            self._last_order_date = row["order_date"]

    def _delete(self, table: str, key: tuple) -> Row:
        keys = self._sorted[table]
        del keys[bisect.bisect_left(keys, key)]
        if table == "order_details":
            self._lines[key[0]] -= 1
        return self.state[table].pop(key)

    def _phone(self) -> str:
        return f"({self.rng.randint(100, 999)}) 555-{self.rng.randint(1000, 9999)}"

    def _place(self) -> dict[str, Any]:
        city, country, region = self.rng.choice(CITIES)
        return {"address": f"{self.rng.randint(1, 999)} {self.rng.choice(WORDS)} Str.", "city": city, "region": region,
                "postal_code": str(self.rng.randint(10000, 99999)), "country": country}

    def _new_customer(self) -> Row:
        code = _customer_code(self.next_ids["customers"] * 7919 + 1)
        self.next_ids["customers"] += 1
        return {"customer_id": code, "company_name": f"{self.rng.choice(WORDS)} {self.rng.choice(WORDS)} Ltd",
                "contact_name": f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}", "contact_title": self.rng.choice(TITLES),
                **self._place(), "phone": self._phone(), "fax": self._phone() if self.rng.random() < 0.6 else None}

    def _new_supplier(self) -> Row:
        supplier_id = self.next_ids["suppliers"]
        self.next_ids["suppliers"] += 1
        return {"supplier_id": supplier_id, "company_name": f"{self.rng.choice(WORDS)} Supplies", "contact_name": f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}",
                "contact_title": self.rng.choice(TITLES), **self._place(), "phone": self._phone(), "fax": None,
                "homepage": f"{self.rng.choice(WORDS)}#http://example.com/{supplier_id}#" if self.rng.random() < 0.3 else None}

    def _new_product(self) -> Row:
        product_id = self.next_ids["products"]
        self.next_ids["products"] += 1
        return {"product_id": product_id, "product_name": f"{self.rng.choice(WORDS)} {self.rng.choice(CATEGORIES).split('/')[0]} {product_id}",
                "supplier_id": self.rng.choice(self._keys("suppliers"))[0], "category_id": self.rng.randint(1, len(CATEGORIES)),
                "quantity_per_unit": f"{self.rng.randint(1, 48)} boxes", "unit_price": round(self.rng.uniform(2, 120), 2),
                "units_in_stock": self.rng.randint(0, 120), "units_on_order": self.rng.choice([0, 0, 10, 20]),
                "reorder_level": self.rng.choice([0, 5, 10, 25]), "discontinued": int(self.rng.random() < 0.1)}

    def _new_order(self, order_date: date) -> None:
        order_id = self.next_ids["orders"]
        self.next_ids["orders"] += 1
        customer = self.rng.choice(self._keys("customers"))[0]
        place = self._place()
        self._put("orders", {
            "order_id": order_id, "customer_id": customer, "employee_id": self.rng.choice(self._keys("employees"))[0],
            "order_date": order_date, "required_date": order_date + timedelta(days=28),
            "shipped_date": order_date + timedelta(days=self.rng.randint(1, 30)) if self.rng.random() < 0.9 else None,
            "ship_via": self.rng.randint(1, 3), "freight": round(self.rng.uniform(0.5, 300), 2), "ship_name": f"{self.rng.choice(WORDS)} Shipping",
            "ship_address": place["address"], "ship_city": place["city"], "ship_region": place["region"],
            "ship_postal_code": place["postal_code"], "ship_country": place["country"]})
        products = self.rng.sample(self._keys("products"), k=min(len(self.state["products"]), self.rng.randint(1, 4)))
        for (product_id,) in products:
            self._put("order_details", {"order_id": order_id, "product_id": product_id,
                                        "unit_price": self.state["products"][(product_id,)]["unit_price"],
                                        "quantity": self.rng.randint(1, 60), "discount": self.rng.choice([0.0, 0.05, 0.1, 0.15, 0.25])})

    # -- the first snapshot ------------------------------------------------------------------------------------
    def initial(self) -> Snapshot:
        for index, name in enumerate(CATEGORIES, start=1):
            self._put("categories", {"category_id": index, "category_name": name, "description": f"All kinds of {name.lower()}", "picture": bytes([index, 0, 255])})
        for index, name in enumerate(REGIONS, start=1):
            self._put("region", {"region_id": index, "region_description": name})
        for index, (name, abbr, region) in enumerate(STATES, start=1):
            self._put("us_states", {"state_id": index, "state_name": name, "state_abbr": abbr, "state_region": region})
        for index, name in enumerate(["Speedy Express", "United Package", "Federal Shipping"], start=1):
            self._put("shippers", {"shipper_id": index, "company_name": name, "phone": self._phone()})
        for code, desc in (("GOLD", "Gold customers"), ("SILV", "Silver customers"), ("NEW", "New customers")):
            self._put("customer_demographics", {"customer_type_id": code, "customer_desc": desc})
        for index in range(self._n(53)):
            self._put("territories", {"territory_id": f"{1000 + index * 37:05d}", "territory_description": f"{self.rng.choice(WORDS)}ville",
                                      "region_id": self.rng.randint(1, len(REGIONS))})
        for _ in range(self._n(9)):
            employee_id = self.next_ids["employees"]
            self.next_ids["employees"] += 1
            self._put("employees", {
                "employee_id": employee_id, "last_name": self.rng.choice(LAST), "first_name": self.rng.choice(FIRST),
                "title": self.rng.choice(TITLES), "title_of_courtesy": self.rng.choice(["Ms.", "Mr.", "Dr.", "Mrs."]),
                "birth_date": date(1950, 1, 1) + timedelta(days=self.rng.randint(0, 12000)),
                "hire_date": date(1992, 1, 1) + timedelta(days=self.rng.randint(0, 900)), **self._place(),
                "home_phone": self._phone(), "extension": str(self.rng.randint(100, 9999)), "photo": bytes([employee_id % 256, 1, 2]),
                "notes": f"Joined as {self.rng.choice(TITLES).lower()}.", "reports_to": None if employee_id == 1 else self.rng.randint(1, employee_id - 1),
                "photo_path": f"http://accweb/emmployees/{employee_id}.bmp"})
        territories = self._keys("territories")
        for (employee_id,) in list(self._keys("employees")):
            for (territory_id,) in self.rng.sample(territories, k=min(len(territories), self.rng.randint(1, 6))):
                self._put("employee_territories", {"employee_id": employee_id, "territory_id": territory_id})
        for _ in range(self._n(91)):
            self._put("customers", self._new_customer())
        for (customer_id,) in self.rng.sample(self._keys("customers"), k=self._n(12)):
            self._put("customer_customer_demo", {"customer_id": customer_id, "customer_type_id": self.rng.choice(["GOLD", "SILV", "NEW"])})
        for _ in range(self._n(29)):
            self._put("suppliers", self._new_supplier())
        for _ in range(self._n(77)):
            self._put("products", self._new_product())
        start = date(1996, 7, 4)
        for index in range(self._n(830)):
            self._new_order(start + timedelta(days=index * 670 // self._n(830)))
        return self._snapshot()

    # -- change batches ------------------------------------------------------------------------------------------
    def next_batch(self) -> Snapshot:
        self.batch += 1
        rng = self.rng
        customers = list(self._keys("customers"))
        # updates of descriptive attributes
        for key in rng.sample(customers, k=max(1, len(customers) // 10)):
            row = self.state["customers"][key]
            row["contact_title"] = rng.choice(TITLES)
            row["phone"] = self._phone()
        for key in rng.sample(self._keys("products"), k=max(1, len(self.state["products"]) // 8)):
            self.state["products"][key]["unit_price"] = round(self.state["products"][key]["unit_price"] * 1.1, 2)
        # a change that is undone in the next batch: A -> B -> A
        first_customer = self.state["customers"][customers[0]]
        first_customer["city"], first_customer["country"] = (("Reims", "France") if self.batch % 2 else ("Berlin", "Germany"))
        # relationship changes: an order's shipper and employee, an employee's manager, a product's supplier
        orders = self._keys("orders")
        for key in rng.sample(orders, k=max(1, len(orders) // 50)):
            order = self.state["orders"][key]
            order["ship_via"] = order["ship_via"] % 3 + 1
            order["shipped_date"] = order["shipped_date"] or order["order_date"] + timedelta(days=3)
        employees = self._keys("employees")
        if len(employees) > 2:
            employee = self.state["employees"][employees[-1]]
            employee["reports_to"] = employees[(self.batch % (len(employees) - 1))][0]
        product = self.state["products"][self._keys("products")[0]]
        product["supplier_id"] = rng.choice(self._keys("suppliers"))[0]
        # deletes: order lines, an employee's territory, a customer without orders; restore the last deleted one
        for key in rng.sample(self._keys("order_details"), k=max(1, len(self.state["order_details"]) // 100)):
            if self._lines[key[0]] > 1:
                self._delete("order_details", key)
        territory_links = self._keys("employee_territories")
        if territory_links:
            self._delete("employee_territories", rng.choice(territory_links))
        ordering = {row["customer_id"] for row in self.state["orders"].values()}
        idle = [key for key in self._keys("customers") if key[0] not in ordering]
        restored = self._deleted.pop("customers", [])
        for row in restored:
            self._put("customers", row)
        if idle:
            victim = rng.choice(idle)
            self._deleted["customers"] = [copy.deepcopy(self._delete("customers", victim))]
            for key in [k for k in self._keys("customer_customer_demo") if k[0] == victim[0]]:
                self._delete("customer_customer_demo", key)
        # inserts
        for _ in range(max(1, self._n(91) // 20)):
            self._put("customers", self._new_customer())
        self._put("products", self._new_product())
        last_date = self._last_order_date
        for index in range(max(2, self._n(830) // 15)):
            self._new_order(last_date + timedelta(days=1 + index // 3))
        return self._snapshot()

    def small_change_batch(self, fraction: float) -> Snapshot:
        """A batch in which `fraction` of the rows of the tables with many rows (orders, order lines, customers,
        products) change one descriptive attribute each; no key is added or removed (the benchmarks' 1 % batch)."""
        self.batch += 1
        changes = (("order_details", lambda row: {"quantity": row["quantity"] % 60 + 1}),
                   ("orders", lambda row: {"freight": round(row["freight"] + 1, 2)}),
                   ("customers", lambda row: {"phone": self._phone()}),
                   ("products", lambda row: {"units_in_stock": (row["units_in_stock"] + 1) % 121}))
        for table, change in changes:
            keys = self._keys(table)
            for key in self.rng.sample(keys, k=max(1, round(len(keys) * fraction))):
                row = self.state[table][key]
                row.update(change(row))
        return self._snapshot()

    def _snapshot(self) -> Snapshot:
        tables = {table: [dict(self.state[table][key]) for key in self._keys(table)] for table in self.state}
        return Snapshot(self.batch, tables)


def snapshots(seed: int, scale: float, batches: int) -> Iterator[Snapshot]:
    """The first snapshot and `batches - 1` change batches, one at a time (each is generated when asked for)."""
    generator = NorthwindGenerator(seed, scale)
    yield generator.initial()
    for _ in range(batches - 1):
        yield generator.next_batch()
