//! An agent's skills on the admin agent page, in process on the demo company on every
//! configured database: the page lists the skills as rows; a list with a malformed name and a
//! level out of range is refused with each problem beside its row and changes nothing; a good
//! list (one level changed, one skill removed, one added) replaces the agent's skills, and the
//! change is audited with the admin as actor.

use actix_web::http::StatusCode;
use actix_web::test;
use chrono::Utc;
use switchboard_core::event::Actor;
use switchboard_core::skill::Skill;
use switchboard_core::store::Store;
use switchboard_tests::ui_session::{UiSession, body_text};
use switchboard_web::{AppState, WebConfig, create_app};

async fn skills_of(store: &std::sync::Arc<dyn Store>, login: &str) -> Vec<Skill> {
    let snapshot = store.routing_snapshot(Utc::now()).await.unwrap();
    let mut skills = snapshot
        .agents
        .into_iter()
        .find(|agent| agent.login.as_str() == login)
        .unwrap()
        .skills;
    skills.sort_by(|a, b| a.name.cmp(&b.name));
    skills
}

#[actix_web::test]
async fn an_admin_edits_an_agents_skills_with_errors_shown_at_their_rows_on_every_database() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in switchboard_tests::stores(folder.path()).await {
        switchboard_server::demo::prepare(&store).await.unwrap();
        let admin = switchboard_tests::user_id(&store, "admin").await;
        let session = UiSession::open(&store, admin, "admin").await;
        let app = test::init_service(create_app(AppState::new(
            store.clone(),
            WebConfig::default(),
        )))
        .await;
        let before = skills_of(&store, "agent").await;
        assert!(before.len() >= 2, "{label}: the demo agent has skills");

        // Every stored skill is a row, then empty rows for new ones.
        let page = test::call_service(&app, session.page("/admin/agents/agent").to_request()).await;
        assert_eq!(page.status(), StatusCode::OK, "{label}");
        let body = body_text(page).await;
        let stored_rows = before.len();
        for skill in &before {
            assert!(
                body.contains(&format!("value=\"{}\"", skill.name)),
                "{label}: {body}"
            );
        }
        assert!(
            body.contains(&format!("name=\"name_{}\" value=\"\"", stored_rows)),
            "{label}"
        );

        // A malformed name (row 1) and a level out of range (row 3, a crafted post): refused,
        // each problem at its row, the typed text kept, nothing changed.
        let first = before[0].name.as_str();
        let bad = [
            ("name_0", first),
            ("level_0", "2"),
            ("name_1", "Lang NL"),
            ("level_1", "3"),
            ("name_2", ""),
            ("level_2", "1"),
            ("name_3", "lang:fy"),
            ("level_3", "9"),
        ];
        let refused = test::call_service(
            &app,
            session
                .form("/admin/agents/agent/skills", &bad)
                .to_request(),
        )
        .await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{label}");
        let body = body_text(refused).await;
        assert!(
            body.contains("id=\"skill-1\" class=\"has-error\""),
            "{label}: {body}"
        );
        assert!(
            body.contains("id=\"skill-3\" class=\"has-error\""),
            "{label}: {body}"
        );
        assert!(body.contains("id=\"skill-0\">"), "{label}: row 0 is fine");
        assert!(
            body.contains("value=\"Lang NL\""),
            "{label}: the typed name is kept"
        );
        assert!(body.contains("skill level 9 is outside"), "{label}: {body}");
        assert!(body.contains("id=\"skills-alert\""), "{label}");
        assert_eq!(skills_of(&store, "agent").await, before, "{label}");

        // One level changed, the second skill removed, one added in an empty row; every
        // other stored skill posted as it is, like the page's form does.
        let second = before[1].name.as_str();
        let mut good: Vec<(String, String)> = Vec::new();
        for (row, skill) in before.iter().enumerate() {
            let level = if row == 0 { 5 } else { skill.level };
            good.push((format!("name_{row}"), skill.name.clone()));
            good.push((format!("level_{row}"), level.to_string()));
        }
        good.push(("remove_1".into(), "on".into()));
        good.push((format!("name_{stored_rows}"), "lang:fy".into()));
        good.push((format!("level_{stored_rows}"), "3".into()));
        good.push((format!("name_{}", stored_rows + 1), String::new()));
        good.push((format!("level_{}", stored_rows + 1), "1".into()));
        let good: Vec<(&str, &str)> = good
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let saved = test::call_service(
            &app,
            session
                .form("/admin/agents/agent/skills", &good)
                .to_request(),
        )
        .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER, "{label}");
        let mut expected: Vec<Skill> = before
            .iter()
            .filter(|skill| skill.name != second)
            .map(|skill| Skill {
                name: skill.name.clone(),
                level: if skill.name == first { 5 } else { skill.level },
            })
            .chain([Skill {
                name: "lang:fy".into(),
                level: 3,
            }])
            .collect();
        expected.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(skills_of(&store, "agent").await, expected, "{label}");

        let page = test::call_service(
            &app,
            session
                .page("/admin/agents/agent?done=skills_saved")
                .to_request(),
        )
        .await;
        let body = body_text(page).await;
        assert!(body.contains("skills are saved"), "{label}");
        assert!(!body.contains(&format!("value=\"{second}\"")), "{label}");

        let events = store
            .recent_events("agent.routing_changed", 10)
            .await
            .unwrap();
        assert_eq!(events.len(), 1, "{label}: only the saved list is audited");
        assert_eq!(events[0].actor, Actor::User { id: admin }, "{label}");
        assert_eq!(events[0].details["login"], "agent", "{label}");
        let audited: Vec<&str> = events[0].details["skills"]
            .as_array()
            .unwrap()
            .iter()
            .map(|skill| skill["name"].as_str().unwrap())
            .collect();
        assert!(
            audited.contains(&"lang:fy") && !audited.contains(&second),
            "{label}"
        );
    }
}
