//! The Redis backend (feature `redis`): the `redis` crate's tokio [`ConnectionManager`], which multiplexes every
//! call on one connection and remakes it in the background after a failure (a Redis restarted or failed over), so
//! a call made while Redis is away fails at once or within the store's bound, and the next ones succeed once it is
//! back. The manager is made on first use: a bridge starts whatever the state of Redis.
//!
//! Tags are Redis sets of the keys set with them; deleting a tag deletes its members, then the set.

use super::{Key, StoreError};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::AsyncCommands;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;

#[derive(Clone)]
pub(super) struct Redis {
    client: redis::Client,
    config: ConnectionManagerConfig,
    connection: Arc<OnceCell<ConnectionManager>>,
}

impl Redis {
    pub(super) fn new(url: &str, timeout: Duration) -> Result<Self, StoreError> {
        // The URL may hold a password: its text is never quoted.
        let client = redis::Client::open(url).map_err(|err| {
            StoreError::Settings(format!(
                "BRIDGE_REDIS_URL is not a Redis URL (redis://host:6379/0, rediss:// is not supported): {}",
                err.category().to_owned()
            ))
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_secs(2))
            .set_number_of_retries(2);
        Ok(Self { client, config, connection: Arc::new(OnceCell::new()) })
    }

    async fn connection(&self) -> Result<ConnectionManager, StoreError> {
        let connection = self
            .connection
            .get_or_try_init(|| async {
                ConnectionManager::new_lazy_with_config(self.client.clone(), self.config.clone()).map_err(failed)
            })
            .await?;
        Ok(connection.clone())
    }

    pub(super) async fn get(&self, key: &Key) -> Result<Option<Vec<u8>>, StoreError> {
        self.connection().await?.get(key.as_text()).await.map_err(failed)
    }

    pub(super) async fn set(&self, key: &Key, value: Vec<u8>, ttl: Duration, tags: &[Key]) -> Result<(), StoreError> {
        let text = key.as_text();
        let mut pipe = redis::pipe();
        pipe.atomic().cmd("SET").arg(&text).arg(value).arg("PX").arg(millis(ttl)).ignore();
        for tag in tags {
            let tag = tag.as_text();
            pipe.cmd("SADD").arg(&tag).arg(&text).ignore();
            pipe.cmd("PEXPIRE").arg(&tag).arg(millis(ttl)).ignore();
        }
        pipe.query_async::<()>(&mut self.connection().await?).await.map_err(failed)
    }

    pub(super) async fn set_if_absent(&self, key: &Key, value: Vec<u8>, ttl: Duration) -> Result<bool, StoreError> {
        let set: Option<String> = redis::cmd("SET")
            .arg(key.as_text())
            .arg(value)
            .arg("NX")
            .arg("PX")
            .arg(millis(ttl))
            .query_async(&mut self.connection().await?)
            .await
            .map_err(failed)?;
        Ok(set.is_some())
    }

    pub(super) async fn delete(&self, key: &Key) -> Result<(), StoreError> {
        self.connection().await?.del::<_, ()>(key.as_text()).await.map_err(failed)
    }

    pub(super) async fn delete_tag(&self, tag: &Key) -> Result<(), StoreError> {
        let mut connection = self.connection().await?;
        let tag = tag.as_text();
        let mut members: Vec<String> = connection.smembers(&tag).await.map_err(failed)?;
        members.push(tag);
        connection.del::<_, ()>(members).await.map_err(failed)
    }

    pub(super) async fn ping(&self) -> Result<(), StoreError> {
        redis::cmd("PING").query_async::<()>(&mut self.connection().await?).await.map_err(failed)
    }
}

/// A time to live in whole milliseconds, at least 1 (Redis refuses 0).
fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// A failed call: its kind only (Redis's own text may quote a command's arguments).
fn failed(err: redis::RedisError) -> StoreError {
    if err.is_timeout() {
        StoreError::Timeout
    } else {
        StoreError::Unavailable(err.category().to_owned())
    }
}
