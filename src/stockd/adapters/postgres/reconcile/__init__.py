"""The reconciler over PostgreSQL: its checks (`checks.CHECKS`), their
repairs (`repairs`), the walk over the SKUs in chunks (`examiner`) and the
runs' tables (`store`)."""
