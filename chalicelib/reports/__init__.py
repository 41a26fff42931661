"""Reports: the figures JFW's SDK reads (the payments summary and dashboard, the licenses'
monthly statistics), kept as counters so a report is a few reads, never a scan."""
