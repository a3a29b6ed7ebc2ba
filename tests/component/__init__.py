"""The marvin2 component pack: deeper, multi-step CloudStack tests (see README.md here)."""
