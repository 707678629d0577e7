use crate::catalog::{Blocking, Target};
use crate::rule::declare_rule;

declare_rule! {
    /// ## What it does
    /// Finds synchronous database clients used in async code: `rusqlite`, `postgres` (the sync
    /// crate, not `tokio-postgres`), the sync `mysql` crate, sync `redis` connections, `diesel`
    /// connections and `r2d2` pools. Queries are found through the connection's type: a method
    /// on the connection, or a query method that is handed `&mut conn` (diesel's `.load(&mut
    /// conn)`, redis's `cmd.query(&mut con)`).
    ///
    /// ## Why is this bad?
    /// Every query waits for the database on the calling thread: the network round trip, the
    /// query itself and any lock the database waits on. A slow query stalls every task queued
    /// on that worker; a pool that waits for a free connection can deadlock the runtime.
    ///
    /// ## Example
    /// ```rust,ignore
    /// async fn count(conn: &rusqlite::Connection) -> rusqlite::Result<i64> {
    ///     conn.query_row("SELECT count(*) FROM users", [], |row| row.get(0))
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// async fn count(pool: &sqlx::SqlitePool) -> sqlx::Result<i64> {
    ///     sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(pool).await
    /// }
    /// ```
    pub static BLOCKING_DB_CLIENT = {
        name: "blocking-db-client",
        severity: Warning,
        default: enabled,
        summary: "synchronous database client call in async code",
    }
}

const WHY: &str = "it waits for the database on the worker thread";
const SQLITE: &str = "use `sqlx`, `tokio-rusqlite` or `deadpool-sqlite`, or run the query in `tokio::task::spawn_blocking`";
const POSTGRES: &str = "use `tokio_postgres` (or `sqlx`) and `.await` the query";
const MYSQL: &str = "use `mysql_async` (or `sqlx`) and `.await` the query";
const REDIS: &str =
    "use an async connection (`get_multiplexed_async_connection().await`) and `query_async`";
const DIESEL: &str =
    "use `diesel-async`, or run the query in `tokio::task::spawn_blocking` (deadpool's `interact`)";
const POOL: &str = "use an async pool (`deadpool`, `bb8`, `sqlx::Pool`), or get the connection in `tokio::task::spawn_blocking`";

const fn on(ty: &'static str, method: &'static str, instead: &'static str) -> Blocking {
    Blocking::method(ty, method, WHY, instead)
}

const fn passed(ty: &'static str, instead: &'static str) -> Blocking {
    Blocking {
        target: Target::ConnectionArgument(ty),
        why: WHY,
        instead,
    }
}

const RUSQLITE: &[Blocking] = &[
    Blocking::func("rusqlite::Connection::open", WHY, SQLITE),
    Blocking::func("rusqlite::Connection::open_with_flags", WHY, SQLITE),
    on("rusqlite::Connection", "execute", SQLITE),
    on("rusqlite::Connection", "execute_batch", SQLITE),
    on("rusqlite::Connection", "query_row", SQLITE),
    on("rusqlite::Connection", "query_row_and_then", SQLITE),
    on("rusqlite::Connection", "prepare", SQLITE),
    on("rusqlite::Connection", "prepare_cached", SQLITE),
    on("rusqlite::Connection", "transaction", SQLITE),
    on("rusqlite::Connection", "pragma_update", SQLITE),
    on("rusqlite::Connection", "backup", SQLITE),
    on("rusqlite::Transaction", "execute", SQLITE),
    on("rusqlite::Transaction", "query_row", SQLITE),
    on("rusqlite::Transaction", "commit", SQLITE),
    on("rusqlite::Statement", "query", SQLITE),
    on("rusqlite::Statement", "query_map", SQLITE),
    on("rusqlite::Statement", "query_row", SQLITE),
    on("rusqlite::Statement", "query_and_then", SQLITE),
    on("rusqlite::Statement", "execute", SQLITE),
    on("rusqlite::Statement", "insert", SQLITE),
    on("rusqlite::Statement", "exists", SQLITE),
];

const POSTGRES_SYNC: &[Blocking] = &[
    Blocking::func("postgres::Client::connect", WHY, POSTGRES),
    Blocking::method("postgres::Config", "connect", WHY, POSTGRES),
    on("postgres::Client", "query", POSTGRES),
    on("postgres::Client", "query_one", POSTGRES),
    on("postgres::Client", "query_opt", POSTGRES),
    on("postgres::Client", "query_raw", POSTGRES),
    on("postgres::Client", "execute", POSTGRES),
    on("postgres::Client", "batch_execute", POSTGRES),
    on("postgres::Client", "simple_query", POSTGRES),
    on("postgres::Client", "prepare", POSTGRES),
    on("postgres::Client", "transaction", POSTGRES),
    on("postgres::Client", "copy_in", POSTGRES),
    on("postgres::Client", "copy_out", POSTGRES),
    on("postgres::Transaction", "query", POSTGRES),
    on("postgres::Transaction", "query_one", POSTGRES),
    on("postgres::Transaction", "execute", POSTGRES),
    on("postgres::Transaction", "batch_execute", POSTGRES),
    on("postgres::Transaction", "commit", POSTGRES),
];

