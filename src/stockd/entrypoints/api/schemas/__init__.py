"""Request and response bodies, named for their role (SkuCreate, SkuRead, …)."""
