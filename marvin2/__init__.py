"""marvin2: CloudStack integration testing on pytest."""
