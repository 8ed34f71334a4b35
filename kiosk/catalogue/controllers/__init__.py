"""The Catalogue admin pages: items, CSV import and export, and the warehouses' tax rules."""