const MYSQL_SYNC: &[Blocking] = &[
    Blocking::func("mysql::Pool::new", WHY, MYSQL),
    Blocking::func("mysql::Conn::new", WHY, MYSQL),
    on("mysql::Pool", "get_conn", MYSQL),
    passed("mysql::PooledConn", MYSQL),
    passed("mysql::Conn", MYSQL),
    on("mysql::PooledConn", "query", MYSQL),
    on("mysql::PooledConn", "query_drop", MYSQL),
    on("mysql::PooledConn", "query_first", MYSQL),
    on("mysql::PooledConn", "query_map", MYSQL),
    on("mysql::PooledConn", "query_iter", MYSQL),
    on("mysql::PooledConn", "exec", MYSQL),
    on("mysql::PooledConn", "exec_drop", MYSQL),
    on("mysql::PooledConn", "exec_first", MYSQL),
    on("mysql::PooledConn", "exec_map", MYSQL),
    on("mysql::PooledConn", "exec_batch", MYSQL),
    on("mysql::PooledConn", "prep", MYSQL),
    on("mysql::Conn", "query", MYSQL),
    on("mysql::Conn", "query_drop", MYSQL),
    on("mysql::Conn", "query_first", MYSQL),
    on("mysql::Conn", "exec", MYSQL),
    on("mysql::Conn", "exec_drop", MYSQL),
    on("mysql::Conn", "exec_first", MYSQL),
];

const REDIS_SYNC: &[Blocking] = &[
    on("redis::Client", "get_connection", REDIS),
    on("redis::Client", "get_connection_with_timeout", REDIS),
    Blocking::func("redis::Connection::open", WHY, REDIS),
    // The sync `Commands` trait puts one method per command on the connection; any of them
    // is a round trip to the server.
    Blocking {
        target: Target::AnyMethod("redis::Connection"),
        why: WHY,
        instead: REDIS,
    },
    passed("redis::Connection", REDIS),
    on("redis::cluster::ClusterClient", "get_connection", REDIS),
];

const DIESEL_SYNC: &[Blocking] = &[
    Blocking::func("diesel::PgConnection::establish", WHY, DIESEL),
    Blocking::func("diesel::SqliteConnection::establish", WHY, DIESEL),
    Blocking::func("diesel::MysqlConnection::establish", WHY, DIESEL),
    passed("diesel::PgConnection", DIESEL),
    passed("diesel::SqliteConnection", DIESEL),
    passed("diesel::MysqlConnection", DIESEL),
    passed("r2d2::PooledConnection", DIESEL),
    on("diesel::PgConnection", "transaction", DIESEL),
    on("diesel::SqliteConnection", "transaction", DIESEL),
    on("diesel::MysqlConnection", "transaction", DIESEL),
    on("r2d2::Pool", "get", POOL),
    on("r2d2::Pool", "get_timeout", POOL),
];

const MONGO: &str = "use the async `mongodb::Client` and `.await` its operations";

/// The `mongodb::sync` API: every operation waits for the server on the calling thread.
const MONGODB_SYNC: &[Blocking] = &[
    Blocking::func("mongodb::sync::Client::with_uri_str", WHY, MONGO),
    Blocking::func("mongodb::sync::Client::with_options", WHY, MONGO),
    on("mongodb::sync::Database", "list_collection_names", MONGO),
    on("mongodb::sync::Database", "run_command", MONGO),
    on("mongodb::sync::Database", "drop", MONGO),
    on("mongodb::sync::Collection", "find", MONGO),
    on("mongodb::sync::Collection", "find_one", MONGO),
    on("mongodb::sync::Collection", "insert_one", MONGO),
    on("mongodb::sync::Collection", "insert_many", MONGO),
    on("mongodb::sync::Collection", "update_one", MONGO),
    on("mongodb::sync::Collection", "update_many", MONGO),
    on("mongodb::sync::Collection", "replace_one", MONGO),
    on("mongodb::sync::Collection", "delete_one", MONGO),
    on("mongodb::sync::Collection", "delete_many", MONGO),
    on("mongodb::sync::Collection", "count_documents", MONGO),
    on("mongodb::sync::Collection", "aggregate", MONGO),
    on("mongodb::sync::Collection", "find_one_and_update", MONGO),
    on("mongodb::sync::Collection", "find_one_and_delete", MONGO),
    on("mongodb::sync::Collection", "drop", MONGO),
];

pub(crate) const CATALOG: &[&[Blocking]] = &[
    RUSQLITE,
    POSTGRES_SYNC,
    MYSQL_SYNC,
    REDIS_SYNC,
    DIESEL_SYNC,
    MONGODB_SYNC,
];
