//! Supervisor and collector behind `asyncwatch run`.
