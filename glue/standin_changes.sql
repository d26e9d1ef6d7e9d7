-- A change batch for the local stand-in (scripts/aws_standin.sh): updates, a moved order, deletes, inserts.
UPDATE customers SET contact_title = 'Owner', phone = '030-0076545' WHERE customer_id = 'ALFKI';
UPDATE orders SET ship_via = 3, employee_id = 2 WHERE order_id = 10248;
UPDATE products SET unit_price = unit_price * 1.1 WHERE category_id = 1;
DELETE FROM order_details WHERE order_id = 10250 AND product_id = 41;
INSERT INTO customers (customer_id, company_name, contact_name, country) VALUES ('NEWCO', 'New Company', 'Jane Roe', 'Norway');
INSERT INTO orders (order_id, customer_id, employee_id, order_date, ship_via, freight) VALUES (11078, 'NEWCO', 3, DATE '1998-05-07', 1, 12.5);
INSERT INTO order_details VALUES (11078, 11, 21, 2, 0);
