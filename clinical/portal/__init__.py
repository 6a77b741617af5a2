"""The clinic web portal: Django pages and the ES-module front end that speaks protocol v1."""
