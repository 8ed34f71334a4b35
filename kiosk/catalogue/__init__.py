"""The catalogue: the shop's items (name, SKU, barcode, category, tax rate, a price per currency),
the warehouses' tax rules, and a receipt's sums (discounts, tax per rate, net and gross).

Owns the `catalogue_item`, `item_price` and `warehouse_tax` tables. Others may use:
- `items`: finding items (`search`, `by_code`, `favourites`, `item`) and saving them;
- `pricing`: `reprice` (a receipt's sums, after its lines change), `tax_rules`, `totals_of`;
- `taxes`: the arithmetic (`compute`, `format_rate`, `parse_rate`);
- `barcodes`: EAN-13, UPC-A and Code 128 checks;
- `csv_io`: the catalogue as a CSV file, both ways.
`controllers` are the Catalogue and Taxes admin pages, mounted by kiosk/web. Imports `money`,
`people`, `audit`, `shop`, `db`, `forms`; the till imports it (ringing items up).
"""
