//! Disposition notifications (RFC 5438).
