//! The customer panel's reads ([`switchboard_core::customer_view::CustomerViewStore`]), written
//! once and expanded for each database by [`impl_customer_view_store!`].

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
                let mut orders = Vec::with_capacity(rows.len());
                for row in rows {
                    let lines: Vec<$crate::rows::OrderLineRow> =
                        sqlx::query_as(sqlx::AssertSqlSafe(format!(
                            "{} WHERE order_number = $1 ORDER BY line",
                            $crate::rows::ORDER_LINE_SELECT
                        )))
                        .bind(&row.order_number)
                        .fetch_all(&self.pool)
                        .await
                        .map_err($crate::error::db_error)?;
                    orders.push(row.into_order(lines));
                }
                Ok(orders)
            }

            #[tracing::instrument(skip_all)]
            async fn deliveries_of(
                &self,
                order_no: &str,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::master::Delivery>> {
                let rows: Vec<$crate::rows::DeliveryRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "{} WHERE order_number = $1 ORDER BY expected_date, delivery_number",
                        $crate::rows::DELIVERY_SELECT
                    )))
                    .bind(order_no)
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
