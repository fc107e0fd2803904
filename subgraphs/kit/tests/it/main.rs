//! The kit's integration tests, one binary: the event transports (the in-process bus in the
//! embedded run, RabbitMQ in the real-server run) deliver, fan out and dead-letter alike; the
//! typed reads answer alike on SQLite and PostgreSQL.

mod transports;
mod typed_reads;
