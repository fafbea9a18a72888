//! edgec's end-to-end test support: conformance running and model building.
