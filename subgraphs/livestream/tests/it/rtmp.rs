//! Going live for real: Debian's nginx with the RTMP module, on a private config that calls
//! this service's `on_publish` / `on_publish_done`, and ffmpeg publishing a generated test
//! pattern. The right key takes the stream LIVE, a wrong key is refused (ffmpeg fails, the
//! stream stays SCHEDULED), and stopping the publisher ends the stream.
//!
//! Needs `/usr/sbin/nginx`, the module `.so` and `ffmpeg` (scripts/test.sh installs them).
//! Without them the test is skipped locally and fails under `CI=true`.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use kit::testing::eventually;
use tokio::process::{Child, Command};

use crate::common::*;

const NGINX: &str = "/usr/sbin/nginx";
const RTMP_MODULE: &str = "/usr/lib/nginx/modules/ngx_rtmp_module.so";

/// Whether the media tools are here; fails the test under CI when they are not.
fn tools_present() -> bool {
    let ffmpeg = std::process::Command::new("ffmpeg")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let present = ffmpeg && Path::new(NGINX).exists() && Path::new(RTMP_MODULE).exists();
    if !present {
        let msg = format!("nginx ({NGINX}), its RTMP module ({RTMP_MODULE}) and ffmpeg are needed: apt-get install -y nginx-core libnginx-mod-rtmp ffmpeg");
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
        eprintln!("skipped: {msg}");
    }
    present
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// nginx with only the RTMP server, in the foreground, as one process (so killing it leaves
/// no worker behind), calling back to `service`.
async fn start_nginx(service: std::net::SocketAddr) -> (Child, u16, std::path::PathBuf) {
    let dir = kit::testing::temp_dir();
    let port = free_port();
    let conf = format!(
        "daemon off;\nmaster_process off;\nerror_log {dir}/error.log info;\npid {dir}/nginx.pid;\n\
         load_module {RTMP_MODULE};\nevents {{ worker_connections 64; }}\n\
         rtmp {{\n  server {{\n    listen 127.0.0.1:{port};\n    application live {{\n      live on;\n      record off;\n\
         \x20     on_publish http://{service}/ingest/nginx/on_publish;\n\
         \x20     on_publish_done http://{service}/ingest/nginx/on_publish_done;\n    }}\n  }}\n}}\n",
        dir = dir.display()
    );
    let conf_path = dir.join("nginx.conf");
    std::fs::write(&conf_path, conf).expect("nginx.conf written");
    let child = Command::new(NGINX)
        .arg("-p")
        .arg(&dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .arg("-c")
        .arg(&conf_path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("nginx starts");
    // Listening once a TCP connection goes through.
    let mut up = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
    assert!(up, "nginx did not listen on {port}: {log}");
    (child, port, dir)
}

/// ffmpeg publishing `seconds` of a test pattern with sound to `url`.
fn publish(url: &str, seconds: u32) -> Child {
    Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-re"])
        .args(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=15"])
        .args(["-f", "lavfi", "-i", "sine"])
        .args(["-t", &seconds.to_string()])
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
            "-f",
            "flv",
        ])
        .arg(url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("ffmpeg starts")
}

#[tokio::test]
async fn ffmpeg_through_nginx_rtmp_goes_live_is_refused_with_a_wrong_key_and_ends() {
    if !tools_present() {
        return;
    }
    let env = start().await;
    let stream = env.schedule("Real ingest", &[]).await;
    let (mut nginx, port, dir) = start_nginx(env.app.addr).await;
    let url = |key: &str| {
        format!(
            "rtmp://127.0.0.1:{port}/live/{}?key={key}",
            stream.playback_id
        )
    };

    // A wrong key: nginx asks the service, gets 403 and drops the publisher.
    let mut refused = publish(&url("not-the-key"), 5);
    let status = tokio::time::timeout(Duration::from_secs(60), refused.wait())
        .await
        .expect("a refused ffmpeg exits")
        .expect("ffmpeg ran");
    assert!(!status.success(), "ffmpeg with a wrong key must fail");
    assert_eq!(env.status(&stream.id).await, "SCHEDULED");

    // The right key: LIVE while publishing.
    let mut publisher = publish(&url(&stream.key), 120);
    eventually("the stream to go LIVE", || async {
        env.status(&stream.id).await == "LIVE"
    })
    .await;
    assert!(
        publisher.try_wait().expect("ffmpeg status").is_none(),
        "ffmpeg keeps publishing"
    );

    // The publisher stops: nginx reports publish_done, the stream ends.
    publisher.kill().await.expect("ffmpeg stopped");
    eventually("the stream to end", || async {
        env.status(&stream.id).await == "ENDED"
    })
    .await;
    let events = env.events(&stream.id).await;
    let causes: Vec<_> = events
        .iter()
        .skip(1)
        .map(|(t, d)| (t.as_str(), d["cause"].as_str().unwrap_or_default()))
        .collect();
    assert_eq!(
        causes,
        [
            ("livestream.started", "PUBLISHER"),
            ("livestream.ended", "PUBLISHER")
        ]
    );
    let _ = nginx.kill().await;
    let _ = std::fs::remove_dir_all(dir);
    env.stop().await;
}
