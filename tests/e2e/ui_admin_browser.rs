//! The admin's rules editor in a real headless Chromium against the real app over HTTP, on the
//! demo company: an admin writes a rule with an error, sees the error at that rule, fixes it,
//! simulates and activates; the store then has a new active version and the audit trail says
//! who activated it; then on the agent page a skill with a malformed name is refused at its
//! row, fixed and saved. Screenshots go to `$CARGO_TARGET_TMPDIR/screenshots/`.

use std::sync::Arc;

use switchboard_core::event::Actor;
use switchboard_core::store::Store;

use crate::browser_support::Browser;
use crate::ui_browser::{demo_store, serve, sign_in};

/// A candidate whose second rule names a variable conditions cannot use.
const WITH_ERROR: &str = "version = 1\n\
default_queue = \"inbox\"\n\
\n\
[[rules]]\n\
name = \"complaints\"\n\
when = \"intent in ['complaint', 'return_request']\"\n\
queue = \"inbox\"\n\
priority = 40\n\
\n\
[[rules]]\n\
name = \"angry customers\"\n\
when = \"sentiment == 'angry'\"\n\
queue = \"inbox\"\n\
priority = 30\n";

async fn set_candidate(browser: &Browser, text: &str) {
    let script = format!(
        "document.querySelector('textarea[name=rules]').value = {}; return true",
        serde_json::to_string(text).unwrap()
    );
    browser.script(&script).await;
}

#[actix_web::test]
async fn an_admin_fixes_a_rule_error_simulates_and_activates() {
    let folder = tempfile::tempdir().unwrap();
    let (store, router) = demo_store(folder.path()).await;
    let active_before = store
        .active_rule_set()
        .await
        .unwrap()
        .map(|set| set.version);
    let base = serve(store.clone(), router.as_router_handle());
    let browser = Browser::start().await;

    sign_in(&browser, &base, "admin").await;
    browser.click_and_wait("a[href='/admin']").await;
    assert_eq!(browser.path().await, "/admin/rules");
    browser.screenshot("admin-rules").await;

    // The error is shown at its rule (the second) and at its line in the text (12).
    set_candidate(&browser, WITH_ERROR).await;
    browser.click_and_wait("#rules-validate").await;
    let rule_row = browser
        .script("var r = document.getElementById('rule-2'); return r === null ? '' : r.className + '|' + r.textContent")
        .await;
    let rule_row = rule_row.as_str().unwrap();
    assert!(rule_row.starts_with("has-error|"), "{rule_row}");
    assert!(rule_row.contains("sentiment"), "{rule_row}");
    let first_rule_ok = browser
        .script("return document.getElementById('rule-1').className")
        .await;
    assert_eq!(first_rule_ok, serde_json::json!(""));
    let marked_line = browser
        .script("var l = document.querySelector('ol.source li.bad'); return l === null ? '' : l.id + '|' + l.textContent")
        .await;
    let marked_line = marked_line.as_str().unwrap();
    assert!(marked_line.starts_with("line-12|"), "{marked_line}");
    assert!(marked_line.contains("column 9"), "{marked_line}");
    browser.screenshot("admin-rules-error").await;

    // Activating an invalid set is refused and changes nothing.
    browser.click_and_wait("#rules-activate").await;
    assert!(browser.text().await.contains("fix them before"));
    assert_eq!(
        store
            .active_rule_set()
            .await
            .unwrap()
            .map(|set| set.version),
        active_before
    );

    // The text the admin wrote stays in the editor; fix the condition there.
    let kept = browser
        .script("return document.querySelector('textarea[name=rules]').value")
        .await;
    let fixed = kept.as_str().unwrap().replace(
        "sentiment == 'angry'",
        "intent == 'complaint' && priority > 10",
    );
    assert_ne!(fixed, kept.as_str().unwrap());
    set_candidate(&browser, &fixed).await;
    browser.click_and_wait("#rules-simulate").await;
    let simulation = browser
        .script(
            "var s = document.getElementById('simulation'); return s === null ? '' : s.textContent",
        )
        .await;
    let simulation = simulation.as_str().unwrap();
    assert!(simulation.contains("Per queue"), "{simulation}");
    assert!(simulation.contains("inbox"), "{simulation}");
    let replayed = store.count_items().await.unwrap();
    assert!(replayed > 0);
    browser
        .script("document.getElementById('simulation').scrollIntoView(); return true")
        .await;
    browser.screenshot("admin-rules-simulation").await;

    browser.click_and_wait("#rules-activate").await;
    assert_eq!(browser.path().await, "/admin/rules");
    assert!(browser.text().await.contains("active now"));
    let active = store.active_rule_set().await.unwrap().unwrap();
    assert_ne!(Some(active.version), active_before);
    assert_eq!(active.document["rules"][1]["name"], "angry customers");
    assert_eq!(
        active.document["rules"][1]["when"],
        "intent == 'complaint' && priority > 10"
    );
    let shown = browser
        .script("return document.getElementById('active-version').textContent")
        .await;
    assert_eq!(shown, serde_json::json!(active.version.to_string()));

    // The audit trail names the admin who activated that version.
    let admin = switchboard_tests::user_id(&store, "admin").await;
    let events = store.recent_events("rules.activated", 10).await.unwrap();
    let event = events
        .first()
        .unwrap_or_else(|| panic!("no rules.activated event"));
    assert_eq!(event.actor, Actor::User { id: admin });
    assert_eq!(event.details["version"], active.version);
    browser.screenshot("admin-rules-activated").await;

    // The other admin pages, each reached from the admin navigation.
    for (tab, name, heading) in [
        ("/admin/users", "admin-users", "Users"),
        ("/admin/tokens", "admin-tokens", "API tokens"),
        ("/admin/queues", "admin-queues", "Queues and agents"),
        ("/admin/sla", "admin-sla", "SLA and business hours"),
        ("/admin/channels", "admin-channels", "Channels"),
        ("/audit", "admin-audit", "Audit log"),
    ] {
        browser
            .click_and_wait(&format!("nav.tabs a[href='{tab}']"))
            .await;
        assert_eq!(browser.path().await, tab);
        let title = browser
            .script("return document.querySelector('h1').textContent")
            .await;
        assert_eq!(title, serde_json::json!(heading));
        browser.screenshot(name).await;
    }
    browser
        .click_and_wait("nav.tabs a[href='/admin/queues']")
        .await;
    browser
        .click_and_wait("#agents a[href='/admin/agents/agent']")
        .await;
    browser.fill("capacity", "140").await;
    browser.click_and_wait("#agent-save").await;
    assert!(
        browser
            .text()
            .await
            .contains("The agent's routing is saved.")
    );
    browser.screenshot("admin-agent").await;
    edit_skills(&browser, &store).await;
    browser.close().await;
}

