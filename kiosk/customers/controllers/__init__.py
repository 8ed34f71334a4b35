"""The customers' pages: the till's customer section of a receipt, and the Customers admin."""
