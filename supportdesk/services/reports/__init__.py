"""Reports: figures, the monthly report, outreach, snapshots and exports."""
