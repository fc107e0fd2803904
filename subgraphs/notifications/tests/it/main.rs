//! The notifications subgraph as its users see it, over HTTP on the embedded backends (or the
//! real PostgreSQL, RabbitMQ and Redis when the test environment names them), with the real
//! accounts subgraph for tokens and `user.*` events and a real SMTP server: the welcome email
//! and its verification link, order emails, a redelivered event sending nothing twice, an SMTP
//! outage retried without loss, a refused mailbox recorded as failed, `.eml` files without
//! SMTP, in-app notifications and their subscription, preferences, livestream reminders, staff
//! alerts and the delivery log, SMS and push through real HTTP receivers, and the checked-in
//! SDL.

mod common;
mod email_smtp;
mod embedded_files;
mod in_app;
mod preferences;
mod reminders_and_staff;
mod schema_drift;
mod sms_push;
