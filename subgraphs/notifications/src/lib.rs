//! Notifications subgraph: tells people what happened. Consumes the user-facing events
//! (accounts' sign-up, verification and password mails, orders' and payments' order updates,
//! livestream starts for those who asked to be reminded, low stock for staff) and delivers
//! them by email (SMTP, or `.eml` files under the data directory by default), in the app
//! (`myNotifications`, `notificationReceived`), by SMS and by push (providers in `sms` and
//! `push`, logged by default), as each user's preferences allow, exactly once
//! in effect. Owns `Notification`; extends accounts' `User` with `notifications`.

pub mod consumers;
pub mod contacts;
pub mod deliveries;
pub mod entities;
pub mod feed;
pub mod inbox;
pub mod kinds;
pub mod mailer;
pub mod messages;
pub mod preferences;
pub mod providers;
pub mod push;
pub mod recipients;
pub mod reminders;
pub mod settings;
pub mod sms;
pub mod templates;
pub mod worker;

use std::sync::Arc;

use async_graphql::{MergedObject, MergedSubscription, Schema};
use axum::Router;
use kit::sqlx::migrate::Migrator;
use kit::{Service, Subgraph};

use crate::feed::NotificationFeed;
use crate::settings::Settings;
use crate::worker::Worker;

static MIGRATOR: Migrator = kit::sqlx::migrate!("../../migrations/notifications");

#[derive(MergedObject, Default)]
pub struct Query(
    entities::EntityQuery,
    inbox::InboxQuery,
    preferences::PreferencesQuery,
    contacts::ContactsQuery,
    deliveries::DeliveryQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    inbox::InboxMutation,
    preferences::PreferencesMutation,
    contacts::ContactsMutation,
    reminders::ReminderMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(feed::NotificationSubscription);

pub type NotificationsSchema = Schema<Query, Mutation, Subscription>;

pub fn schema(svc: &Service, feed: NotificationFeed) -> NotificationsSchema {
    let builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    );
    kit::schema::configure(builder, svc).data(feed).finish()
}

pub struct Notifications;

#[async_trait::async_trait]
impl Subgraph for Notifications {
    const NAME: &'static str = "notifications";
    const PORT: u16 = 4012;

    fn migrator() -> &'static Migrator {
        &MIGRATOR
    }

    async fn build(svc: &mut Service) -> anyhow::Result<Router> {
        let settings = Settings::from_config(&svc.config)?;
        let worker = Arc::new(Worker {
            db: svc.db.clone(),
            mailer: mailer::Mailer::new(&settings)?,
            templates: templates::Templates::load()?,
            sms: sms::provider(&settings)?,
            push: push::provider(&settings)?,
            settings,
            wake: Default::default(),
        });
        worker.clone().spawn(svc);
        consumers::start(svc, worker).await?;
        let feed = NotificationFeed::default();
        feed.start(svc).await?;
        Ok(kit::server::app(svc, schema(svc, feed), Router::new()))
    }
}
