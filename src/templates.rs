//! Text artifacts rendered from `templates/`: job scripts and the ingress
//! websocket snippet.
//!
//! The templates are compiled into the binary (no files to ship beside it)
//! and rendered with strict undefined behaviour, so a misspelt variable is an
//! error in the tests rather than an empty string in a cluster. The
//! environment is built only when a template is needed: `lint` and most
//! renders never pay for it.

use minijinja::{Environment, UndefinedBehavior, context};

const CONFIGURE: &str = include_str!("../templates/configure.sh.j2");
const WEBSOCKET_SNIPPET: &str = include_str!("../templates/websocket-snippet.conf.j2");

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    env.add_template("configure.sh", CONFIGURE)
        .expect("configure.sh.j2 is a valid template");
    env.add_template("websocket-snippet.conf", WEBSOCKET_SNIPPET)
        .expect("websocket-snippet.conf.j2 is a valid template");
    env
}

fn render(name: &str, ctx: minijinja::Value) -> String {
    environment()
        .get_template(name)
        .and_then(|template| template.render(ctx))
        .unwrap_or_else(|error| panic!("template {name} failed to render: {error:#}"))
}

/// The configure Job's script.
pub fn configure_script(rds: bool) -> String {
    render("configure.sh", context! { rds })
}

/// ingress-nginx `configuration-snippet` sending `/socket.io` to socketio
/// with the websocket upgrade headers.
pub fn websocket_snippet(service: &str, namespace: &str, port: i32) -> String {
    render("websocket-snippet.conf", context! { service, namespace, port })
}

#[cfg(test)]
mod tests {
    #[test]
    fn templates_render_with_every_variable_defined() {
        let script = super::configure_script(true);
        assert!(script.starts_with("set -euo pipefail\n"));
        assert!(script.contains("rds_db 1"));
        assert!(!super::configure_script(false).contains("rds_db"));
        let snippet = super::websocket_snippet("b-erpnext-socketio", "erp", 9000);
        assert!(snippet.contains("proxy_pass http://b-erpnext-socketio.erp.svc.cluster.local:9000;"));
        assert!(snippet.contains("proxy_set_header Upgrade $http_upgrade;"));
    }
}
