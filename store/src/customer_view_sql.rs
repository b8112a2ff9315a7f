//! The customer panel's reads ([`switchboard_core::customer_view::CustomerViewStore`]), written
//! once and expanded for each database by [`impl_customer_view_store!`]. Lines and deliveries
//! of several orders are read in one query each, never one per order.

/// Implements [`switchboard_core::customer_view::CustomerViewStore`] for `$store` (a struct
/// with a `pool` field of `sqlx::Pool<$db>`).
macro_rules! impl_customer_view_store {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl switchboard_core::customer_view::CustomerViewStore for $store {
            #[tracing::instrument(skip_all)]
            async fn open_orders(
                &self,
                customer_no: &str,
                limit: u32,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::master::Order>> {
                let [first, second, third] = switchboard_core::customer_view::OPEN_ORDER_STATUSES;
                let rows: Vec<$crate::rows::OrderRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "{} WHERE customer_number = $1 AND status IN ($2, $3, $4) \
                     ORDER BY order_date DESC, order_number DESC LIMIT $5",
                        $crate::rows::ORDER_SELECT
                    )))
                    .bind(customer_no)
                    .bind(first)
                    .bind(second)
                    .bind(third)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::error::db_error)?;
                if rows.is_empty() {
                    return Ok(Vec::new());
                }
                let mut query = sqlx::QueryBuilder::<$db>::new(format!(
                    "{} WHERE order_number IN (",
                    $crate::rows::LINE_OF_SELECT
                ));
                let mut separated = query.separated(", ");
                for row in &rows {
                    separated.push_bind(row.order_number.clone());
                }
                query.push(") ORDER BY order_number, line");
                let lines: Vec<$crate::rows::LineOfRow> = query
                    .build_query_as()
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::error::db_error)?;
                let mut lines_by_order = $crate::rows::group_by_key(
                    lines
                        .into_iter()
                        .map(|row| (row.order_number, row.line))
                        .collect(),
                );
                Ok(rows
                    .into_iter()
                    .map(|row| {
                        let lines = lines_by_order.remove(&row.order_number).unwrap_or_default();
                        row.into_order(lines)
                    })
                    .collect())
            }

            #[tracing::instrument(skip_all)]
            async fn deliveries_of(
                &self,
                order_nos: &[&str],
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::master::Delivery>> {
                if order_nos.is_empty() {
                    return Ok(Vec::new());
                }
                let mut query = sqlx::QueryBuilder::<$db>::new(format!(
                    "{} WHERE order_number IN (",
                    $crate::rows::DELIVERY_SELECT
                ));
                let mut separated = query.separated(", ");
                for order_no in order_nos {
                    separated.push_bind(order_no.to_string());
                }
                query.push(") ORDER BY order_number, expected_date, delivery_number");
                let rows: Vec<$crate::rows::DeliveryRow> = query
                    .build_query_as()
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::error::db_error)?;
                Ok(rows
                    .into_iter()
                    .map($crate::rows::DeliveryRow::into_delivery)
                    .collect())
            }
        }
    };
}

pub(crate) use impl_customer_view_store;
