//! Without `SMTP_URL` every email is written as a `.eml` file under the mail directory, a
//! complete MIME message a mail program opens: the welcome email with its link.

use crate::common::*;

#[tokio::test]
async fn without_smtp_the_welcome_email_is_an_eml_file_with_the_link() {
    let env = start(None, &[]).await;
    let user = env.customer().await;
    eventually("the .eml file", || async { !env.files().is_empty() }).await;
    let files = env.files();
    assert_eq!(files.len(), 1, "{files:?}");
    let mail = parse(&files[0]);
    assert_eq!(mail.to, user.email);
    assert_eq!(mail.content_type, "multipart/alternative");
    assert!(mail.subject.starts_with("Welcome to Shop"));
    assert!(mail
        .text
        .contains("https://shop.example/verify-email?token="));
    assert!(mail.html.contains("Verify my email"));
    // The log says where it went.
    let location: String =
        sqlx::query_scalar("SELECT location FROM deliveries WHERE recipient = $1")
            .bind(&user.email)
            .fetch_one(env.app.svc().db.background())
            .await
            .unwrap();
    assert_eq!(location, files[0].display().to_string());
    env.stop().await;
}
