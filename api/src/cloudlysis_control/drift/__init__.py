"""What runs vs what should: node inventory and platform drift, with remedies as job links."""