/// The demo agent's skills, by name.
async fn agent_skills(store: &Arc<dyn Store>) -> Vec<(String, u8)> {
    let snapshot = store.routing_snapshot(chrono::Utc::now()).await.unwrap();
    let agent = snapshot
        .agents
        .into_iter()
        .find(|agent| agent.login.as_str() == "agent")
        .unwrap();
    let mut skills: Vec<(String, u8)> = agent
        .skills
        .into_iter()
        .map(|skill| (skill.name, skill.level))
        .collect();
    skills.sort();
    skills
}

/// On the agent page: a new skill with a malformed name is refused at its row; fixed, with
/// its level chosen and the first skill removed, the list is saved and routing has it.
async fn edit_skills(browser: &Browser, store: &Arc<dyn Store>) {
    let before = agent_skills(store).await;
    let rows = browser
        .script("return document.querySelectorAll('#agent-skills-form tbody tr').length")
        .await;
    assert_eq!(rows, serde_json::json!(before.len() + 3));
    let new_row = before.len();
    let new_name = format!("name_{new_row}");
    browser.fill(&new_name, "Lang FY").await;
    browser.click_and_wait("#skills-save").await;
    let refused_row = browser
        .script(&format!(
            "var r = document.getElementById('skill-{new_row}'); \
             return r === null ? '' : r.className + '|' + r.textContent"
        ))
        .await;
    let refused_row = refused_row.as_str().unwrap();
    assert!(refused_row.starts_with("has-error|"), "{refused_row}");
    assert!(refused_row.contains("invalid skill name"), "{refused_row}");
    assert!(browser.text().await.contains("The skills are not saved"));
    assert_eq!(agent_skills(store).await, before);
    browser
        .script("document.getElementById('agent-skills').scrollIntoView(); return true")
        .await;
    browser.screenshot("admin-agent-skills-error").await;

    // The typed name is still there; fix it, choose level 4, remove the first skill.
    let kept = browser
        .script(&format!(
            "return document.querySelector(\"[name='{new_name}']\").value"
        ))
        .await;
    assert_eq!(kept, serde_json::json!("Lang FY"));
    browser.fill(&new_name, "lang:fy").await;
    browser
        .script(&format!(
            "document.querySelector(\"[name='level_{new_row}']\").value = '4'; return true"
        ))
        .await;
    let first_row = browser
        .script("return document.querySelector(\"[name='name_0']\").value")
        .await;
    let first_row = first_row.as_str().unwrap().to_owned();
    browser.click("[name='remove_0']").await;
    browser.click_and_wait("#skills-save").await;
    assert!(
        browser
            .text()
            .await
            .contains("The agent's skills are saved")
    );
    let mut expected: Vec<(String, u8)> = before
        .iter()
        .filter(|(name, _)| *name != first_row)
        .cloned()
        .collect();
    assert_eq!(expected.len(), before.len() - 1);
    expected.push(("lang:fy".into(), 4));
    expected.sort();
    assert_eq!(agent_skills(store).await, expected);
    let events = store
        .recent_events("agent.routing_changed", 10)
        .await
        .unwrap();
    assert_eq!(events[0].details["login"], "agent");
    browser
        .script("document.getElementById('agent-skills').scrollIntoView(); return true")
        .await;
    browser.screenshot("admin-agent-skills").await;
}
