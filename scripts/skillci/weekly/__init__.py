"""The weekly report: aggregation, rendering, Slack delivery, snapshots."""
