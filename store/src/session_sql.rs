//! The session port ([`switchboard_core::session::SessionStore`]), written once and expanded for
//! each database by [`impl_session_store!`].

/// A session row joined with its user.
#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    pub id_hash: String,
    pub user_id: i64,
    pub login: String,
    pub display_name: String,
    pub role: String,
    pub csrf_token: String,
    pub last_seen_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

impl SessionRow {
    pub(crate) fn into_session(
        self,
    ) -> Result<switchboard_core::session::Session, switchboard_core::CoreError> {
        let role = switchboard_core::user::Role::parse(&self.role)
            .ok_or_else(|| crate::error::corrupt("role", &self.role))?;
        Ok(switchboard_core::session::Session {
            id_hash: self.id_hash,
            user: switchboard_core::UserId::new(self.user_id),
            login: switchboard_core::Login::new(self.login),
            display_name: self.display_name,
            role,
            csrf_token: self.csrf_token,
            last_seen_at: self.last_seen_at,
            expires_at: self.expires_at,
        })
    }
}

/// Implements [`switchboard_core::session::SessionStore`] for `$store` (a struct with a `pool`
/// field of `sqlx::Pool<$db>`).
macro_rules! impl_session_store {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl switchboard_core::session::SessionStore for $store {
            #[tracing::instrument(skip_all)]
            async fn create_session(
                &self,
                session: &switchboard_core::session::NewSession,
            ) -> switchboard_core::error::CoreResult<()> {
                sqlx::query(
                    "INSERT INTO sessions \
                     (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $4, $5)",
                )
                .bind(&session.id_hash)
                .bind(session.user.get())
                .bind(&session.csrf_token)
                .bind(session.created_at)
                .bind(session.expires_at)
                .execute(self.writer())
                .await
                .map_err($crate::error::db_error)?;
                Ok(())
            }

            #[tracing::instrument(skip_all)]
            async fn session(
                &self,
                id_hash: &str,
            ) -> switchboard_core::error::CoreResult<Option<switchboard_core::session::Session>>
            {
                let row: Option<$crate::session_sql::SessionRow> = sqlx::query_as(
                    "SELECT s.id_hash, s.user_id, u.login, u.display_name, u.role, s.csrf_token, \
                     s.last_seen_at, s.expires_at \
                     FROM sessions s JOIN users u ON u.id = s.user_id \
                     WHERE s.id_hash = $1 AND u.active = TRUE AND u.password_hash IS NOT NULL",
                )
                .bind(id_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                row.map($crate::session_sql::SessionRow::into_session)
                    .transpose()
            }

            #[tracing::instrument(skip_all)]
            async fn touch_session(
                &self,
                id_hash: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<()> {
                sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
                    .bind(at)
                    .bind(id_hash)
                    .execute(self.writer())
                    .await
                    .map_err($crate::error::db_error)?;
                Ok(())
            }

            #[tracing::instrument(skip_all)]
            async fn delete_session(&self, id_hash: &str) -> switchboard_core::error::CoreResult<()> {
                sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                    .bind(id_hash)
                    .execute(self.writer())
                    .await
                    .map_err($crate::error::db_error)?;
                Ok(())
            }

            #[tracing::instrument(skip_all)]
            async fn delete_stale_sessions(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                idle_cutoff: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<u64> {
                let done = sqlx::query(
                    "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2",
                )
                .bind(now)
                .bind(idle_cutoff)
                .execute(self.writer())
                .await
                .map_err($crate::error::db_error)?;
                Ok(done.rows_affected())
            }
        }
    };
}

pub(crate) use impl_session_store;
