"""The reference proxy: routes HTTP by the table the controller pushes (see routing_table.md)."""
