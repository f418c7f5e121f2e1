//! Integration tests against the running worker (in progress)
